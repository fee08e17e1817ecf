import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../config/schema.js';
import { loadMt } from './load-mt.js';
import { CachedMt } from './mt/cache.js';
import { startWireServer, type WireServer } from './mt/testing/wire-servers.js';

const req = { text: 'hello world', from: 'en', to: 'es', context: [] as string[] };

describe('loadMt', () => {
  let openai: WireServer;
  let anthropic: WireServer;

  beforeAll(async () => {
    openai = await startWireServer('openai', { respond: () => 'Hola, mundo' });
    anthropic = await startWireServer('anthropic', { respond: () => 'Hola mundo' });
  });
  afterAll(async () => {
    await Promise.all([openai.close(), anthropic.close()]);
  });

  const cfg = (mt: Record<string, unknown>) =>
    configSchema.parse({
      mt: { ...mt, openai: { baseUrl: openai.baseUrl, maxRetries: 0 }, anthropic: { baseUrl: anthropic.baseUrl, maxRetries: 0 } },
    });
  const env = { OPENAI_API_KEY: 'sk-test', ANTHROPIC_API_KEY: 'ak-test' };

  it('keeps the default behaviour: Apertium only, behind an in-memory cache', async () => {
    const mt = await loadMt(configSchema.parse({}));
    expect(mt).toBeInstanceOf(CachedMt);
    expect(mt.info.id).toBe('apertium');
    expect(mt.capabilities.pairs).toContain('en-es');
    expect(await mt.translateDetailed(req)).toMatchObject({ text: 'Hola Mundial', provider: 'apertium', cacheHit: false });
    await new Promise((r) => setImmediate(r));
    expect(await mt.translateDetailed(req)).toMatchObject({ text: 'Hola Mundial', cacheHit: true });
    await mt.close();
  });

  it('uses the configured LLM with Apertium as its fallback (local server speaking the OpenAI wire format)', async () => {
    const mt = await loadMt(cfg({ provider: 'openai', cache: { kind: 'off' } }), { env });
    expect(mt.info.id).toBe('openai>apertium');
    expect(await mt.translateDetailed(req)).toMatchObject({ text: 'Hola, mundo', provider: 'openai', fallback: false });
    openai.queue({ status: 401 });
    expect(await mt.translateDetailed(req)).toMatchObject({ text: 'Hola Mundial', provider: 'apertium', fallback: true });
    await mt.close();
  });

  it('runs several providers by consensus (local servers speaking the OpenAI and Anthropic wire formats)', async () => {
    const mt = await loadMt(cfg({ providers: ['openai', 'anthropic', 'apertium'] }), { env });
    expect(mt.info.id).toBe('consensus(openai+anthropic+apertium)');
    const r = await mt.translateDetailed(req);
    expect(r.candidates.map((c) => c.provider)).toEqual(['openai', 'anthropic', 'apertium']);
    expect(['Hola, mundo', 'Hola mundo']).toContain(r.text);
    await mt.close();
  });

  it('leaves out a provider without its API key while the fallback can translate', async () => {
    const mt = await loadMt(cfg({ provider: 'anthropic' }), { env: {} });
    expect(mt.info.id).toBe('apertium');
    expect(await mt.translate(req)).toBe('Hola Mundial');
    await mt.close();
  });

  it('fails with the load error when nothing can translate', async () => {
    await expect(loadMt(cfg({ provider: 'openai', fallback: [] }), { env: {} })).rejects.toMatchObject({ code: 'ENGINE_MISSING', message: 'OpenAI: no API key (set OPENAI_API_KEY)' });
  });

  it('caches in memory when the configured Redis cannot be reached', async () => {
    const mt = await loadMt(configSchema.parse({ mt: { cache: { kind: 'redis', redisUrl: 'redis://127.0.0.1:1' } } }));
    expect(mt).toBeInstanceOf(CachedMt);
    expect(await mt.translate(req)).toBe('Hola Mundial');
    await mt.close();
  });

  it('rejects a config that lists a provider twice', () => {
    expect(configSchema.safeParse({ mt: { providers: ['openai', 'openai'] } }).success).toBe(false);
  });
});
