import { describe, expect, it } from 'vitest';
import { defaultConfig } from './schema.js';
import { deepMerge, providerKey, settingsFor } from './stream-settings.js';

describe('stream settings over the server config', () => {
  it('merges objects key by key and replaces arrays and values', () => {
    expect(deepMerge({ a: { b: 1, c: [1, 2] }, d: 1 }, { a: { c: [3] }, d: 2 })).toEqual({ a: { b: 1, c: [3] }, d: 2 });
  });

  it('gives a stream its own providers and glossary, checked by the schema, without touching the server config', () => {
    const cfg = settingsFor(defaultConfig, { mt: { providers: ['openai', 'apertium'], glossary: { es: { dubd: 'dubd' } } } }, 'stream show');
    expect(cfg.mt.providers).toEqual(['openai', 'apertium']);
    expect(cfg.mt.glossary).toEqual({ es: { dubd: 'dubd' } });
    expect(cfg.mt.clauseMinWords).toBe(defaultConfig.mt.clauseMinWords);
    expect(defaultConfig.mt.providers).toEqual([]);
    expect(providerKey(cfg)).not.toBe(providerKey(defaultConfig));
    expect(settingsFor(defaultConfig, {}, 'stream show')).toBe(defaultConfig);
  });

  it('refuses server-wide sections and invalid values with one readable INVALID_CONFIG line', () => {
    expect(() => settingsFor(defaultConfig, { live: { rtmpPort: 1 } }, 'stream show')).toThrow(/stream show: settings may not change live/);
    expect(() => settingsFor(defaultConfig, { mt: { providers: ['babelfish'] } }, 'stream show')).toThrow(/stream show: invalid setting at mt\.providers\.0/);
  });
});
