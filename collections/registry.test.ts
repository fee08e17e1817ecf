import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelRegistry } from './registry.js';
import { builtinCatalog } from './catalog.js';
import { isSystemManifest, parseManifest } from './manifest.js';
import { DubdError } from '../pipeline/errors.js';

const content = Buffer.from('pretend these are model weights\n'.repeat(100));
const sha = createHash('sha256').update(content).digest('hex');

const testModel = parseManifest({
  id: 'tiny-test',
  kind: 'tts',
  engine: 'test',
  description: 'a test model',
  license: 'MIT',
  sourceUrl: 'https://example.com/',
  files: [{ path: 'weights.bin', url: 'https://example.com/weights.bin', sha256: sha, sizeBytes: content.length }],
});

function tempRegistry(): { registry: ModelRegistry; file: string } {
  const dataDir = mkdtempSync(join(tmpdir(), 'dubd-registry-'));
  const registry = new ModelRegistry({ dataDir, catalog: [testModel] });
  return { registry, file: join(dataDir, 'models', 'tiny-test', 'weights.bin') };
}

function install(file: string, bytes: Buffer): void {
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, bytes);
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
    return 'returned';
  } catch (err) {
    return err instanceof DubdError ? err.code : 'not a DubdError';
  }
}

describe('ModelRegistry', () => {
  it('list shows the system engines of this machine as installed (system)', async () => {
    const registry = new ModelRegistry({ dataDir: mkdtempSync(join(tmpdir(), 'dubd-registry-')) });
    const status = Object.fromEntries((await registry.list()).map((e) => [e.manifest.id, e.status]));
    for (const id of ['silero-vad-v5', 'pocketsphinx-en-us', 'apertium-eng-spa', 'apertium-es-pt', 'espeak-ng-voices']) {
      expect(status[id], id).toBe('installed (system)');
    }
    expect(status['whisper-base.en']).toBe('not installed');
  });

  it('every downloadable entry of the built-in catalog is pinned by a sha256', () => {
    const downloadable = builtinCatalog().filter((m) => !isSystemManifest(m));
    expect(downloadable.length).toBeGreaterThan(0);
    for (const m of downloadable) {
      if (isSystemManifest(m)) continue;
      for (const f of m.files) expect(f.sha256, m.id).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it('a pulled model with the right bytes is installed and verifies ok', async () => {
    const { registry, file } = tempRegistry();
    expect(await registry.status('tiny-test')).toBe('not installed');
    install(file, content);
    expect(await registry.status('tiny-test')).toBe('installed');
    expect((await registry.verify('tiny-test')).status).toBe('ok');
  });

  it('verify detects a corrupted file of the right size by its sha256', async () => {
    const { registry, file } = tempRegistry();
    const corrupted = Buffer.from(content);
    corrupted[10] ^= 0xff;
    install(file, corrupted);
    // Same size: the cheap list check cannot tell, the hash can.
    expect(await registry.status('tiny-test')).toBe('installed');
    const result = await registry.verify('tiny-test');
    expect(result.status).toBe('corrupt');
    expect(result.files[0]).toMatchObject({ ok: false, reason: 'sha256', expected: sha });
  });

  it('a truncated file shows as corrupt in list and in verify', async () => {
    const { registry, file } = tempRegistry();
    install(file, content.subarray(0, 100));
    expect((await registry.list())[0].status).toBe('corrupt');
    expect((await registry.verify('tiny-test')).files[0].reason).toBe('size');
  });

  it('an unknown id fails with MODEL_NOT_FOUND and points at dubd models list', async () => {
    const { registry } = tempRegistry();
    expect(codeOf(() => registry.get('nope'))).toBe('MODEL_NOT_FOUND');
    expect(codeOf(() => registry.pathOf('nope', 'x'))).toBe('MODEL_NOT_FOUND');
    const err = await registry.verify('nope').catch((e: unknown) => e);
    expect((err as DubdError).code).toBe('MODEL_NOT_FOUND');
    expect((err as DubdError).message).toBe("unknown model 'nope'; see dubd models list");
  });

  it('pathOf resolves files inside the model folder and refuses paths that leave it', () => {
    const { registry, file } = tempRegistry();
    expect(registry.pathOf('tiny-test', 'weights.bin')).toBe(file);
    expect(codeOf(() => registry.pathOf('tiny-test', '../other/weights.bin'))).toBe('INVALID_ARGUMENT');
    const system = new ModelRegistry({ dataDir: tmpdir() });
    expect(system.pathOf('apertium-eng-spa', 'eng-spa.mode')).toBe('/usr/share/apertium/modes/eng-spa.mode');
  });
});
