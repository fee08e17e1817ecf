/**
 * ElevenLabs over its REST API with plain fetch (no official client is installed): POST
 * /v1/text-to-speech/{voice_id}?output_format=pcm_* returns raw 16-bit PCM, so nothing needs decoding.
 * With `clone`, each source speaker gets an instant voice clone (POST /v1/voices/add with their speech)
 * the first time enough of their speech is known; clones are deleted again on close().
 */
import { DubdError, InvalidStateError } from '../../errors.js';
import { encodeWav } from '../../audio/wav.js';
import type { EngineInfo, TtsCapabilities, TtsProvider } from '../types.js';
import { CloneCache } from './clone-cache.js';
import { httpCall, type HttpCallOptions } from './http.js';
import { abortError, checkRate, cleanText, listFor, pcm16ToFloat, type ClonedTtsRequest, type SpeakerReference, type SpokenResult } from './request.js';

export type ElevenLabsFormat = 'pcm_16000' | 'pcm_22050' | 'pcm_24000' | 'pcm_44100';

export interface ElevenLabsOptions {
  baseUrl: string;
  apiKey: string;
  modelId: string;
  /** Voice ids per language; the first is the default. */
  voices: Record<string, string[]>;
  clone: boolean;
  outputFormat: ElevenLabsFormat;
  stability: number;
  similarityBoost: number;
  timeoutMs: number;
  retries: number;
  /** Languages the model speaks (eleven_multilingual_v2's by default). */
  languages: string[];
  /** Clones kept; the least recently used one is deleted from the account beyond this. */
  maxClones: number;
  /** A clone needs at least this much of the speaker's speech. */
  minCloneMs: number;
}

export const defaultElevenLabsOptions: ElevenLabsOptions = {
  baseUrl: 'https://api.elevenlabs.io',
  apiKey: '',
  modelId: 'eleven_multilingual_v2',
  voices: {},
  clone: false,
  outputFormat: 'pcm_22050',
  stability: 0.5,
  similarityBoost: 0.75,
  timeoutMs: 15_000,
  retries: 2,
  languages: ['ar', 'bg', 'cs', 'da', 'de', 'el', 'en', 'es', 'fi', 'fil', 'fr', 'hi', 'hr', 'id', 'it', 'ja', 'ko', 'ms', 'nl', 'pl', 'pt', 'ro', 'ru', 'sk', 'sv', 'ta', 'tr', 'uk', 'zh'],
  maxClones: 8,
  minCloneMs: 3000,
};

/** ElevenLabs' voice_settings.speed range. */
const MIN_SPEED = 0.7;
const MAX_SPEED = 1.2;
const CLONE_RETRY_MS = 60_000;

export class ElevenLabsTts implements TtsProvider {
  readonly info: EngineInfo;
  readonly capabilities: TtsCapabilities;
  private readonly o: ElevenLabsOptions;
  private readonly clones: CloneCache<string>;
  private closing: Promise<void> | undefined;

  private constructor(o: ElevenLabsOptions) {
    this.o = o;
    this.info = { id: 'elevenlabs', version: o.modelId };
    const langs = new Set([...o.languages, ...Object.keys(o.voices)]);
    this.capabilities = { sampleRate: Number(o.outputFormat.split('_')[1]), languages: [...langs].sort(), rate: true };
    this.clones = new CloneCache({ max: o.maxClones, retryAfterMs: CLONE_RETRY_MS, release: (id) => this.deleteVoice(id) });
  }

  /** Checks the options; the service is reached on the first request (the doctor probe reaches it earlier). */
  static async load(opts: Partial<ElevenLabsOptions> = {}): Promise<ElevenLabsTts> {
    const o = { ...defaultElevenLabsOptions, ...opts, baseUrl: (opts.baseUrl ?? defaultElevenLabsOptions.baseUrl).replace(/\/+$/, '') };
    if (!o.apiKey) throw new DubdError('INVALID_CONFIG', 'ElevenLabs needs an API key (set the ELEVENLABS_API_KEY environment variable)');
    if (!o.clone && Object.keys(o.voices).length === 0) {
      throw new DubdError('INVALID_CONFIG', 'ElevenLabs has no voices: set tts.elevenlabs.voices (voice ids per language) or tts.elevenlabs.clone');
    }
    return new ElevenLabsTts(o);
  }

  async synthesize(req: ClonedTtsRequest): Promise<SpokenResult> {
    if (this.closing) throw new InvalidStateError('synthesize() after close()');
    const rate = checkRate(req.rate);
    if (req.signal?.aborted) throw abortError(req.signal);
    const text = cleanText(req.text);
    const sampleRate = this.capabilities.sampleRate;
    if (!text) return { samples: new Float32Array(0), sampleRate, provider: this.info.id };
    const voiceId = await this.voiceFor(req);
    const url = `${this.o.baseUrl}/v1/text-to-speech/${encodeURIComponent(voiceId)}?output_format=${this.o.outputFormat}`;
    const body = {
      text,
      model_id: this.o.modelId,
      voice_settings: {
        stability: this.o.stability,
        similarity_boost: this.o.similarityBoost,
        speed: Math.min(MAX_SPEED, Math.max(MIN_SPEED, rate)),
      },
    };
    const reply = await httpCall(url, { method: 'POST', headers: { ...this.headers(), 'content-type': 'application/json' }, body: JSON.stringify(body) }, this.call(req.signal));
    if (/json|text\/html/.test(reply.contentType)) {
      throw new DubdError('ENGINE_FAILED', `ElevenLabs sent ${reply.contentType} instead of PCM audio`, { retryable: false });
    }
    return { samples: pcm16ToFloat(reply.body), sampleRate, provider: this.info.id };
  }

  /** Idempotent. Deletes the voices it cloned (best effort, within one timeout). */
  close(): Promise<void> {
    this.closing ??= this.clones.clear();
    return this.closing;
  }

  private async voiceFor(req: ClonedTtsRequest): Promise<string> {
    if (req.voice) return req.voice;
    const fallback = listFor(this.o.voices, req.lang)?.[0];
    const ref = req.reference;
    const longEnough = ref !== undefined && (ref.samples.length * 1000) / ref.sampleRate >= this.o.minCloneMs;
    // Without a speaker id a clone could not be reused (and would pile up in the account).
    if (this.o.clone && req.speaker && ref && longEnough) {
      const speaker = req.speaker;
      try {
        const cloned = await this.clones.get(speaker, () => this.cloneVoice(speaker, ref, req.signal));
        if (cloned) return cloned;
      } catch (err) {
        if (!fallback || (err instanceof DubdError && err.code === 'UNAUTHENTICATED')) throw err;
      }
    }
    if (fallback) return fallback;
    throw new DubdError('INVALID_ARGUMENT', `no ElevenLabs voice for '${req.lang}' yet (set tts.elevenlabs.voices; a clone needs ${this.o.minCloneMs} ms of the speaker)`);
  }

  private async cloneVoice(speaker: string, ref: SpeakerReference, signal?: AbortSignal): Promise<string> {
    const form = new FormData();
    form.append('name', `dubd ${speaker} ${Date.now().toString(36)}`);
    form.append('description', 'Cloned by dubd from the source speaker of a dubbed stream');
    form.append('remove_background_noise', 'false');
    form.append('files', new Blob([new Uint8Array(encodeWav(ref.samples, ref.sampleRate))], { type: 'audio/wav' }), 'reference.wav');
    const reply = await httpCall(`${this.o.baseUrl}/v1/voices/add`, { method: 'POST', headers: this.headers(), body: form }, this.call(signal));
    let id: unknown;
    try {
      id = (JSON.parse(reply.body.toString('utf8')) as { voice_id?: unknown }).voice_id;
    } catch (err) {
      throw new DubdError('ENGINE_FAILED', 'ElevenLabs voices/add answered with something other than JSON', { cause: err });
    }
    if (typeof id !== 'string' || !id) throw new DubdError('ENGINE_FAILED', 'ElevenLabs voices/add answered without a voice_id');
    return id;
  }

  private async deleteVoice(id: string): Promise<void> {
    await httpCall(`${this.o.baseUrl}/v1/voices/${encodeURIComponent(id)}`, { method: 'DELETE', headers: this.headers() }, { ...this.call(), retries: 0 });
  }

  private headers(): Record<string, string> {
    return { 'xi-api-key': this.o.apiKey };
  }

  private call(signal?: AbortSignal): HttpCallOptions {
    return { name: 'ElevenLabs', timeoutMs: this.o.timeoutMs, retries: this.o.retries, signal };
  }
}
