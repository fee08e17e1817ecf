/** A CliIo that captures what a command writes, for calling commands in-process. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { CliIo } from '../cli/io.js';

export function fakeIo(name: string, env: NodeJS.ProcessEnv = {}): { io: CliIo; out: () => string; err: () => string } {
  const chunks = { out: '', err: '' };
  const sink = (key: 'out' | 'err'): Writable =>
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        chunks[key] += chunk.toString();
        cb();
      },
    });
  const cwd = mkdtempSync(join(tmpdir(), `dubd-${name}-`));
  return { io: { stdout: sink('out'), stderr: sink('err'), env, cwd }, out: () => chunks.out, err: () => chunks.err };
}
