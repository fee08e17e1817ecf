/**
 * Coqui XTTS-v2 behind an HTTP server speaking the coqui-ai/xtts-streaming-server API:
 *   POST /clone_speaker (multipart wav_file) → {gpt_cond_latent, speaker_embedding}
 *   POST /tts {text, language, speaker_embedding, gpt_cond_latent} → a base64 WAV (24 kHz) as a JSON string
 *   GET  /studio_speakers → {name: {speaker_embedding, gpt_cond_latent}}
 * A source speaker is cloned once from their speech (the latents are cached here; the server keeps no
 * state); without a clip, a studio speaker from the voice lists speaks.
 */
import { DubdError, InvalidStateError } from '../../errors.js';
import { decodeWav, encodeWav } from '../../audio/wav.js';
import type { EngineInfo, TtsCapabilities, TtsProvider } from '../types.js';
import { CloneCache } from './clone-cache.js';
import { httpCall, type HttpCallOptions } from './http.js';
import { abortError, checkRate, cleanText, langKey, listFor, type ClonedTtsRequest, type SpeakerReference, type SpokenResult } from './request.js';

export interface XttsLatents {
  gpt_cond_latent: number[][];
  speaker_embedding: number[];
}

export interface XttsOptions {
  baseUrl: string;
  /** Studio speaker names per language; the first is the default. */
  voices: Record<string, string[]>;
  clone: boolean;
  timeoutMs: number;
  retries: number;
  languages: string[];
  maxClones: number;
  /** A clone needs at least this much of the speaker's speech (XTTS wants a few seconds). */
  minCloneMs: number;
}

/** XTTS-v2's languages ('zh-cn' as it names Chinese). */
export const XTTS_LANGUAGES = ['ar', 'cs', 'de', 'en', 'es', 'fr', 'hi', 'hu', 'it', 'ja', 'ko', 'nl', 'pl', 'pt', 'ru', 'tr', 'zh-cn'];

export const defaultXttsOptions: XttsOptions = {
  baseUrl: 'http://127.0.0.1:8000',
  voices: {},
  clone: true,
  timeoutMs: 60_000,
  retries: 2,
  languages: XTTS_LANGUAGES,
  maxClones: 16,
  minCloneMs: 2000,
};

const SAMPLE_RATE = 24_000;
const CLONE_RETRY_MS = 30_000;

function isLatents(v: unknown): v is XttsLatents {
  const o = v as Partial<XttsLatents> | null;
  return !!o && Array.isArray(o.gpt_cond_latent) && Array.isArray(o.speaker_embedding) && o.speaker_embedding.length > 0;
}

/** The server's language code for a BCP 47 tag: 'pt-BR' → 'pt', 'zh-CN' → 'zh-cn'. */
export function xttsLanguage(lang: string): string {
  const key = langKey(lang);
  return key.startsWith('zh') ? 'zh-cn' : key.split('-')[0];
}

export class XttsTts implements TtsProvider {
  readonly info: EngineInfo = { id: 'xtts', version: 'XTTS-v2 (xtts-streaming-server API)' };
  readonly capabilities: TtsCapabilities;
  private readonly o: XttsOptions;
  private readonly clones: CloneCache<XttsLatents>;
  private studio: Promise<Record<string, XttsLatents>> | undefined;
  private closed = false;

  private constructor(o: XttsOptions) {
    this.o = o;
    this.capabilities = { sampleRate: SAMPLE_RATE, languages: [...o.languages].sort(), rate: false };
    this.clones = new CloneCache({ max: o.maxClones, retryAfterMs: CLONE_RETRY_MS });
  }

  /** Checks the options; the server is reached on the first request (the doctor probe reaches it earlier). */
  static async load(opts: Partial<XttsOptions> = {}): Promise<XttsTts> {
    const o = { ...defaultXttsOptions, ...opts, baseUrl: (opts.baseUrl ?? defaultXttsOptions.baseUrl).replace(/\/+$/, '') };
    if (!o.clone && Object.keys(o.voices).length === 0) {
      throw new DubdError('INVALID_CONFIG', 'XTTS has no voices: set tts.xtts.voices (studio speakers per language) or tts.xtts.clone');
    }
    return new XttsTts(o);
  }

  async synthesize(req: ClonedTtsRequest): Promise<SpokenResult> {
    if (this.closed) throw new InvalidStateError('synthesize() after close()');
    checkRate(req.rate);
    const language = xttsLanguage(req.lang);
    if (!this.o.languages.includes(language)) throw new DubdError('INVALID_ARGUMENT', `XTTS does not speak '${req.lang}'`);
    if (req.signal?.aborted) throw abortError(req.signal);
    const text = cleanText(req.text);
    if (!text) return { samples: new Float32Array(0), sampleRate: SAMPLE_RATE, provider: this.info.id };
    const latents = await this.latentsFor(req);
    const reply = await httpCall(
      `${this.o.baseUrl}/tts`,
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text, language, ...latents }) },
      this.call(req.signal),
    );
    let wav: ReturnType<typeof decodeWav>;
    try {
      wav = decodeWav(this.wavBytes(reply.body));
    } catch (err) {
      if (err instanceof DubdError && err.code === 'ENGINE_FAILED') throw err;
      throw new DubdError('ENGINE_FAILED', `XTTS sent audio that is not a usable WAV (${(err as Error).message})`, { cause: err });
    }
    if (wav.channels !== 1) throw new DubdError('ENGINE_FAILED', `XTTS sent ${wav.channels}-channel audio, expected mono`);
    return { samples: wav.samples, sampleRate: wav.sampleRate, provider: this.info.id };
  }

  /** Idempotent. The server holds no state of ours; the cached latents are dropped. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.clones.clear();
  }

  private async latentsFor(req: ClonedTtsRequest): Promise<XttsLatents> {
    if (req.voice) return this.studioSpeaker(req.voice, req.signal);
    const ref = req.reference;
    const longEnough = ref !== undefined && (ref.samples.length * 1000) / ref.sampleRate >= this.o.minCloneMs;
    const fallback = listFor(this.o.voices, req.lang)?.[0];
    if (this.o.clone && ref && longEnough) {
      // Without a speaker id the clip is cloned for this request only (the server is stateless).
      if (!req.speaker) return this.cloneSpeaker(ref, req.signal);
      try {
        const cloned = await this.clones.get(req.speaker, () => this.cloneSpeaker(ref, req.signal));
        if (cloned) return cloned;
      } catch (err) {
        if (!fallback) throw err;
      }
    }
    if (fallback) return this.studioSpeaker(fallback, req.signal);
    throw new DubdError('INVALID_ARGUMENT', `no XTTS voice for '${req.lang}' (set tts.xtts.voices, or enable clone: a clone needs ${this.o.minCloneMs} ms of the speaker)`);
  }

  private async cloneSpeaker(ref: SpeakerReference, signal?: AbortSignal): Promise<XttsLatents> {
    const form = new FormData();
    form.append('wav_file', new Blob([new Uint8Array(encodeWav(ref.samples, ref.sampleRate))], { type: 'audio/wav' }), 'reference.wav');
    const reply = await httpCall(`${this.o.baseUrl}/clone_speaker`, { method: 'POST', body: form }, this.call(signal));
    const latents = this.json(reply.body, 'clone_speaker');
    if (!isLatents(latents)) throw new DubdError('ENGINE_FAILED', 'XTTS clone_speaker answered without gpt_cond_latent/speaker_embedding');
    return latents;
  }

  private async studioSpeaker(name: string, signal?: AbortSignal): Promise<XttsLatents> {
    this.studio ??= httpCall(`${this.o.baseUrl}/studio_speakers`, { method: 'GET' }, this.call(signal)).then((r) => this.json(r.body, 'studio_speakers') as Record<string, XttsLatents>);
    let speakers: Record<string, XttsLatents>;
    try {
      speakers = await this.studio;
    } catch (err) {
      this.studio = undefined;
      throw err;
    }
    const hit = speakers[name];
    if (!isLatents(hit)) {
      const known = Object.keys(speakers).slice(0, 6).join(', ');
      throw new DubdError('INVALID_ARGUMENT', `XTTS has no studio speaker '${name}'${known ? ` (it has ${known}, …)` : ''}`);
    }
    return hit;
  }

  /** The /tts answer: a JSON string holding a base64 WAV, or (from other servers) the WAV bytes. */
  private wavBytes(body: Buffer): Buffer {
    if (body.subarray(0, 4).toString('ascii') === 'RIFF') return body;
    const value = this.json(body, 'tts');
    if (typeof value !== 'string') throw new DubdError('ENGINE_FAILED', 'XTTS /tts answered without audio');
    return Buffer.from(value, 'base64');
  }

  private json(body: Buffer, what: string): unknown {
    try {
      return JSON.parse(body.toString('utf8')) as unknown;
    } catch (err) {
      throw new DubdError('ENGINE_FAILED', `XTTS /${what} answered with something other than JSON`, { cause: err });
    }
  }

  private call(signal?: AbortSignal): HttpCallOptions {
    return { name: 'XTTS', timeoutMs: this.o.timeoutMs, retries: this.o.retries, signal };
  }
}
