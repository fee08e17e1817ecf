import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidStateError } from '../../errors.js';
import { ApertiumMt } from '../mt-apertium.js';
import { PrefixMt } from '../../../test/fakes.js';
import { AnthropicMt } from './anthropic.js';
import { ConsensusMt } from './consensus.js';
import { OpenAiMt } from './openai.js';
import { startWireServer, type WireServer } from './testing/wire-servers.js';
import { detailed } from './types.js';

const req = { from: 'en', to: 'es', context: [] as string[] };

describe('ConsensusMt (real Apertium + local servers speaking the OpenAI and Anthropic wire formats)', () => {
  let openaiServer: WireServer;
  let anthropicServer: WireServer;
  let apertium: ApertiumMt;

  beforeAll(async () => {
    openaiServer = await startWireServer('openai', { respond: () => 'Buenos días a todos' });
    anthropicServer = await startWireServer('anthropic', { respond: () => 'Buenos días a todos' });
    apertium = await ApertiumMt.load({});
  });
  afterAll(async () => {
    await Promise.all([openaiServer.close(), anthropicServer.close(), apertium.close()]);
  });

  async function members(o: { timeoutMs?: number } = {}) {
    const openai = await OpenAiMt.load({ baseUrl: openaiServer.baseUrl, apiKey: 'k', maxRetries: 0, ...o });
    const anthropic = await AnthropicMt.load({ baseUrl: anthropicServer.baseUrl, apiKey: 'k', maxRetries: 0, ...o });
    // Apertium is shared by the tests: the consensus must not close it.
    const local = { ...detailed(apertium), close: async () => undefined };
    return { openai, anthropic, local };
  }

  it('picks the candidate the others agree with most and records every candidate with its agreement', async () => {
    const { openai, anthropic, local } = await members();
    const c = new ConsensusMt([local, openai, anthropic]);
    const r = await c.translateDetailed({ ...req, text: 'good morning everyone' });
    // The two LLMs agree with each other; Apertium's literal 'Buenos días Todo el mundo' is the odd one out.
    expect(r.text).toBe('Buenos días a todos');
    // A tie between identical answers goes to the member listed first.
    expect(r.provider).toBe('openai');
    expect(r.candidates.map((x) => x.provider)).toEqual(['apertium', 'openai', 'anthropic']);
    expect(r.candidates[0].text).toBe('Buenos días Todo el mundo');
    const [ap, oa, an] = r.candidates.map((x) => x.agreement ?? -1);
    expect(oa).toBe(an);
    expect(ap).toBeLessThan(oa);
    expect(c.info.id).toBe('consensus(apertium+openai+anthropic)');
    await c.close();
  });

  it('votes without a member that fails, and records its error', async () => {
    const { openai, anthropic, local } = await members();
    anthropicServer.queue({ status: 401, message: 'bad key' });
    const c = new ConsensusMt([openai, anthropic, local]);
    const r = await c.translateDetailed({ ...req, text: 'good morning everyone' });
    expect(r.provider).toBe('openai');
    expect(r.candidates[1]).toMatchObject({ provider: 'anthropic', error: 'Anthropic answered 401: bad key' });
    expect(r.candidates[1].text).toBeUndefined();
    await c.close();
  });

  it('under a live deadline, votes among the candidates that arrived in time', async () => {
    const { openai, anthropic, local } = await members({ timeoutMs: 10_000 });
    anthropicServer.queue({ hang: true });
    const c = new ConsensusMt([anthropic, openai, local]);
    const r = await c.translateDetailed({ ...req, text: 'good morning everyone', deadlineMs: 300 });
    expect(r.provider).toBe('openai');
    expect(r.candidates[0]).toMatchObject({ provider: 'anthropic', error: 'Anthropic missed the 300 ms deadline' });
    await c.close();
  });

  it('fails with a retryable error naming every member when all fail', async () => {
    const { openai, anthropic } = await members();
    openaiServer.queue({ status: 503 });
    anthropicServer.queue({ status: 500 });
    const c = new ConsensusMt([openai, anthropic]);
    const err = await c.translateDetailed({ ...req, text: 'hello' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ENGINE_FAILED', retryable: true });
    expect((err as Error).message).toBe('every consensus member failed: openai: OpenAI answered 503: scripted 503; anthropic: Anthropic answered 500: scripted 500');
    await c.close();
  });
});

describe('ConsensusMt', () => {
  it('lets a member without the pair sit the request out', async () => {
    const fake = new PrefixMt();
    const other = { ...detailed(new PrefixMt()), info: { id: 'other', version: '0' }, capabilities: { pairs: ['es-en'], usesContext: false, streaming: false } };
    const c = new ConsensusMt([detailed(fake), other]);
    expect(c.capabilities.pairs).toEqual(['en-es', 'en-pt', 'es-en']);
    const r = await c.translateDetailed({ text: 'hola', from: 'es', to: 'en', context: [] });
    expect(r.candidates.map((x) => x.provider)).toEqual(['other']);
    expect(fake.requests).toHaveLength(0);
    await expect(c.translateDetailed({ text: 'x', from: 'fr', to: 'de', context: [] })).rejects.toMatchObject({ code: 'UNSUPPORTED_LANGUAGE_PAIR' });
  });

  it('closes its members once, and refuses requests after close()', async () => {
    let closes = 0;
    const member = { ...detailed(new PrefixMt()), close: async () => void closes++ };
    const c = new ConsensusMt([member]);
    await c.close();
    await c.close();
    expect(closes).toBe(1);
    await expect(c.translate({ text: 'x', ...req })).rejects.toBeInstanceOf(InvalidStateError);
  });
});
