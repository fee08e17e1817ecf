/**
 * `dubd demo`: makes a short English clip with a test-pattern video and dubs it into Spanish and
 * Portuguese, so a fresh install shows the whole pipeline working in one command.
 */
import { join, resolve } from 'node:path';
import type { CliIo } from './io.js';
import { dubCommand } from './dub.js';
import { existsSync } from 'node:fs';
import { LIBRIVOX, LIBRIVOX_DIR, makeSpeechSample } from '../pipeline/media/sample.js';
import { loadConfig } from '../config/load.js';

export async function demoCommand(args: string[], io: CliIo): Promise<number> {
  const cfg = loadConfig({ env: io.env });
  const dir = resolve(io.cwd, cfg.dataDir, 'demo');
  // Real read speech when Debian's pocketsphinx-testdata is there (the bootstrap installs it); espeak-ng
  // speech otherwise, which PocketSphinx recognises far less well.
  const real = existsSync(LIBRIVOX_DIR);
  const recordings = real ? LIBRIVOX.map((r) => ({ file: join(LIBRIVOX_DIR, r.file), text: r.text })) : undefined;
  io.stdout.write(`dubd demo: making a sample video with ${real ? 'real English speech (LibriVox)' : 'espeak-ng English speech'} in ${dir}\n`);
  const sample = await makeSpeechSample({ dir, video: true, backgroundDb: -30, recordings, name: 'sample.mp4' });
  io.stdout.write(`dubd demo: dubbing ${sample.path} (${(sample.durationMs / 1000).toFixed(1)} s) into Spanish and Portuguese\n`);
  const code = await dubCommand([sample.path, '--to', 'es,pt', '--out', join(dir, 'demo.dubbed.mp4'), ...args], io);
  if (code === 0) io.stdout.write(`dubd demo: play it with: ffplay ${join(dir, 'demo.dubbed.mp4')}  (audio tracks: es, pt, original)\n`);
  return code;
}
