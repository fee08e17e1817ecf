/**
 * The RVC inference for one window: content features → pitch → generator. It owns the two ONNX sessions
 * and runs inside an inference worker, because onnxruntime-node's run() is synchronous on the calling thread
 * (its promise only defers the call): on the main thread a generator call would stall the event loop.
 */
import ort from 'onnxruntime-node';
import { DubdError } from '../../errors.js';
import { CONTENT_RATE, ContentEncoder, toGeneratorFrames } from './content.js';
import { GENERATOR_FRAME_MS, pitchFrames } from './f0.js';
import { Generator } from './generator.js';
import { inspectOnnx, metadataSampleRate } from './model-file.js';

export interface RvcEngineOptions {
  contentModel: string;
  generatorModel: string;
  /** A fixed rate, or 'auto': the model's metadata, else measured from the generator's output length. */
  sampleRate: number | 'auto';
  speakerId: number;
  /** onnxruntime intra-op threads per session. */
  threads: number;
}

export interface RvcEngineInfo {
  sampleRate: number;
  sampleRateFrom: 'config' | 'metadata' | 'measured';
  featureDim: number;
  hasPitch: boolean;
  contentInputs: string[];
  generatorInputs: string[];
  onnxruntime: string;
}

export interface WindowRequest {
  /** 16 kHz audio, a whole number of 10 ms frames. */
  audio: Float32Array;
  semitones: number;
  seed: number;
}

const SAMPLES_PER_FRAME_16K = (CONTENT_RATE * GENERATOR_FRAME_MS) / 1000;
/** Frames of the warm-up run that measures the generator (and makes the first real call fast). */
const WARMUP_FRAMES = 20;

export class RvcEngine {
  private closed = false;

  private constructor(
    private readonly contentSession: ort.InferenceSession,
    private readonly generatorSession: ort.InferenceSession,
    private readonly content: ContentEncoder,
    private readonly generator: Generator,
    private readonly speakerId: number,
    readonly info: RvcEngineInfo,
  ) {}

  /** Validates both files before any session sees them, then loads, checks and warms up the pair. */
  static async open(o: RvcEngineOptions): Promise<RvcEngine> {
    const [, genFile] = await Promise.all([
      inspectOnnx(o.contentModel, 'voice.rvc.contentModel'),
      inspectOnnx(o.generatorModel, 'voice.rvc.generatorModel'),
    ]);
    const sessionOptions: ort.InferenceSession.SessionOptions = {
      intraOpNumThreads: o.threads,
      interOpNumThreads: 1,
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      // Exports carry unused initializers and the like: onnxruntime's warnings about them are noise here.
      logSeverityLevel: 3,
    };
    const create = async (path: string, what: string) =>
      ort.InferenceSession.create(path, sessionOptions).catch((err: unknown) => {
        throw new DubdError('INVALID_CONFIG', `${what}: onnxruntime cannot load ${path}: ${firstLine(err)}`, { cause: err });
      });
    const contentSession = await create(o.contentModel, 'voice.rvc.contentModel');
    let generatorSession: ort.InferenceSession | undefined;
    try {
      generatorSession = await create(o.generatorModel, 'voice.rvc.generatorModel');
      const content = new ContentEncoder(contentSession);
      const generator = new Generator(generatorSession);

      // Warm-up: learns the feature width and the generator's samples per frame.
      const feats = await content.encode(new Float32Array(WARMUP_FRAMES * SAMPLES_PER_FRAME_16K));
      if (generator.dim !== undefined && feats.dim !== generator.dim) {
        throw new DubdError('INVALID_CONFIG', `content model gives ${feats.dim}-wide features but the generator takes ${generator.dim} (v2 needs 768, v1 256)`);
      }
      const audio = await runGenerator(generator, toGeneratorFrames(feats, WARMUP_FRAMES), WARMUP_FRAMES, o.speakerId, 0);
      const measured = Math.round((audio.length / WARMUP_FRAMES) * (1000 / GENERATOR_FRAME_MS));
      const fromMeta = metadataSampleRate(genFile.metadata);
      const [sampleRate, sampleRateFrom] =
        o.sampleRate !== 'auto' ? [o.sampleRate, 'config' as const] : fromMeta ? [fromMeta, 'metadata' as const] : [measured, 'measured' as const];
      if (measured !== sampleRate) {
        throw new DubdError('INVALID_CONFIG', `generator gives ${measured / 100} samples per 10 ms frame (${measured} Hz) but its sample rate is set to ${sampleRate} Hz (${sampleRateFrom})`);
      }
      const info: RvcEngineInfo = {
        sampleRate,
        sampleRateFrom,
        featureDim: feats.dim,
        hasPitch: generator.hasPitch,
        contentInputs: [...contentSession.inputNames],
        generatorInputs: [...generatorSession.inputNames],
        onnxruntime: ort.env.versions.node ?? ort.env.versions.common,
      };
      return new RvcEngine(contentSession, generatorSession, content, generator, o.speakerId, info);
    } catch (err) {
      await Promise.allSettled([contentSession.release(), generatorSession?.release()]);
      throw err;
    }
  }

  /** Converts one window; returns exactly frames x sampleRate / 100 samples (frames = audio / 160). */
  async convert(req: WindowRequest): Promise<Float32Array> {
    if (this.closed) throw new DubdError('INVALID_STATE', 'RVC engine is closed');
    const frames = req.audio.length / SAMPLES_PER_FRAME_16K;
    if (!Number.isInteger(frames) || frames <= 0) {
      throw new DubdError('INVALID_ARGUMENT', `RVC window must be a whole number of 10 ms frames, got ${req.audio.length} samples`);
    }
    const feats = toGeneratorFrames(await this.content.encode(req.audio), frames);
    const pitch = this.generator.hasPitch ? pitchFrames(req.audio, CONTENT_RATE, frames, req.semitones) : undefined;
    const audio = await runGenerator(this.generator, feats, frames, this.speakerId, req.seed, pitch);
    const want = (frames * this.info.sampleRate * GENERATOR_FRAME_MS) / 1000;
    if (audio.length === want) return audio;
    // Exports may add or lose a few samples at the end: the frame grid is what counts.
    const out = new Float32Array(want);
    out.set(audio.subarray(0, want));
    return out;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([this.contentSession.release(), this.generatorSession.release()]);
  }
}

async function runGenerator(
  generator: Generator,
  feats: Float32Array,
  frames: number,
  speakerId: number,
  seed: number,
  pitch?: { pitch: BigInt64Array; pitchf: Float32Array },
): Promise<Float32Array> {
  // A model with pitch inputs still needs them during warm-up: unvoiced everywhere.
  const p = pitch ?? (generator.hasPitch ? { pitch: new BigInt64Array(frames).fill(1n), pitchf: new Float32Array(frames) } : undefined);
  return generator.run({ feats, frames, speakerId, seed, pitch: p?.pitch, pitchf: p?.pitchf });
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0];
}
