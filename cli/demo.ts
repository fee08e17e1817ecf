/**
 * `dubd demo`: synthesises a short English clip with a test-pattern video and dubs it into Spanish and
 * Portuguese, so a fresh install shows the whole pipeline working in one command.
 */
import { join, resolve } from 'node:path';
import type { CliIo } from './io.js';
import { dubCommand } from './dub.js';
import { makeSpeechSample } from '../pipeline/media/sample.js';
import { loadConfig } from '../config/load.js';

export async function demoCommand(args: string[], io: CliIo): Promise<number> {
  const cfg = loadConfig({ env: io.env });
  const dir = resolve(io.cwd, cfg.dataDir, 'demo');
  io.stdout.write(`dubd demo: synthesising an English sample in ${dir}\n`);
  const sample = await makeSpeechSample({ dir, video: true, backgroundDb: -30 });
  io.stdout.write(`dubd demo: dubbing ${sample.path} (${(sample.durationMs / 1000).toFixed(1)} s) into Spanish and Portuguese\n`);
  const code = await dubCommand([sample.path, '--to', 'es,pt', '--out', join(dir, 'demo.dubbed.mp4'), ...args], io);
  if (code === 0) io.stdout.write(`dubd demo: play it with: ffplay ${join(dir, 'demo.dubbed.mp4')}  (audio tracks: es, pt, original)\n`);
  return code;
}
