/**
 * Small provider interfaces. Providers score, recognise, translate or speak; the stages own the state
 * machines. Weaker providers are wrapped in adapters, never special-cased inside a stage.
 */
import type { Word } from '../frames.js';

export interface EngineInfo {
  /** Stable id used in config and reports, e.g. 'pocketsphinx'. */
  id: string;
  /** Engine version as the engine reports it. */
  version: string;
}

export interface Closable {
  /** Idempotent; closes children. */
  close(): Promise<void>;
}

// ---------- VAD ----------
export interface VadCapabilities {
  sampleRate: number;
  /** Samples per window scored by confidence(). */
  windowSize: number;
}
export interface VadProvider extends Closable {
  readonly info: EngineInfo;
  readonly capabilities: VadCapabilities;
  /** Speech likelihood of one window of `windowSize` mono samples, in [0, 1]. */
  confidence(window: Float32Array): number;
  reset(): void;
}

// ---------- ASR ----------
export interface AsrCapabilities {
  sampleRate: number;
  /** Emits partial hypotheses while audio is fed (PocketSphinx, zipformer). */
  streaming: boolean;
  /** Gives word timings. */
  wordTimestamps: boolean;
  languages: string[];
}
export interface AsrHypothesis {
  text: string;
  /** Word timings relative to the start of the stream's audio, when the engine gives them. */
  words: Word[];
}
/** One utterance being recognised. Feed audio, read hypotheses, finish once. */
export interface AsrStream {
  /** Feed mono samples at capabilities.sampleRate; resolves with the current partial hypothesis. */
  accept(samples: Float32Array): Promise<AsrHypothesis>;
  /** Ends the utterance and resolves with the final hypothesis. */
  finish(): Promise<AsrHypothesis>;
  /** Drops the utterance without a result. */
  cancel(): Promise<void>;
}
export interface AsrProvider extends Closable {
  readonly info: EngineInfo;
  readonly capabilities: AsrCapabilities;
  createStream(opts: { language: string }): Promise<AsrStream>;
  /** Whole-buffer recognition (batch engines, re-hypothesising a growing window). */
  transcribe(samples: Float32Array, opts: { language: string }): Promise<AsrHypothesis>;
}

// ---------- MT ----------
export interface MtCapabilities {
  /** Pairs as 'en-es'. */
  pairs: string[];
  /** Uses the previous sentences as context. */
  usesContext: boolean;
  streaming: boolean;
}
export interface MtRequest {
  text: string;
  from: string;
  to: string;
  /** Previous source sentences, oldest first. */
  context: string[];
  /** Soft length budget for the translation, in syllables. */
  maxSyllables?: number;
  /** Terms for this request's target language (source term → target term); LLM providers use them. */
  glossary?: Record<string, string>;
  /** Live: remote providers still silent this long after the call are abandoned for the local fallback. */
  deadlineMs?: number;
  signal?: AbortSignal;
}
export interface MtProvider extends Closable {
  readonly info: EngineInfo;
  readonly capabilities: MtCapabilities;
  translate(req: MtRequest): Promise<string>;
}

// ---------- TTS ----------
export interface TtsCapabilities {
  sampleRate: number;
  languages: string[];
  /** Accepts a speaking-rate hint. */
  rate: boolean;
}
export interface TtsRequest {
  text: string;
  lang: string;
  voice?: string;
  /** The slot the speech should fit; providers with a rate control aim for it. */
  targetDurationMs?: number;
  /** Speaking rate relative to the voice's normal rate (1 = normal). */
  rate?: number;
  /** Stable id of the source speaker (speaker identification); cloning providers cache a voice per speaker. */
  speaker?: string;
  /** The speaker's own speech, for providers that clone a voice from it. */
  reference?: { samples: Float32Array; sampleRate: number };
  signal?: AbortSignal;
}
export interface TtsResult {
  samples: Float32Array;
  sampleRate: number;
  /** The provider that spoke (a fallback chain records which one). */
  provider?: string;
}
export interface TtsProvider extends Closable {
  readonly info: EngineInfo;
  readonly capabilities: TtsCapabilities;
  synthesize(req: TtsRequest): Promise<TtsResult>;
}

// ---------- Voice ----------
export interface VoiceRequest {
  samples: Float32Array;
  sampleRate: number;
  /** The source speaker's speech for this segment (mono). */
  reference: Float32Array;
  referenceSampleRate: number;
}
export interface VoiceResult {
  samples: Float32Array;
  sampleRate: number;
  /** What the provider did, for the report (e.g. 'pitch x1.12 (118 Hz -> 132 Hz)'). */
  note: string;
}
export interface VoiceProvider extends Closable {
  readonly info: EngineInfo;
  convert(req: VoiceRequest): Promise<VoiceResult>;
}

export interface Providers {
  vad: VadProvider;
  asr: AsrProvider;
  mt: MtProvider;
  tts: TtsProvider;
  voice: VoiceProvider;
}
