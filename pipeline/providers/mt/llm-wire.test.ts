/**
 * The three LLM providers through their official clients, against local servers on port 0 that speak each
 * API's wire format (JSON and streaming), including 429 with Retry-After, 500, hangs, dropped connections
 * and 401.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DubdError, InvalidStateError } from '../../errors.js';
import { AnthropicMt } from './anthropic.js';
import type { LlmMt, LlmOptions } from './llm.js';
import { OllamaMt } from './ollama.js';
import { OpenAiMt } from './openai.js';
import { realDeps, type RetryDeps } from './resilience.js';
import { startWireServer, type WireKind, type WireServer } from './testing/wire-servers.js';

const FORMAT: Record<WireKind, string> = { openai: 'OpenAI', anthropic: 'Anthropic', ollama: 'Ollama' };

interface Common extends Partial<LlmOptions> {
  baseUrl: string;
  apiKey?: string;
  model?: string;
  env?: NodeJS.ProcessEnv;
  deps?: RetryDeps;
}

function load(kind: WireKind, o: Common): Promise<LlmMt> {
  if (kind === 'openai') return OpenAiMt.load({ apiKey: 'test-key', model: 'test-model', ...o });
  if (kind === 'anthropic') return AnthropicMt.load({ apiKey: 'test-key', model: 'test-model', ...o });
  return OllamaMt.load({ apiKey: 'test-key', model: 'test-model', ...o });
}

/** Real timers for timeouts, but backoff waits are recorded and skipped. */
function recordingDeps(): RetryDeps & { waits: number[] } {
  const waits: number[] = [];
  return { ...realDeps, waits, sleep: async (ms: number) => void waits.push(ms) };
}

const req = { from: 'en', to: 'es', context: [] as string[] };

describe.each(['openai', 'anthropic', 'ollama'] as const)('%s', (kind) => {
  const wire = `(local server speaking the ${FORMAT[kind]} wire format)`;
  let server: WireServer;

  beforeAll(async () => {
    server = await startWireServer(kind, { respond: (r) => `«${r.text.toUpperCase()}»` });
  });
  afterAll(async () => {
    await server.close();
  });

  it(`translates through the one-shot API, sending the model, context and glossary ${wire}`, async () => {
    const mt = await load(kind, { baseUrl: server.baseUrl, stream: false, model: 'my-model' });
    const before = server.requests.length;
    const { text } = await mt.translateDetailed({ ...req, text: 'the keynote', context: ['good morning'], glossary: { keynote: 'ponencia' } });
    expect(text).toBe('THE KEYNOTE');
    const sent = server.requests.slice(before);
    expect(sent).toHaveLength(1);
    expect(sent[0].stream).toBe(false);
    expect(sent[0].body.model).toBe('my-model');
    expect(sent[0].system).toContain('keynote → ponencia');
    expect(sent[0].user).toContain('> good morning');
    expect(sent[0].headers.authorization).toBe('Bearer test-key');
    await mt.close();
  });

  it(`translates through the streaming API, joining the pieces ${wire}`, async () => {
    const mt = await load(kind, { baseUrl: server.baseUrl, stream: true });
    const before = server.requests.length;
    expect(await mt.translate({ ...req, text: 'streamed sentence here' })).toBe('STREAMED SENTENCE HERE');
    expect(server.requests[before].stream).toBe(true);
    await mt.close();
  });

  it(`yields the translation piece by piece from translateStream() ${wire}`, async () => {
    const mt = await load(kind, { baseUrl: server.baseUrl });
    const pieces: string[] = [];
    for await (const p of mt.translateStream({ ...req, text: 'one two three' })) pieces.push(p);
    // The server sends four characters at a time, the first being the opening quote.
    expect(pieces.length).toBeGreaterThan(2);
    expect(pieces.join('')).toBe('«ONE TWO THREE»');
    await mt.close();
  });

  it(`waits the Retry-After of a 429, then succeeds ${wire}`, async () => {
    const deps = recordingDeps();
    const mt = await load(kind, { baseUrl: server.baseUrl, deps });
    const before = server.requests.length;
    server.queue({ status: 429, retryAfter: '3' });
    expect(await mt.translate({ ...req, text: 'after rate limit' })).toBe('AFTER RATE LIMIT');
    expect(server.requests.length - before).toBe(2);
    expect(deps.waits).toEqual([3000]);
    await mt.close();
  });

  it(`retries a 500 and a dropped connection with backoff, then succeeds ${wire}`, async () => {
    const deps = recordingDeps();
    const mt = await load(kind, { baseUrl: server.baseUrl, deps, maxRetries: 2 });
    const before = server.requests.length;
    server.queue({ status: 500 }, { reset: true });
    expect(await mt.translate({ ...req, text: 'third time lucky' })).toBe('THIRD TIME LUCKY');
    expect(server.requests.length - before).toBe(3);
    expect(deps.waits).toHaveLength(2);
    expect(deps.waits[0]).toBeGreaterThanOrEqual(125);
    expect(deps.waits[0]).toBeLessThanOrEqual(250);
    await mt.close();
  });

  it(`gives up on a server that never answers after timeoutMs per attempt ${wire}`, async () => {
    const mt = await load(kind, { baseUrl: server.baseUrl, deps: recordingDeps(), timeoutMs: 150, maxRetries: 1 });
    const before = server.requests.length;
    server.queue({ hang: true }, { hang: true });
    const err = (await mt.translate({ ...req, text: 'anyone there' }).catch((e: unknown) => e)) as DubdError;
    expect(err).toBeInstanceOf(DubdError);
    expect(err.retryable).toBe(true);
    expect(err.message).toBe(`${FORMAT[kind]} gave no answer within 150 ms`);
    expect(server.requests.length - before).toBe(2);
    await mt.close();
  });

  it(`does not retry a 401 and says the key was refused ${wire}`, async () => {
    const mt = await load(kind, { baseUrl: server.baseUrl, deps: recordingDeps() });
    const before = server.requests.length;
    server.queue({ status: 401, message: 'invalid x-api-key' });
    const err = (await mt.translate({ ...req, text: 'secret' }).catch((e: unknown) => e)) as DubdError;
    expect([err.code, err.retryable]).toEqual(['UNAUTHENTICATED', false]);
    expect(err.message).toBe(`${FORMAT[kind]} answered 401: invalid x-api-key`);
    expect(server.requests.length - before).toBe(1);
    await mt.close();
  });

  it(`asks once for a shorter version when the answer is over the syllable budget, and keeps it ${wire}`, async () => {
    const mt = await load(kind, { baseUrl: server.baseUrl });
    const before = server.requests.length;
    server.queue({ reply: 'Muchísimas gracias a todos ustedes por haber venido' }, { reply: 'Gracias por venir' });
    const r = await mt.translateDetailed({ ...req, text: 'thank you all for coming', maxSyllables: 8 });
    expect([r.text, r.shortened]).toEqual(['Gracias por venir', true]);
    const second = server.requests[before + 1];
    expect(second.user).toContain('the limit is 8');
    expect(server.requests.length - before).toBe(2);
    await mt.close();
  });

  it(`keeps the first answer when the second is no shorter ${wire}`, async () => {
    const mt = await load(kind, { baseUrl: server.baseUrl });
    server.queue({ reply: 'Buenos días a todos' }, { reply: 'Muy buenos días a todos ustedes' });
    const r = await mt.translateDetailed({ ...req, text: 'good morning everyone', maxSyllables: 4 });
    expect([r.text, r.shortened]).toEqual(['Buenos días a todos', false]);
    await mt.close();
  });

  it(`fails with a retryable error naming the deadline when the server misses it ${wire}`, async () => {
    const mt = await load(kind, { baseUrl: server.baseUrl, timeoutMs: 10_000 });
    server.queue({ hang: true });
    const err = (await mt.translateDetailed({ ...req, text: 'too slow', deadlineMs: 100 }).catch((e: unknown) => e)) as DubdError;
    expect([err.code, err.retryable, err.message]).toEqual(['ENGINE_FAILED', true, `${FORMAT[kind]} missed the 100 ms deadline`]);
    await mt.close();
  });

  it(`aborts a request in flight on close(), and refuses requests after it ${wire}`, async () => {
    const mt = await load(kind, { baseUrl: server.baseUrl, timeoutMs: 10_000 });
    server.queue({ hang: true });
    const pending = mt.translate({ ...req, text: 'interrupted' }).catch((e: unknown) => e);
    while (!server.requests.some((r) => r.text === 'interrupted')) await new Promise((r) => setTimeout(r, 5));
    await mt.close();
    await mt.close();
    expect(await pending).toMatchObject({ code: 'ABORTED' });
    await expect(mt.translate({ ...req, text: 'x' })).rejects.toBeInstanceOf(InvalidStateError);
  });

  it(`stops silently with ABORTED when the caller aborts ${wire}`, async () => {
    const mt = await load(kind, { baseUrl: server.baseUrl, timeoutMs: 10_000 });
    server.queue({ hang: true });
    const ctrl = new AbortController();
    const pending = mt.translate({ ...req, text: 'cancel me', signal: ctrl.signal }).catch((e: unknown) => e);
    while (!server.requests.some((r) => r.text === 'cancel me')) await new Promise((r) => setTimeout(r, 5));
    const count = server.requests.length;
    ctrl.abort();
    expect(await pending).toMatchObject({ code: 'ABORTED' });
    expect(server.requests.length).toBe(count);
    await mt.close();
  });
});

describe('loading an LLM provider', () => {
  it('fails with one readable error when the API key variable is not set', async () => {
    await expect(OpenAiMt.load({ env: {}, apiKeyEnv: 'OPENAI_API_KEY' })).rejects.toMatchObject({ code: 'ENGINE_MISSING', message: 'OpenAI: no API key (set OPENAI_API_KEY)' });
    await expect(AnthropicMt.load({ env: {} })).rejects.toMatchObject({ code: 'ENGINE_MISSING', message: 'Anthropic: no API key (set ANTHROPIC_API_KEY)' });
  });

  it('needs no key for Ollama and reports the model as its version', async () => {
    const mt = await OllamaMt.load({ env: {}, model: 'qwen2.5:7b' });
    expect(mt.info).toEqual({ id: 'ollama', version: 'qwen2.5:7b' });
    expect(mt.capabilities.pairs).toContain('en-es');
    await mt.close();
  });
});
