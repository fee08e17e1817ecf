import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { loadConfig, envOverrides } from './load.js';
import { defaultConfig } from './schema.js';
import { DubdError } from '../pipeline/errors.js';

describe('loadConfig', () => {
  it('needs nothing: embedded defaults', () => {
    expect(loadConfig({ env: {} })).toEqual(defaultConfig);
    expect(defaultConfig.align.maxSpeed).toBe(1.3);
  });

  it('reads DUBD_* env vars into nested fields', () => {
    expect(envOverrides({ DUBD_VAD__MIN_SILENCE_MS: '300', DUBD_TARGET_LANGUAGES: 'es,pt' })).toEqual({ vad: { minSilenceMs: 300 }, targetLanguages: ['es', 'pt'] });
    const cfg = loadConfig({ env: { DUBD_VAD__MIN_SILENCE_MS: '300' } });
    expect(cfg.vad.minSilenceMs).toBe(300);
  });

  it('merges a JSON file under the env vars', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dubd-cfg-'));
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ align: { maxSpeed: 1.2 }, vad: { minSilenceMs: 400 } }));
    const cfg = loadConfig({ file, env: { DUBD_VAD__MIN_SILENCE_MS: '250' } });
    expect(cfg.align.maxSpeed).toBe(1.2);
    expect(cfg.vad.minSilenceMs).toBe(250);
  });

  it('rejects an invalid value with the field path and code INVALID_CONFIG', () => {
    const err = (() => {
      try {
        loadConfig({ env: { DUBD_ALIGN__MAX_SPEED: '5' } });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(DubdError);
    expect((err as DubdError).code).toBe('INVALID_CONFIG');
    expect((err as DubdError).message).toContain('align.maxSpeed');
  });

  it('names a missing or broken config file', () => {
    expect(() => loadConfig({ file: '/nonexistent.json', env: {} })).toThrow(/not found/);
    const dir = mkdtempSync(join(tmpdir(), 'dubd-cfg-'));
    writeFileSync(join(dir, 'bad.json'), '{nope');
    expect(() => loadConfig({ file: join(dir, 'bad.json'), env: {} })).toThrow(/not valid JSON/);
  });
});
