/**
 * The tts section of the config: which provider, its fallbacks, each provider's options, and the voices
 * per language that per-speaker assignment picks from. The defaults keep the offline behaviour: espeak-ng,
 * one voice per language.
 */
import { z } from 'zod';

export const ttsProviderIds = ['espeak-ng', 'sherpa', 'edge', 'elevenlabs', 'xtts'] as const;
export type TtsProviderId = (typeof ttsProviderIds)[number];

/** Voices per target language, in assignment order: speaker 1 gets the first, speaker 2 the second, … */
const voiceLists = z.record(z.string(), z.array(z.string().min(1)).min(1));

const httpRetry = {
  /** Per-request budget; a remote that takes longer counts as failed (and may be retried). */
  timeoutMs: z.number().int().min(100).max(120_000).default(15_000),
  /** Extra attempts after a 429, a 5xx or a dropped connection; 4xx other than 429 are not retried. */
  retries: z.number().int().min(0).max(5).default(2),
};

const espeakSchema = z.object({
  /** Voice lists for per-speaker assignment; '+f3' style variants change pitch and timbre. */
  speakerVoices: voiceLists.default({
    es: ['es', 'es+f3', 'es+m3', 'es+f4'],
    'es-419': ['es-419', 'es-419+f3', 'es-419+m3', 'es-419+f4'],
    pt: ['pt-br', 'pt-br+f3', 'pt-br+m3', 'pt-br+f4'],
    en: ['en-us', 'en-us+f3', 'en-us+m3', 'en-us+f4'],
  }),
});

const sherpaSchema = z.object({
  /** A model folder (piper/vits, kokoro or matcha as sherpa-onnx packages them) or a catalog id. */
  model: z.string().default(''),
  /** 'auto' tells the kind from the files (voices.bin → kokoro, model-steps-*.onnx → matcha, else vits). */
  kind: z.enum(['auto', 'vits', 'kokoro', 'matcha']).default('auto'),
  /** Matcha's vocoder (vocos/hifigan .onnx); empty = the one found in or next to the model folder. */
  vocoder: z.string().default(''),
  /** Languages the model speaks; empty = read from the model (piper file names such as es_ES-…). */
  languages: z.array(z.string()).default([]),
  /** Speaker ids (or kokoro voice names) per language for per-speaker assignment. */
  speakers: voiceLists.default({}),
  /** Speaker id used when no voice is asked for. */
  sid: z.number().int().min(0).default(0),
  /** Kokoro's espeak language (e.g. 'es', 'pt-br'); empty = the model's own. */
  lang: z.string().default(''),
  numThreads: z.number().int().min(1).max(16).default(2),
  /** Worker threads running the model (each holds its own copy). */
  workers: z.number().int().min(1).max(8).default(1),
});

const edgeSchema = z.object({
  voices: voiceLists.default({
    es: ['es-ES-AlvaroNeural', 'es-ES-ElviraNeural'],
    'es-419': ['es-MX-JorgeNeural', 'es-MX-DaliaNeural'],
    pt: ['pt-BR-AntonioNeural', 'pt-BR-FranciscaNeural'],
    'pt-PT': ['pt-PT-DuarteNeural', 'pt-PT-RaquelNeural'],
    en: ['en-US-GuyNeural', 'en-US-JennyNeural'],
  }),
  /** Opening the WebSocket; an unreachable host fails fast and the next provider speaks. */
  connectTimeoutMs: z.number().int().min(100).max(60_000).default(4000),
  requestTimeoutMs: z.number().int().min(100).max(120_000).default(15_000),
});

const elevenlabsSchema = z.object({
  baseUrl: z.string().url().default('https://api.elevenlabs.io'),
  /** Environment variable holding the API key (the key itself never goes in a config file). */
  apiKeyEnv: z.string().default('ELEVENLABS_API_KEY'),
  modelId: z.string().default('eleven_multilingual_v2'),
  /** Voice ids per language (used when a speaker has no clone). */
  voices: voiceLists.default({}),
  /** Clone each identified speaker from their source speech (POST /v1/voices/add). */
  clone: z.boolean().default(false),
  /** Raw PCM back, so no decoder is needed. */
  outputFormat: z.enum(['pcm_16000', 'pcm_22050', 'pcm_24000', 'pcm_44100']).default('pcm_22050'),
  stability: z.number().min(0).max(1).default(0.5),
  similarityBoost: z.number().min(0).max(1).default(0.75),
  ...httpRetry,
});

const xttsSchema = z.object({
  /** An XTTS-v2 server speaking the coqui-ai/xtts-streaming-server API (/tts, /clone_speaker). */
  baseUrl: z.string().url().default('http://127.0.0.1:8000'),
  /** Studio speaker names per language (GET /studio_speakers), used when a speaker has no clone. */
  voices: voiceLists.default({}),
  /** Clone each identified speaker from their source speech (POST /clone_speaker). */
  clone: z.boolean().default(true),
  ...httpRetry,
  timeoutMs: z.number().int().min(100).max(300_000).default(60_000),
});

const speakersSchema = z.object({
  /** Identify speakers online and give each one its own voice for the whole stream. */
  enabled: z.boolean().default(false),
  maxSpeakers: z.number().int().min(1).max(32).default(6),
  /** Feature distance above which a segment starts a new speaker. */
  newSpeakerDistance: z.number().min(0.01).max(2).default(0.45),
  /** Segments with less voiced speech than this keep the previous speaker. */
  minVoicedMs: z.number().int().min(100).max(10_000).default(400),
});

export const ttsSchema = z.object({
  provider: z.enum(ttsProviderIds).default('espeak-ng'),
  /** Tried in order when the provider fails (at load or per request); espeak-ng is the offline last resort. */
  fallback: z.array(z.enum(ttsProviderIds)).default(['espeak-ng']),
  /** espeak-ng voice per target language. */
  voices: z.record(z.string(), z.string()).default({ es: 'es', pt: 'pt-br', en: 'en-us', 'es-419': 'es-419' }),
  /** Words per minute at rate 1. */
  wordsPerMinute: z.number().int().min(80).max(450).default(175),
  speakers: speakersSchema.default({}),
  espeak: espeakSchema.default({}),
  sherpa: sherpaSchema.default({}),
  edge: edgeSchema.default({}),
  elevenlabs: elevenlabsSchema.default({}),
  xtts: xttsSchema.default({}),
});

export type TtsSection = z.infer<typeof ttsSchema>;
