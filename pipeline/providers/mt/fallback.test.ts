import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DubdError, InvalidStateError } from '../../errors.js';
import { ApertiumMt } from '../mt-apertium.js';
import { FallbackMt } from './fallback.js';
import { OpenAiMt } from './openai.js';
import { startWireServer, type WireServer } from './testing/wire-servers.js';
import { detailed, type DetailedMtProvider, type MtCallRequest, type MtResult } from './types.js';

const req = { from: 'en', to: 'es', context: [] as string[] };

/** A provider whose every call runs `act` (which may move the test clock or throw). */
function scripted(id: string, remote: boolean, act: (r: MtCallRequest) => string, pairs = ['en-es']): DetailedMtProvider & { calls: MtCallRequest[] } {
  const calls: MtCallRequest[] = [];
  return {
    info: { id, version: '1' },
    capabilities: { pairs, usesContext: remote, streaming: false },
    remote,
    calls,
    translate: async (r) => act(r),
    async translateDetailed(r): Promise<MtResult> {
      calls.push(r);
      const text = act(r);
      return { text, provider: id, candidates: [{ provider: id, text, ms: 1 }], cacheHit: false, fallback: false };
    },
    close: async () => undefined,
  };
}

describe('FallbackMt (local server speaking the OpenAI wire format + real Apertium)', () => {
  let server: WireServer;
  let apertium: ApertiumMt;

  beforeAll(async () => {
    server = await startWireServer('openai', { respond: () => 'Hola, mundo' });
    apertium = await ApertiumMt.load({});
  });
  afterAll(async () => {
    await Promise.all([server.close(), apertium.close()]);
  });

  const local = (): DetailedMtProvider => ({ ...detailed(apertium), close: async () => undefined });

  it('hands the unit to Apertium when the remote provider misses the live deadline', async () => {
    const openai = await OpenAiMt.load({ baseUrl: server.baseUrl, apiKey: 'k', timeoutMs: 10_000 });
    server.queue({ hang: true });
    const chain = new FallbackMt([openai, local()]);
    const r = await chain.translateDetailed({ ...req, text: 'hello world', deadlineMs: 200 });
    expect(r).toMatchObject({ text: 'Hola Mundial', provider: 'apertium', fallback: true });
    expect(r.candidates[0]).toMatchObject({ provider: 'openai', error: expect.stringMatching(/^OpenAI missed the \d+ ms deadline$/) as string });
    await chain.close();
  });

  it('uses the remote provider when it answers, and Apertium after it fails for good', async () => {
    const openai = await OpenAiMt.load({ baseUrl: server.baseUrl, apiKey: 'k', maxRetries: 1 });
    const chain = new FallbackMt([openai, local()]);
    expect(await chain.translateDetailed({ ...req, text: 'hello world' })).toMatchObject({ text: 'Hola, mundo', provider: 'openai', fallback: false });
    server.queue({ status: 500 }, { status: 502 });
    expect(await chain.translateDetailed({ ...req, text: 'hello world' })).toMatchObject({ text: 'Hola Mundial', provider: 'apertium', fallback: true });
    server.queue({ status: 401 });
    expect(await chain.translateDetailed({ ...req, text: 'hello world' })).toMatchObject({ provider: 'apertium', fallback: true });
    await chain.close();
  });
});

describe('FallbackMt', () => {
  it('skips remote entries once the deadline has passed, but still runs local ones', async () => {
    let now = 0;
    const slow = scripted('slow', true, () => {
      now += 500;
      throw new DubdError('ENGINE_FAILED', 'slow missed it', { retryable: true });
    });
    const remote2 = scripted('remote2', true, () => 'never');
    const local = scripted('local', false, () => 'hola');
    const chain = new FallbackMt([slow, remote2, local], () => now);
    const r = await chain.translateDetailed({ ...req, text: 'hello', deadlineMs: 400 });
    expect(r.text).toBe('hola');
    expect(remote2.calls).toHaveLength(0);
    expect(slow.calls[0].deadlineMs).toBe(400);
    expect(local.calls[0].deadlineMs).toBeUndefined();
    expect(r.candidates.map((c) => [c.provider, c.error])).toEqual([
      ['slow', 'slow missed it'],
      ['remote2', 'skipped: the 400 ms deadline had passed'],
      ['local', undefined],
    ]);
  });

  it('gives the next remote entry only what is left of the deadline', async () => {
    let now = 0;
    const first = scripted('first', true, () => {
      now += 150;
      throw new DubdError('ENGINE_FAILED', 'no', { retryable: true });
    });
    const second = scripted('second', true, () => 'ok');
    const r = await new FallbackMt([first, second], () => now).translateDetailed({ ...req, text: 'x', deadlineMs: 400 });
    expect(r.provider).toBe('second');
    expect(second.calls[0].deadlineMs).toBe(250);
  });

  it('fails retryable, naming every entry, when all fail and one could pass later', async () => {
    const a = scripted('a', true, () => {
      throw new DubdError('UNAUTHENTICATED', 'a refused the key');
    });
    const b = scripted('b', false, () => {
      throw new DubdError('ENGINE_FAILED', 'b crashed', { retryable: true });
    });
    const err = (await new FallbackMt([a, b]).translateDetailed({ ...req, text: 'x' }).catch((e: unknown) => e)) as DubdError;
    expect([err.code, err.retryable, err.message]).toEqual(['ENGINE_FAILED', true, 'no translation (a: a refused the key; b: b crashed)']);
  });

  it('keeps a failure that no retry can fix non-retryable', async () => {
    const a = scripted('a', true, () => {
      throw new DubdError('UNAUTHENTICATED', 'a refused the key');
    });
    const err = (await new FallbackMt([a]).translateDetailed({ ...req, text: 'x' }).catch((e: unknown) => e)) as DubdError;
    expect([err.code, err.retryable]).toEqual(['UNAUTHENTICATED', false]);
  });

  it('skips entries that lack the pair, and says so when none has it', async () => {
    const es = scripted('es-only', true, () => 'hola', ['en-es']);
    const pt = scripted('pt-only', false, () => 'olá', ['en-pt']);
    const chain = new FallbackMt([es, pt]);
    expect((await chain.translateDetailed({ ...req, to: 'pt', text: 'hello' })).provider).toBe('pt-only');
    expect(es.calls).toHaveLength(0);
    await expect(chain.translateDetailed({ ...req, to: 'de', text: 'hello' })).rejects.toMatchObject({ code: 'UNSUPPORTED_LANGUAGE_PAIR' });
  });

  it('stops at the caller abort instead of trying the next entry', async () => {
    const ctrl = new AbortController();
    const a = scripted('a', true, () => {
      ctrl.abort();
      throw new DubdError('ABORTED', 'aborted');
    });
    const b = scripted('b', false, () => 'hola');
    await expect(new FallbackMt([a, b]).translateDetailed({ ...req, text: 'x', signal: ctrl.signal })).rejects.toMatchObject({ code: 'ABORTED' });
    expect(b.calls).toHaveLength(0);
  });

  it('refuses requests after close()', async () => {
    const chain = new FallbackMt([scripted('a', false, () => 'x')]);
    await chain.close();
    await chain.close();
    await expect(chain.translate({ ...req, text: 'x' })).rejects.toBeInstanceOf(InvalidStateError);
  });
});
