/**
 * An LLM translator over any chat backend (OpenAI, Anthropic, Ollama): the prompt with context, glossary
 * and length budget; timeouts, retries and the rate limit; measuring the answer against the budget and
 * asking once for a shorter one; streaming for callers that speak while the reply arrives.
 */
import { DubdError, InvalidStateError } from '../../errors.js';
import type { EngineInfo, MtCapabilities, MtRequest } from '../types.js';
import { classifyRemoteError } from './errors.js';
import { buildMessages, cleanReply, llmPairs, shorterMessages, type ChatMessage } from './prompt.js';
import { aborted, RateLimiter, realDeps, withRetries, type Classify, type RetryDeps, type RetryPolicy } from './resilience.js';
import { countSyllables } from './syllables.js';
import type { DetailedMtProvider, MtCallRequest, MtResult } from './types.js';

/** One chat service, reached through its official client. */
export interface ChatBackend {
  readonly id: string;
  /** For messages ('OpenAI'). */
  readonly name: string;
  readonly model: string;
  /** The reply's text pieces as they arrive; stops when the signal fires. */
  stream(messages: ChatMessage[], signal: AbortSignal): AsyncIterable<string>;
  /** The whole reply at once. */
  complete(messages: ChatMessage[], signal: AbortSignal): Promise<string>;
  /** Classification that knows more than the generic one (e.g. headers the SDK does not keep). */
  classify?: Classify;
}

export interface LlmOptions {
  timeoutMs: number;
  maxRetries: number;
  /** 0 = no client-side limit. */
  requestsPerMinute: number;
  /** translate() reads the streaming API (and joins it) instead of the one-shot one. */
  stream: boolean;
  backoffMs: number;
  maxBackoffMs: number;
  /** Pairs offered; default every pair of the languages the prompt can name. */
  pairs: string[];
}

export const defaultLlmOptions: LlmOptions = {
  timeoutMs: 10_000,
  maxRetries: 2,
  requestsPerMinute: 0,
  stream: true,
  backoffMs: 250,
  maxBackoffMs: 8000,
  pairs: [],
};

export class LlmMt implements DetailedMtProvider {
  readonly info: EngineInfo;
  readonly capabilities: MtCapabilities;
  readonly remote = true;
  private readonly policy: RetryPolicy;
  private readonly limiter: RateLimiter;
  private readonly closing = new AbortController();
  private closed = false;

  constructor(
    private readonly backend: ChatBackend,
    private readonly opts: LlmOptions,
    private readonly deps: RetryDeps = realDeps,
  ) {
    this.info = { id: backend.id, version: backend.model };
    this.capabilities = { pairs: opts.pairs.length > 0 ? opts.pairs : llmPairs(), usesContext: true, streaming: true };
    this.policy = { name: backend.name, timeoutMs: opts.timeoutMs, maxRetries: opts.maxRetries, backoffMs: opts.backoffMs, maxBackoffMs: opts.maxBackoffMs };
    this.limiter = new RateLimiter(opts.requestsPerMinute, deps);
  }

  async translate(req: MtRequest): Promise<string> {
    return (await this.translateDetailed(req)).text;
  }

  async translateDetailed(req: MtCallRequest): Promise<MtResult> {
    this.assertOpen();
    const start = this.deps.now();
    const id = this.info.id;
    const done = (text: string, shortened = false): MtResult => ({
      text,
      provider: id,
      candidates: [{ provider: id, text, ms: this.deps.now() - start }],
      cacheHit: false,
      fallback: false,
      shortened,
    });
    if (!req.text.trim()) return done('');
    const deadline = req.deadlineMs !== undefined ? AbortSignal.timeout(Math.max(0, Math.ceil(req.deadlineMs))) : undefined;
    const signal = this.signalFor(req.signal, deadline);
    const messages = buildMessages(req);
    let first: string;
    try {
      first = await this.ask(messages, signal);
    } catch (err) {
      throw this.missedDeadline(err, req, deadline);
    }
    if (req.maxSyllables === undefined) return done(first);
    const syllables = countSyllables(first, req.to);
    if (syllables <= req.maxSyllables) return done(first);
    try {
      const second = await this.ask(shorterMessages(messages, first, syllables, req.maxSyllables, req.to), signal);
      // Keep the shorter: a "shorter" answer that is not is no improvement.
      return countSyllables(second, req.to) < syllables ? done(second, true) : done(first);
    } catch (err) {
      // The first answer stands when the second is late or fails; only the caller's abort ends the call.
      if (req.signal?.aborted || this.closed) throw err;
      return done(first);
    }
  }

  /** The live deadline (not the caller) stopped the call: a retryable failure the fallback answers. */
  private missedDeadline(err: unknown, req: MtCallRequest, deadline: AbortSignal | undefined): unknown {
    if (!deadline?.aborted || req.signal?.aborted || this.closed) return err;
    return new DubdError('ENGINE_FAILED', `${this.backend.name} missed the ${req.deadlineMs} ms deadline`, { retryable: true, cause: err });
  }

  /**
   * The translation's text as it arrives, so speech can start early. The budget is in the prompt, but
   * the answer is not measured (it is already on its way). Retries happen until the first piece arrives;
   * after that a failure ends the stream with the error.
   */
  async *translateStream(req: MtCallRequest): AsyncGenerator<string> {
    this.assertOpen();
    if (!req.text.trim()) return;
    const signal = this.signalFor(req.signal);
    const messages = buildMessages(req);
    const rest = new AbortController();
    const onAbort = (): void => rest.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    let timer: NodeJS.Timeout | undefined;
    let iterator: AsyncIterator<string> | undefined;
    try {
      const opened = await withRetries(
        this.policy,
        signal,
        async (s) => {
          const it = this.backend.stream(messages, AbortSignal.any([s, rest.signal]))[Symbol.asyncIterator]();
          const first = await it.next();
          return { it, first };
        },
        this.classify,
        { limiter: this.limiter, deps: this.deps },
      );
      iterator = opened.it;
      // The rest of the reply gets the same budget an attempt has.
      timer = setTimeout(() => rest.abort(new DubdError('ENGINE_FAILED', `${this.backend.name} gave no answer within ${this.opts.timeoutMs} ms`, { retryable: true })), this.opts.timeoutMs);
      let leading = true;
      for (let r = opened.first; !r.done; r = await iterator.next()) {
        // Leading whitespace only: a piece may end in the space before the next word.
        const piece = leading ? r.value.replace(/^\s+/, '') : r.value;
        if (!piece) continue;
        leading = false;
        yield piece;
      }
    } catch (err) {
      if (signal.aborted) throw aborted(signal);
      throw this.classify(err, { name: this.backend.name, timedOut: rest.signal.aborted, timeoutMs: this.opts.timeoutMs });
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      rest.abort();
      await iterator?.return?.().catch(() => undefined);
    }
  }

  /** Idempotent: aborts requests in flight. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closing.abort(new InvalidStateError(`${this.info.id}: closed`));
  }

  private readonly classify: Classify = (err, c) => this.backend.classify?.(err, c) ?? classifyRemoteError(err, c);

  /** One answer, with retries; an empty reply counts as a failed attempt. */
  private ask(messages: ChatMessage[], signal: AbortSignal): Promise<string> {
    return withRetries(
      this.policy,
      signal,
      async (s) => {
        let reply = '';
        if (this.opts.stream) for await (const piece of this.backend.stream(messages, s)) reply += piece;
        else reply = await this.backend.complete(messages, s);
        const text = cleanReply(reply);
        if (!text) throw new DubdError('ENGINE_FAILED', `${this.backend.name} sent an empty translation`, { retryable: true });
        return text;
      },
      this.classify,
      { limiter: this.limiter, deps: this.deps },
    );
  }

  private signalFor(...signals: (AbortSignal | undefined)[]): AbortSignal {
    return AbortSignal.any([this.closing.signal, ...signals.filter((s): s is AbortSignal => s !== undefined)]);
  }

  private assertOpen(): void {
    if (this.closed) throw new InvalidStateError(`${this.info.id}: translate() after close()`);
  }
}

/** The API key from the environment variable the config names; '' when it names none. */
export function apiKeyFrom(envName: string, env: NodeJS.ProcessEnv, provider: string): string {
  if (!envName) return '';
  const key = env[envName]?.trim();
  if (!key) throw new DubdError('ENGINE_MISSING', `${provider}: no API key (set ${envName})`);
  return key;
}
