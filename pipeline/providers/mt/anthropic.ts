/**
 * Translation through the official `@anthropic-ai/sdk` client: the Messages API (system prompt apart from
 * the turns), streamed as content_block_delta events. The SDK's own retries are off (see resilience.ts).
 * No temperature is sent: the Messages API of SDK 1.x no longer takes sampling parameters.
 */
import Anthropic from '@anthropic-ai/sdk';
import type { ChatBackend } from './llm.js';
import { apiKeyFrom, defaultLlmOptions, LlmMt, type LlmOptions } from './llm.js';
import type { ChatMessage } from './prompt.js';
import { realDeps, type RetryDeps } from './resilience.js';

export interface AnthropicMtOptions extends LlmOptions {
  baseUrl: string;
  model: string;
  maxTokens: number;
  /** The key itself; when empty, read from `apiKeyEnv`. */
  apiKey: string;
  apiKeyEnv: string;
  env: NodeJS.ProcessEnv;
  deps: RetryDeps;
}

export const defaultAnthropicMtOptions: AnthropicMtOptions = {
  ...defaultLlmOptions,
  baseUrl: 'https://api.anthropic.com',
  model: 'claude-haiku-4-5',
  maxTokens: 512,
  apiKey: '',
  apiKeyEnv: 'ANTHROPIC_API_KEY',
  env: process.env,
  deps: realDeps,
};

/** The client as dubd configures it (also used by the doctor probe). */
export function anthropicClient(o: Pick<AnthropicMtOptions, 'baseUrl' | 'apiKey'>): Anthropic {
  // An explicit key: the client then ignores ANTHROPIC_* variables and profile files.
  return new Anthropic({ apiKey: o.apiKey || 'none', baseURL: o.baseUrl, maxRetries: 0, timeout: 120_000 });
}

/** The Messages API takes the system prompt apart and only user/assistant turns. */
function split(messages: ChatMessage[]): { system: string; turns: { role: 'user' | 'assistant'; content: string }[] } {
  const system = messages.filter((m) => m.role === 'system').map((m) => m.content).join('\n');
  const turns = messages.flatMap((m) => (m.role === 'system' ? [] : [{ role: m.role, content: m.content }]));
  return { system, turns };
}

class AnthropicBackend implements ChatBackend {
  readonly id = 'anthropic';
  readonly name = 'Anthropic';
  readonly model: string;

  constructor(
    private readonly client: Anthropic,
    private readonly o: AnthropicMtOptions,
  ) {
    this.model = o.model;
  }

  async *stream(messages: ChatMessage[], signal: AbortSignal): AsyncIterable<string> {
    const { system, turns } = split(messages);
    const stream = await this.client.messages.create(
      { model: this.o.model, max_tokens: this.o.maxTokens, system, messages: turns, stream: true },
      { signal },
    );
    for await (const event of stream) {
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') yield event.delta.text;
    }
  }

  async complete(messages: ChatMessage[], signal: AbortSignal): Promise<string> {
    const { system, turns } = split(messages);
    const res = await this.client.messages.create(
      { model: this.o.model, max_tokens: this.o.maxTokens, system, messages: turns, stream: false },
      { signal },
    );
    return res.content.flatMap((b) => (b.type === 'text' ? [b.text] : [])).join('');
  }
}

export class AnthropicMt extends LlmMt {
  static async load(opts: Partial<AnthropicMtOptions> = {}): Promise<AnthropicMt> {
    const o = { ...defaultAnthropicMtOptions, ...opts };
    const apiKey = o.apiKey || apiKeyFrom(o.apiKeyEnv, o.env, 'Anthropic');
    return new AnthropicMt(new AnthropicBackend(anthropicClient({ baseUrl: o.baseUrl, apiKey }), o), o, o.deps);
  }
}
