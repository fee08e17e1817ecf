import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../config/schema.js';
import { startWireServer, type WireServer } from '../pipeline/providers/mt/testing/wire-servers.js';
import { mtProbes } from './probes-mt.js';

function probe(id: string) {
  const p = mtProbes.find((x) => x.id === id);
  if (!p) throw new Error(`no probe ${id}`);
  return p;
}

describe('mt doctor probes', () => {
  const servers: Partial<Record<'openai' | 'anthropic' | 'ollama', WireServer>> = {};

  beforeAll(async () => {
    servers.openai = await startWireServer('openai', { apiKey: 'sk-good' });
    servers.anthropic = await startWireServer('anthropic', { apiKey: 'ak-good' });
    servers.ollama = await startWireServer('ollama');
  });
  afterAll(async () => {
    await Promise.all(Object.values(servers).map((s) => s.close()));
  });

  const config = (mt: Record<string, unknown>) =>
    configSchema.parse({
      mt: {
        ...mt,
        openai: { baseUrl: servers.openai?.baseUrl, model: 'test-model' },
        anthropic: { baseUrl: servers.anthropic?.baseUrl, model: 'test-model' },
        ollama: { baseUrl: servers.ollama?.baseUrl, model: 'test-model' },
      },
    });

  it('lists the three LLM providers and the Redis cache', () => {
    expect(mtProbes.map((p) => p.id)).toEqual(['openai-mt', 'anthropic-mt', 'ollama-mt', 'redis-mt-cache']);
  });

  it('reports a provider outside the mt chain as unavailable without contacting it', async () => {
    const before = servers.openai?.requests.length;
    const out = await probe('openai-mt').run({ config: config({}), env: { OPENAI_API_KEY: 'sk-good' }, timeoutMs: 1000 });
    expect(out).toMatchObject({ status: 'unavailable', detail: "not configured (add 'openai' to mt.providers or mt.fallback)" });
    expect(servers.openai?.requests.length).toBe(before);
    expect(probe('openai-mt').required(config({}))).toBe(false);
    expect(probe('openai-mt').required(config({ provider: 'openai' }))).toBe(true);
  });

  it('reports a missing API key as unavailable, with the variable to set', async () => {
    const out = await probe('anthropic-mt').run({ config: config({ provider: 'anthropic' }), env: {}, timeoutMs: 1000 });
    expect(out.status).toBe('unavailable');
    expect(out.detail).toBe(`no API key for ${servers.anthropic?.baseUrl} (ANTHROPIC_API_KEY is not set)`);
    expect(out.hint).toContain('set ANTHROPIC_API_KEY');
  });

  it('is ok when the configured server answers (local servers speaking the OpenAI and Anthropic wire formats)', async () => {
    const o = await probe('openai-mt').run({ config: config({ provider: 'openai' }), env: { OPENAI_API_KEY: 'sk-good' }, timeoutMs: 1000 });
    expect(o).toMatchObject({ status: 'ok', detail: `OpenAI at ${servers.openai?.baseUrl} answers`, version: 'test-model' });
    const a = await probe('anthropic-mt').run({ config: config({ providers: ['anthropic', 'apertium'] }), env: { ANTHROPIC_API_KEY: 'ak-good' }, timeoutMs: 1000 });
    expect(a).toMatchObject({ status: 'ok', detail: `Anthropic at ${servers.anthropic?.baseUrl} answers` });
  });

  it('reports a refused key as unavailable (local server speaking the OpenAI wire format)', async () => {
    const out = await probe('openai-mt').run({ config: config({ provider: 'openai' }), env: { OPENAI_API_KEY: 'sk-bad' }, timeoutMs: 1000 });
    expect(out.status).toBe('unavailable');
    expect(out.detail).toBe(`OpenAI at ${servers.openai?.baseUrl} answered 401: invalid api key`);
    expect(out.hint).toBe('check OPENAI_API_KEY');
  });

  it('checks that Ollama has the model pulled (local server speaking the Ollama wire format)', async () => {
    const ok = await probe('ollama-mt').run({ config: config({ fallback: ['ollama', 'apertium'] }), env: {}, timeoutMs: 1000 });
    expect(ok).toMatchObject({ status: 'ok', detail: `Ollama at ${servers.ollama?.baseUrl} answers` });
    const cfg = configSchema.parse({ mt: { provider: 'ollama', ollama: { baseUrl: servers.ollama?.baseUrl, model: 'llama3.2' } } });
    const missing = await probe('ollama-mt').run({ config: cfg, env: {}, timeoutMs: 1000 });
    expect(missing).toMatchObject({ status: 'missing', hint: 'ollama pull llama3.2' });
  });

  it('reports an Ollama that is not running as unavailable', async () => {
    const cfg = configSchema.parse({ mt: { provider: 'ollama', ollama: { baseUrl: 'http://127.0.0.1:1' } } });
    const out = await probe('ollama-mt').run({ config: cfg, env: {}, timeoutMs: 1000 });
    expect(out.status).toBe('unavailable');
    expect(out.detail).toMatch(/^Ollama at http:\/\/127\.0\.0\.1:1 unreachable: /);
  });

  it('checks the Redis cache only when it is configured (real Redis)', async () => {
    const off = await probe('redis-mt-cache').run({ config: config({}), env: {}, timeoutMs: 1000 });
    expect(off).toMatchObject({ status: 'unavailable', detail: "not configured (mt.cache.kind is 'memory')" });
    const on = await probe('redis-mt-cache').run({ config: config({ cache: { kind: 'redis' } }), env: {}, timeoutMs: 1000 });
    expect(on.status).toBe('ok');
    const down = await probe('redis-mt-cache').run({ config: config({ cache: { kind: 'redis', redisUrl: 'redis://127.0.0.1:1' } }), env: {}, timeoutMs: 1000 });
    expect(down.status).toBe('unavailable');
  });
});
