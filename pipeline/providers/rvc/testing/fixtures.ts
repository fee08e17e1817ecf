/** Test fixtures for the RVC tests: built models written to a temp folder, and synthetic voices. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ModelDir {
  dir: string;
  /** Writes `bytes` as `name` in the folder and returns its path. */
  write(name: string, bytes: Uint8Array | string): Promise<string>;
  remove(): Promise<void>;
}

export async function modelDir(): Promise<ModelDir> {
  const dir = await mkdtemp(join(tmpdir(), 'dubd-rvc-'));
  return {
    dir,
    async write(name, bytes) {
      const path = join(dir, name);
      await writeFile(path, bytes);
      return path;
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/**
 * A voiced sound at a steady F0: harmonics with falling amplitude (YIN tracks it like a vowel), faded in and
 * out over 20 ms.
 */
export function harmonicTone(f0Hz: number, seconds: number, sampleRate: number, amplitude = 0.3): Float32Array {
  const n = Math.round(seconds * sampleRate);
  const out = new Float32Array(n);
  const fade = Math.round(0.02 * sampleRate);
  for (let i = 0; i < n; i++) {
    let v = 0;
    for (let h = 1; h <= 8 && h * f0Hz < sampleRate / 2; h++) v += Math.sin((2 * Math.PI * h * f0Hz * i) / sampleRate) / h;
    const g = Math.min(1, i / fade, (n - 1 - i) / fade);
    out[i] = amplitude * 0.5 * v * g;
  }
  return out;
}
