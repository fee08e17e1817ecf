/**
 * ASR through an OpenAI-compatible transcription endpoint (`POST {baseUrl}/audio/transcriptions`): OpenAI
 * itself, or a local faster-whisper / whisper.cpp server. Audio goes up as 16 kHz mono 16-bit WAV; the
 * answer is asked for as verbose_json with word timestamps, which servers may or may not give (no words →
 * a hypothesis with text and no words). Partials re-send the growing utterance, so they are off by default.
 */
import OpenAI, { toFile } from 'openai';
import { DubdError, InvalidStateError } from '../../errors.js';
import { encodeWav } from '../../audio/wav.js';
import type { Word } from '../../frames.js';
import type { AsrCapabilities, AsrHypothesis, AsrProvider, AsrStream, EngineInfo } from '../types.js';
import { GrowingWindowStream, trackedStream } from './growing-window.js';

export interface OpenAiTranscribeOptions {
  baseUrl: string;
  model: string;
  /** The key itself; empty for servers that need none (OpenAI's own endpoint refuses to load without one). */
  apiKey: string;
  /** Named in error messages: where the key comes from. */
  apiKeyEnv: string;
  timeoutMs: number;
  maxRetries: number;
  /** 0 = one request per utterance, at its end. */
  decodeIntervalMs: number;
  maxWindowMs: number;
  /** Check on load() that the server answers (so a fallback can take over when it does not). */
  checkOnLoad: boolean;
}

export const defaultOpenAiTranscribeOptions: Readonly<OpenAiTranscribeOptions> = {
  baseUrl: 'https://api.openai.com/v1',
  model: 'whisper-1',
  apiKey: '',
  apiKeyEnv: 'OPENAI_API_KEY',
  timeoutMs: 30_000,
  maxRetries: 2,
  decodeIntervalMs: 0,
  maxWindowMs: 20_000,
  checkOnLoad: true,
};

const SAMPLE_RATE = 16_000;
/** Shorter audio is refused by OpenAI ("audio too short") and holds no word anyway. */
const MIN_AUDIO_MS = 100;

/** The languages of the Whisper API (ISO 639-1). */
const WHISPER_LANGUAGES = (
  'af ar hy az be bs bg ca zh hr cs da nl en et fi fr gl de el he hi hu is id it ja kn kk ko lv lt mk ms mr mi ne no fa pl pt ' +
  'ro ru sr sk sl es sw sv tl ta th tr uk ur vi cy'
).split(' ');

interface VerboseWord {
  word?: string;
  start?: number;
  end?: number;
}
interface VerboseBody {
  text?: string;
  words?: VerboseWord[];
}

/** verbose_json → hypothesis; word times in seconds become ms. */
export function verboseToHypothesis(body: VerboseBody): AsrHypothesis {
  const text = (body.text ?? '').replace(/\s+/g, ' ').trim();
  const words: Word[] = [];
  for (const w of body.words ?? []) {
    const t = (w.word ?? '').trim();
    if (!t || typeof w.start !== 'number' || typeof w.end !== 'number') continue;
    const startMs = Math.round(w.start * 1000);
    words.push({ text: t, startMs, endMs: Math.max(startMs + 1, Math.round(w.end * 1000)) });
  }
  return { text, words };
}

function isOpenAiHost(baseUrl: string): boolean {
  try {
    return new URL(baseUrl).hostname.endsWith('openai.com');
  } catch {
    return false;
  }
}

export class OpenAiTranscribeAsr implements AsrProvider {
  readonly info: EngineInfo;
  readonly capabilities: AsrCapabilities;
  private readonly client: OpenAI;
  private readonly aborter = new AbortController();
  private readonly open = new Set<AsrStream>();
  private closing: Promise<void> | undefined;

  private constructor(private readonly o: OpenAiTranscribeOptions) {
    this.client = new OpenAI({
      // The client insists on a key; local servers ignore it.
      apiKey: o.apiKey || 'unused',
      baseURL: o.baseUrl,
      timeout: o.timeoutMs,
      maxRetries: o.maxRetries,
    });
    this.info = { id: 'openai', version: `${o.model} at ${o.baseUrl}` };
    this.capabilities = { sampleRate: SAMPLE_RATE, streaming: o.decodeIntervalMs > 0, wordTimestamps: true, languages: WHISPER_LANGUAGES };
  }

  /** ENGINE_MISSING without a key for OpenAI, or when the server does not answer; ENGINE_FAILED when it refuses the key. */
  static async load(opts: Partial<OpenAiTranscribeOptions> = {}): Promise<OpenAiTranscribeAsr> {
    const o = { ...defaultOpenAiTranscribeOptions, ...opts };
    if (!o.apiKey && isOpenAiHost(o.baseUrl)) {
      throw new DubdError('ENGINE_MISSING', `no API key for ${o.baseUrl}: set ${o.apiKeyEnv} (or point asr.openai.baseUrl at a local server)`);
    }
    const asr = new OpenAiTranscribeAsr(o);
    if (o.checkOnLoad) await asr.check();
    return asr;
  }

  /**
   * Asks the server for its models: any HTTP answer but 401/403 means it is there (whisper.cpp has no
   * /models and says 404); no answer means it is not.
   */
  async check(): Promise<void> {
    try {
      await this.client.models.list({ maxRetries: 0, timeout: Math.min(this.o.timeoutMs, 5000), signal: this.aborter.signal });
    } catch (err) {
      if (err instanceof OpenAI.APIError && err.status !== undefined && err.status !== 401 && err.status !== 403) return;
      const e = this.toError(err);
      throw e.code === 'ENGINE_FAILED' && e.retryable ? new DubdError('ENGINE_MISSING', e.message, { retryable: true, cause: err }) : e;
    }
  }

  async createStream(opts: { language: string }): Promise<AsrStream> {
    this.assertOpen();
    const language = opts.language;
    const inner = new GrowingWindowStream(
      (w) => this.request(w, language),
      { sampleRate: SAMPLE_RATE, decodeIntervalMs: this.o.decodeIntervalMs, maxWindowMs: this.o.maxWindowMs, paceToAudio: true },
      'openai transcription stream',
    );
    return trackedStream(inner, this.open);
  }

  async transcribe(samples: Float32Array, opts: { language: string }): Promise<AsrHypothesis> {
    this.assertOpen();
    return this.request(samples, opts.language);
  }

  /** Idempotent: aborts requests in flight. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.aborter.abort();
      await Promise.all([...this.open].map((s) => s.cancel()));
      this.open.clear();
    })();
    return this.closing;
  }

  private async request(samples: Float32Array, language: string): Promise<AsrHypothesis> {
    this.assertOpen();
    if ((samples.length * 1000) / SAMPLE_RATE < MIN_AUDIO_MS) return { text: '', words: [] };
    const file = await toFile(encodeWav(samples, SAMPLE_RATE), 'audio.wav', { type: 'audio/wav' });
    try {
      const body = await this.client.audio.transcriptions.create(
        {
          file,
          model: this.o.model,
          response_format: 'verbose_json',
          timestamp_granularities: ['word'],
          language: language.split('-')[0].toLowerCase(),
        },
        { signal: this.aborter.signal },
      );
      return verboseToHypothesis(body);
    } catch (err) {
      throw this.toError(err);
    }
  }

  /** One readable line per failure; retryable where another try (or the next utterance) may pass. */
  private toError(err: unknown): DubdError {
    const where = `transcription endpoint ${this.o.baseUrl}`;
    if (err instanceof OpenAI.APIUserAbortError || this.aborter.signal.aborted) return new DubdError('ABORTED', `${where}: request aborted`);
    if (err instanceof OpenAI.APIConnectionTimeoutError) {
      return new DubdError('ENGINE_FAILED', `${where} did not answer within ${this.o.timeoutMs} ms`, { retryable: true, cause: err });
    }
    if (err instanceof OpenAI.APIConnectionError) {
      return new DubdError('ENGINE_FAILED', `${where} cannot be reached (${networkReason(err)})`, { retryable: true, cause: err });
    }
    if (err instanceof OpenAI.APIError) {
      const status: number = typeof err.status === 'number' ? err.status : 0;
      const detail = firstLine(err.message);
      if (status === 401 || status === 403) {
        return new DubdError('ENGINE_FAILED', `${where} refused the API key (${status}): ${detail}; check ${this.o.apiKeyEnv}`, { cause: err });
      }
      if (status === 404) return new DubdError('ENGINE_FAILED', `${where} has no transcription route or model '${this.o.model}' (404): ${detail}`, { cause: err });
      return new DubdError('ENGINE_FAILED', `${where} answered ${status}: ${detail}`, { retryable: status >= 500 || status === 408 || status === 409 || status === 429, cause: err });
    }
    if (err instanceof DubdError) return err;
    return new DubdError('ENGINE_FAILED', `${where}: ${firstLine(err instanceof Error ? err.message : String(err))}`, { cause: err });
  }

  private assertOpen(): void {
    if (this.closing) throw new InvalidStateError('openai ASR is closed');
  }
}

/** fetch says only 'fetch failed'; the code (ECONNREFUSED, ENOTFOUND, ...) is further down the cause chain. */
function networkReason(err: Error): string {
  let e: unknown = err;
  for (let depth = 0; e instanceof Error && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = e.cause;
  }
  return firstLine(err.cause instanceof Error ? err.cause.message : err.message);
}

function firstLine(s: string): string {
  return s.split('\n')[0].trim();
}
