/**
 * Translation through the official `openai` client: Chat Completions at any OpenAI-compatible base URL
 * (OpenAI, Azure-style gateways, vLLM, llama.cpp server, LiteLLM). The SDK's own retries are off: the
 * retry loop in resilience.ts is the one place that decides, the same for every provider.
 */
import OpenAI from 'openai';
import type { ChatBackend } from './llm.js';
import { apiKeyFrom, defaultLlmOptions, LlmMt, type LlmOptions } from './llm.js';
import type { ChatMessage } from './prompt.js';
import { realDeps, type RetryDeps } from './resilience.js';

export interface OpenAiMtOptions extends LlmOptions {
  baseUrl: string;
  model: string;
  temperature: number;
  maxTokens: number;
  /** The key itself; when empty, read from `apiKeyEnv`. */
  apiKey: string;
  apiKeyEnv: string;
  env: NodeJS.ProcessEnv;
  deps: RetryDeps;
}

export const defaultOpenAiMtOptions: OpenAiMtOptions = {
  ...defaultLlmOptions,
  baseUrl: 'https://api.openai.com/v1',
  model: 'gpt-4o-mini',
  temperature: 0.2,
  maxTokens: 512,
  apiKey: '',
  apiKeyEnv: 'OPENAI_API_KEY',
  env: process.env,
  deps: realDeps,
};

/** The client as dubd configures it (also used by the doctor probe). */
export function openAiClient(o: Pick<OpenAiMtOptions, 'baseUrl' | 'apiKey'>): OpenAI {
  // OpenAI-compatible local servers take no key, but the client insists on one.
  return new OpenAI({ apiKey: o.apiKey || 'none', baseURL: o.baseUrl, maxRetries: 0, timeout: 120_000 });
}

class OpenAiBackend implements ChatBackend {
  readonly id = 'openai';
  readonly name = 'OpenAI';
  readonly model: string;

  constructor(
    private readonly client: OpenAI,
    private readonly o: OpenAiMtOptions,
  ) {
    this.model = o.model;
  }

  async *stream(messages: ChatMessage[], signal: AbortSignal): AsyncIterable<string> {
    const stream = await this.client.chat.completions.create(
      { model: this.o.model, messages, temperature: this.o.temperature, max_tokens: this.o.maxTokens, stream: true },
      { signal },
    );
    for await (const chunk of stream) {
      const piece = chunk.choices[0]?.delta?.content;
      if (piece) yield piece;
    }
  }

  async complete(messages: ChatMessage[], signal: AbortSignal): Promise<string> {
    const res = await this.client.chat.completions.create(
      { model: this.o.model, messages, temperature: this.o.temperature, max_tokens: this.o.maxTokens, stream: false },
      { signal },
    );
    return res.choices[0]?.message?.content ?? '';
  }
}

export class OpenAiMt extends LlmMt {
  static async load(opts: Partial<OpenAiMtOptions> = {}): Promise<OpenAiMt> {
    const o = { ...defaultOpenAiMtOptions, ...opts };
    const apiKey = o.apiKey || apiKeyFrom(o.apiKeyEnv, o.env, 'OpenAI');
    return new OpenAiMt(new OpenAiBackend(openAiClient({ baseUrl: o.baseUrl, apiKey }), o), o, o.deps);
  }
}
