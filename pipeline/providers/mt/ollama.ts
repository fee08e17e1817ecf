/**
 * Translation through the official `ollama` client (/api/chat, NDJSON when streaming). The client takes no
 * per-request AbortSignal and keeps no response headers, so each attempt gets its own client over a fetch
 * that adds the attempt's signal and remembers the headers of an error reply (for Retry-After).
 */
import { Ollama, type Fetch } from 'ollama';
import type { ChatBackend } from './llm.js';
import { apiKeyFrom, defaultLlmOptions, LlmMt, type LlmOptions } from './llm.js';
import { classifyRemoteError } from './errors.js';
import type { ChatMessage } from './prompt.js';
import { realDeps, type RetryDeps } from './resilience.js';

export interface OllamaMtOptions extends LlmOptions {
  baseUrl: string;
  model: string;
  temperature: number;
  maxTokens: number;
  /** Sent as a bearer token (Ollama behind an authenticating proxy); '' = none. */
  apiKey: string;
  apiKeyEnv: string;
  env: NodeJS.ProcessEnv;
  /** How long Ollama keeps the model loaded after a request ('5m'); a live stream wants it warm. */
  keepAlive: string;
  deps: RetryDeps;
}

export const defaultOllamaMtOptions: OllamaMtOptions = {
  ...defaultLlmOptions,
  baseUrl: 'http://127.0.0.1:11434',
  model: 'qwen2.5:7b',
  temperature: 0.2,
  maxTokens: 512,
  apiKey: '',
  apiKeyEnv: '',
  env: process.env,
  keepAlive: '30m',
  deps: realDeps,
};

/** A client whose every request stops when `signal` fires and whose error headers land in `seen`. */
export function ollamaClient(o: Pick<OllamaMtOptions, 'baseUrl' | 'apiKey'>, signal?: AbortSignal, seen?: { headers?: Headers }): Ollama {
  const fetchWithSignal: Fetch = async (input, init) => {
    const signals = [init?.signal, signal].filter((s): s is AbortSignal => s instanceof AbortSignal);
    const res = await fetch(input, { ...init, signal: signals.length > 0 ? AbortSignal.any(signals) : undefined });
    if (!res.ok && seen) seen.headers = res.headers;
    return res;
  };
  return new Ollama({ host: o.baseUrl, fetch: fetchWithSignal, headers: o.apiKey ? { Authorization: `Bearer ${o.apiKey}` } : undefined });
}

/** An HTTP error with the headers our fetch saw (ollama's ResponseError keeps only the status). */
function withHeaders(err: unknown, seen: { headers?: Headers }): unknown {
  if (typeof (err as { status_code?: unknown } | undefined)?.status_code !== 'number') return err;
  return classifyRemoteError(err, { name: 'Ollama', timedOut: false, timeoutMs: 0, headers: seen.headers });
}

class OllamaBackend implements ChatBackend {
  readonly id = 'ollama';
  readonly name = 'Ollama';
  readonly model: string;

  constructor(private readonly o: OllamaMtOptions) {
    this.model = o.model;
  }

  async *stream(messages: ChatMessage[], signal: AbortSignal): AsyncIterable<string> {
    const seen: { headers?: Headers } = {};
    try {
      const parts = await ollamaClient(this.o, signal, seen).chat({ model: this.o.model, messages, stream: true, keep_alive: this.o.keepAlive, options: this.options() });
      try {
        for await (const part of parts) if (part.message?.content) yield part.message.content;
      } finally {
        parts.abort();
      }
    } catch (err) {
      throw withHeaders(err, seen);
    }
  }

  async complete(messages: ChatMessage[], signal: AbortSignal): Promise<string> {
    const seen: { headers?: Headers } = {};
    try {
      const res = await ollamaClient(this.o, signal, seen).chat({ model: this.o.model, messages, stream: false, keep_alive: this.o.keepAlive, options: this.options() });
      return res.message?.content ?? '';
    } catch (err) {
      throw withHeaders(err, seen);
    }
  }

  private options(): { temperature: number; num_predict: number } {
    return { temperature: this.o.temperature, num_predict: this.o.maxTokens };
  }
}

export class OllamaMt extends LlmMt {
  static async load(opts: Partial<OllamaMtOptions> = {}): Promise<OllamaMt> {
    const o = { ...defaultOllamaMtOptions, ...opts };
    const apiKey = o.apiKey || apiKeyFrom(o.apiKeyEnv, o.env, 'Ollama');
    return new OllamaMt(new OllamaBackend({ ...o, apiKey }), o, o.deps);
  }
}
