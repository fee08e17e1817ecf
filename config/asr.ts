/** The asr section of the config: which provider, its options and its fallbacks. */
import { z } from 'zod';
import { languageCode } from './common.js';

export const asrProviderIds = ['pocketsphinx', 'sherpa-whisper', 'sherpa-online', 'sherpa-moonshine', 'sherpa-sense-voice', 'openai'] as const;
export type AsrProviderId = (typeof asrProviderIds)[number];

const providerId = z.enum(asrProviderIds);

/** Where a sherpa-onnx model lives and how it runs. */
function sherpaModel(defaultModelId: string) {
  return {
    /** A folder holding the model files as sherpa-onnx releases name them; when set it wins over modelId. */
    modelDir: z.string().default(''),
    /** A model of `dubd models list`, pulled into <dataDir>/models/<id> by `dubd models pull <id>`. */
    modelId: z.string().default(defaultModelId),
    /** onnxruntime threads per recogniser. */
    numThreads: z.number().int().min(1).max(16).default(2),
    /** Prefer the int8 files when the folder has both (faster on CPU, close in accuracy). */
    preferInt8: z.boolean().default(true),
  };
}

/** Offline engines are re-run over the growing utterance: at most once per decodeIntervalMs of new audio. */
function windowed(defaultIntervalMs: number) {
  return {
    /** Re-recognise the utterance after at least this much new audio (0 = only once, at its end). */
    decodeIntervalMs: z.number().int().min(0).max(10_000).default(defaultIntervalMs),
    /** Audio kept per utterance; older audio is cut at an agreed word (bounded memory and decode cost). */
    maxWindowMs: z.number().int().min(2_000).max(30_000).default(20_000),
  };
}

/** A list from JSON, or from an env var such as DUBD_ASR__FALLBACK=pocketsphinx (one name is not a list there). */
const providerList = z.preprocess(
  (v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : v),
  z.array(providerId),
);

export const asrSchema = z.object({
  provider: providerId.default('pocketsphinx'),
  /**
   * Tried in order when the provider (or a fallback before it) fails to load; those that load also take
   * over an utterance when the engine before them fails while running.
   */
  fallback: providerList.default([]),
  language: languageCode.default('en'),
  pocketsphinx: z
    .object({
      hmm: z.string().default('/usr/share/pocketsphinx/model/en-us/en-us'),
      lm: z.string().default('/usr/share/pocketsphinx/model/en-us/en-us.lm.bin'),
      dict: z.string().default('/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict'),
    })
    .default({}),
  /** sherpa-onnx Whisper (offline), driven incrementally over the growing utterance. */
  whisper: z.object({ ...sherpaModel('whisper-base.en'), ...windowed(1000) }).default({}),
  /** sherpa-onnx streaming transducer (zipformer) or paraformer: native partial results. */
  online: z
    .object({
      ...sherpaModel('streaming-zipformer-en-20m'),
      /** Silence fed after the utterance so the model flushes its last frames. */
      tailPaddingMs: z.number().int().min(0).max(2000).default(500),
    })
    .default({}),
  /** sherpa-onnx Moonshine (offline, English). */
  moonshine: z.object({ ...sherpaModel('moonshine-tiny-en-int8'), ...windowed(800) }).default({}),
  /** sherpa-onnx SenseVoice (offline; zh, en, ja, ko, yue) with token timestamps. */
  senseVoice: z
    .object({
      ...sherpaModel('sense-voice-int8'),
      ...windowed(800),
      /** Inverse text normalisation: digits and punctuation in the text. */
      useItn: z.boolean().default(true),
    })
    .default({}),
  /** An OpenAI-compatible transcription endpoint (OpenAI, or a local faster-whisper / whisper.cpp server). */
  openai: z
    .object({
      baseUrl: z.string().url().default('https://api.openai.com/v1'),
      model: z.string().min(1).default('whisper-1'),
      /** The environment variable holding the API key (local servers usually need none). */
      apiKeyEnv: z.string().min(1).default('OPENAI_API_KEY'),
      timeoutMs: z.number().int().min(1000).max(600_000).default(30_000),
      /** Retries of 408/409/429/5xx and connection errors, with the client's backoff. */
      maxRetries: z.number().int().min(0).max(10).default(2),
      /** Each partial is a request: off by default (0 = one request per utterance, at its end). */
      ...windowed(0),
    })
    .default({}),
  /** Feed size for streaming engines; a partial hypothesis per chunk. */
  chunkMs: z.number().int().min(20).max(1000).default(100),
  /** LocalAgreement-n: a word is stable once n consecutive hypotheses agree on it. */
  agreement: z.number().int().min(1).max(5).default(2),
});
