/** The voice section of the config: which provider, its options and its fallbacks. */
import { z } from 'zod';

/** Multiples of one 20 ms content frame, so conversion windows line up frame by frame. */
const frameMs = (min: number, max: number, def: number) =>
  z.number().int().min(min).max(max).refine((v) => v % 20 === 0, 'a multiple of 20 ms').default(def);

export const rvcSchema = z
  .object({
    /** RVC generator ONNX: a file path, or the id of a voice model pulled into the collections. */
    generatorModel: z.string().default(''),
    /** Content encoder ONNX (ContentVec/HuBERT; 768-wide for RVC v2, 256 for v1): a path or a model id. */
    contentModel: z.string().default(''),
    /** The generator's output rate; 'auto' reads the model's metadata, else measures its output. */
    sampleRate: z.union([z.literal('auto'), z.literal(32_000), z.literal(40_000), z.literal(48_000)]).default('auto'),
    /** Key shift in semitones, or 'auto': toward the source speaker's median pitch (within maxShiftSemitones). */
    f0UpKeySemitones: z.union([z.literal('auto'), z.number().min(-24).max(24)]).default('auto'),
    /** Speaker of a multi-speaker model. */
    speakerId: z.number().int().min(0).default(0),
    /** Conversion window: the first dubbed audio is ready after one window. */
    chunkMs: frameMs(200, 10_000, 1000),
    /** Crossfade between windows. */
    overlapMs: frameMs(0, 5000, 100),
    /** Real audio the model hears on each side of a window (cut off afterwards). */
    contextMs: frameMs(0, 2000, 100),
    /** onnxruntime intra-op threads per session. */
    threads: z.number().int().min(1).max(16).default(1),
    /** When RVC cannot load (no or bad model): use pitch-match, keep the voice, or fail. */
    fallback: z.enum(['pitch-match', 'none', 'fail']).default('pitch-match'),
  })
  .refine((r) => 2 * r.overlapMs <= r.chunkMs, { message: 'overlapMs must be at most half of chunkMs', path: ['overlapMs'] });

export const voiceSchema = z.object({
  /** pitch-match needs no model and is the default; rvc needs voice.rvc models and falls back when they are absent. */
  provider: z.enum(['pitch-match', 'rvc', 'none']).default('pitch-match'),
  /** Largest pitch shift applied, in semitones either way (pitch-match, and RVC's 'auto' key). */
  maxShiftSemitones: z.number().min(0).max(12).default(7),
  rvc: rvcSchema.default({}),
});
