import { describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { modelsCommand } from './models.js';
import { fakeIo } from '../test/cli-io.js';

interface ListRow {
  id: string;
  status: string;
  system: boolean;
  location: string;
}

describe('dubd models', () => {
  it('list prints every catalog entry with its installed state', async () => {
    const { io, out } = fakeIo('models', {});
    expect(await modelsCommand(['list'], io)).toBe(0);
    expect(out()).toMatch(/^silero-vad-v5\s+vad\s+sherpa-onnx\s+installed \(system\)/m);
    expect(out()).toMatch(/^whisper-base\.en\s+asr\s+sherpa-onnx\s+not installed/m);
  });

  it('list --json puts downloadable models under the data dir, relative to where the command ran', async () => {
    const { io, out } = fakeIo('models', {});
    expect(await modelsCommand(['list', '--json', '--data-dir', 'data'], io)).toBe(0);
    const rows = JSON.parse(out()) as ListRow[];
    const whisper = rows.find((r) => r.id === 'whisper-base.en');
    expect(whisper).toMatchObject({ status: 'not installed', system: false, location: join(io.cwd, 'data', 'models', 'whisper-base.en') });
    expect(rows.filter((r) => r.system).every((r) => r.status === 'installed (system)')).toBe(true);
  });

  it('verify without an id checks every installed model and exits 0 when all are intact', async () => {
    const { io, out } = fakeIo('models', {});
    expect(await modelsCommand(['verify'], io)).toBe(0);
    expect(out()).toMatch(/^ok\s+pocketsphinx-en-us$/m);
    expect(out()).not.toContain('whisper-base.en');
  });

  it('verify exits 1 and names the file when an installed model is corrupt', async () => {
    const { io, out } = fakeIo('models', {});
    const dir = join(io.cwd, '.dubd', 'models', 'silero-vad-sherpa');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'silero_vad.onnx'), 'not a model');
    expect(await modelsCommand(['verify'], io)).toBe(1);
    expect(out()).toMatch(/^corrupt\s+silero-vad-sherpa$/m);
    expect(out()).toContain(`${join(dir, 'silero_vad.onnx')}: size mismatch`);
  });

  it('verify --json of one system model reports ok', async () => {
    const { io, out } = fakeIo('models', {});
    expect(await modelsCommand(['verify', 'apertium-eng-spa', '--json'], io)).toBe(0);
    expect(JSON.parse(out())).toEqual([
      { id: 'apertium-eng-spa', status: 'ok', files: [{ path: '/usr/share/apertium/modes/eng-spa.mode', ok: true }] },
    ]);
  });

  it('an unknown model id fails with MODEL_NOT_FOUND', async () => {
    const { io } = fakeIo('models', {});
    await expect(modelsCommand(['verify', 'nope'], io)).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
    await expect(modelsCommand(['pull', 'nope'], io)).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
  });

  it('pull without an id or with an unknown subcommand is an INVALID_ARGUMENT error', async () => {
    const { io } = fakeIo('models', {});
    await expect(modelsCommand(['pull'], io)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(modelsCommand(['frob'], io)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
