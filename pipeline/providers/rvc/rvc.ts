/**
 * RVC voice conversion: the synthetic voice is re-spoken by an RVC v1/v2 model (content features + pitch →
 * generator), with its pitch moved toward the source speaker's. The segment is converted in overlapping
 * windows joined by a raised-cosine crossfade, so memory is bounded by a window and the first audio is ready
 * after one window (stream()). Inference runs on a worker thread of the provider's own inference host.
 */
import { InferenceHost, type Priority } from '../../../gpu/host.js';
import { DubdError, InvalidStateError } from '../../errors.js';
import { resample } from '../../audio/resample.js';
import type { EngineInfo, VoiceProvider, VoiceRequest, VoiceResult } from '../types.js';
import type { RvcEngineInfo, RvcEngineOptions, WindowRequest } from './engine.js';
import { keyShift } from './f0.js';
import { inspectOnnx } from './model-file.js';
import { OverlapAdd } from './overlap-add.js';
import { CONTENT_HOP, CONTENT_RATE, checkPlan, planWindows, windowInput, type WindowPlan } from './windows.js';

export interface RvcOptions {
  /** RVC generator (synthesizer) ONNX file. */
  generatorModel: string;
  /** Content encoder ONNX (ContentVec/HuBERT: 768-wide for v2 generators, 256 for v1). */
  contentModel: string;
  /** The generator's output rate, or 'auto' (model metadata, else measured). */
  sampleRate: number | 'auto';
  /** Key shift in semitones, or 'auto': toward the source speaker's median pitch. */
  f0UpKeySemitones: number | 'auto';
  /** Limit of the 'auto' key shift, either way. */
  maxShiftSemitones: number;
  speakerId: number;
  /** Window length, overlap (crossfade) and context each side; multiples of 20 ms. */
  chunkMs: number;
  overlapMs: number;
  contextMs: number;
  /** onnxruntime intra-op threads per session. */
  threads: number;
  priority: Priority;
}

export const defaultRvcOptions: RvcOptions = {
  generatorModel: '',
  contentModel: '',
  sampleRate: 'auto',
  f0UpKeySemitones: 'auto',
  maxShiftSemitones: 12,
  speakerId: 0,
  chunkMs: 1000,
  overlapMs: 100,
  contextMs: 100,
  threads: 1,
  priority: 'live',
};

/** The worker module RvcVoice runs its sessions in. */
export const rvcWorkerModule = new URL('./worker.js', import.meta.url);

const samplesAt16k = (ms: number): number => (ms * CONTENT_RATE) / 1000;

/** The converted segment, window by window; `note` is final once the iteration ends. */
export interface RvcStream extends AsyncIterable<Float32Array> {
  readonly sampleRate: number;
  readonly note: string;
}

export class RvcVoice implements VoiceProvider {
  readonly info: EngineInfo;
  readonly options: Readonly<RvcOptions>;
  readonly model: Readonly<RvcEngineInfo>;
  private readonly plan: WindowPlan;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly host: InferenceHost,
    options: RvcOptions,
    model: RvcEngineInfo,
  ) {
    this.options = options;
    this.model = model;
    this.info = { id: 'rvc', version: `onnxruntime ${model.onnxruntime}` };
    this.plan = { chunk: samplesAt16k(options.chunkMs), overlap: samplesAt16k(options.overlapMs), context: samplesAt16k(options.contextMs), unit: CONTENT_HOP };
  }

  /** Checks the options and both files, then loads the sessions on a worker (MODEL_NOT_FOUND / INVALID_CONFIG). */
  static async load(opts: Partial<RvcOptions> = {}): Promise<RvcVoice> {
    const o: RvcOptions = { ...defaultRvcOptions, ...opts };
    if (!o.generatorModel) throw new DubdError('INVALID_CONFIG', 'no RVC model configured (voice.rvc.generatorModel)');
    if (!o.contentModel) throw new DubdError('INVALID_CONFIG', 'no RVC content model configured (voice.rvc.contentModel)');
    if (o.f0UpKeySemitones !== 'auto' && !(Math.abs(o.f0UpKeySemitones) <= 24)) {
      throw new DubdError('INVALID_CONFIG', `voice.rvc.f0UpKeySemitones must be 'auto' or within ±24, got ${o.f0UpKeySemitones}`);
    }
    if (!(Number.isInteger(o.threads) && o.threads >= 1)) throw new DubdError('INVALID_CONFIG', `voice.rvc.threads must be >= 1, got ${o.threads}`);
    if (!(Number.isInteger(o.speakerId) && o.speakerId >= 0)) throw new DubdError('INVALID_CONFIG', `voice.rvc.speakerId must be >= 0, got ${o.speakerId}`);
    checkPlan({ chunk: samplesAt16k(o.chunkMs), overlap: samplesAt16k(o.overlapMs), context: samplesAt16k(o.contextMs), unit: CONTENT_HOP });
    // In this thread first: a missing or corrupt file fails fast, before a worker starts.
    await inspectOnnx(o.contentModel, 'voice.rvc.contentModel');
    await inspectOnnx(o.generatorModel, 'voice.rvc.generatorModel');

    const host = new InferenceHost({ module: rvcWorkerModule, workers: 1, name: 'rvc' });
    try {
      const engineOpts: RvcEngineOptions = {
        contentModel: o.contentModel,
        generatorModel: o.generatorModel,
        sampleRate: o.sampleRate,
        speakerId: o.speakerId,
        threads: o.threads,
      };
      const [model] = await host.initEach<RvcEngineInfo>('open', engineOpts);
      return new RvcVoice(host, o, model);
    } catch (err) {
      await host.close();
      throw err;
    }
  }

  async convert(req: VoiceRequest): Promise<VoiceResult> {
    const stream = this.stream(req);
    const parts: Float32Array[] = [];
    let total = 0;
    for await (const part of stream) {
      parts.push(part);
      total += part.length;
    }
    const samples = new Float32Array(total);
    let at = 0;
    for (const p of parts) {
      samples.set(p, at);
      at += p.length;
    }
    return { samples, sampleRate: stream.sampleRate, note: stream.note };
  }

  /** The converted segment as it becomes ready, window by window (at `sampleRate`). */
  stream(req: VoiceRequest): RvcStream {
    if (this.closing) throw new InvalidStateError('convert() after close()');
    const sampleRate = this.model.sampleRate;
    const key = keyShift(
      this.options.f0UpKeySemitones,
      { samples: req.samples, sampleRate: req.sampleRate },
      { samples: req.reference, sampleRate: req.referenceSampleRate },
      this.options.maxShiftSemitones,
    );
    const state = { note: `rvc ${key.note}` };
    const windows = (): AsyncGenerator<Float32Array> => this.windows(req, key.semitones, state);
    return {
      sampleRate,
      get note() {
        return state.note;
      },
      [Symbol.asyncIterator]: () => windows(),
    };
  }

  private async *windows(req: VoiceRequest, semitones: number, state: { note: string }): AsyncGenerator<Float32Array> {
    const sampleRate = this.model.sampleRate;
    const wanted = Math.round((req.samples.length * sampleRate) / req.sampleRate);
    if (wanted === 0) return;
    const signal = req.sampleRate === CONTENT_RATE ? req.samples : resample(req.samples, req.sampleRate, CONTENT_RATE);
    const windows = planWindows(signal.length, this.plan);
    const ratio = sampleRate / CONTENT_RATE;
    const context = this.plan.context * ratio;
    const ola = new OverlapAdd(this.plan.overlap * ratio);
    const run = (i: number): Promise<Float32Array> => {
      const audio = windowInput(signal, windows[i], this.plan.context);
      // The seed is the window's position: the same input gives the same audio.
      const args: WindowRequest = { audio, semitones, seed: windows[i].start + 1 };
      return this.host.call<Float32Array>('window', args, { priority: this.options.priority, transfer: [audio.buffer as ArrayBuffer] });
    };
    let emitted = 0;
    // One window in flight ahead of the one being joined keeps the worker busy.
    let next: Promise<Float32Array> | undefined = run(0);
    try {
      for (let i = 0; i < windows.length && emitted < wanted; i++) {
        const converted = await next!;
        next = i + 1 < windows.length ? run(i + 1) : undefined;
        const kept = converted.subarray(context, converted.length - context);
        const last = i === windows.length - 1;
        let part = ola.push(kept, last);
        if (emitted + part.length > wanted) part = part.subarray(0, wanted - emitted);
        emitted += part.length;
        if (part.length) yield part;
      }
      // Resampling rounds the 16 kHz length up; the other way round a last sample may be missing.
      if (emitted < wanted) yield new Float32Array(wanted - emitted);
      state.note += `, ${windows.length} window${windows.length === 1 ? '' : 's'} at ${sampleRate} Hz`;
    } finally {
      // A consumer that stops early leaves a window in flight: its result (or error) is dropped.
      next?.catch(() => undefined);
    }
  }

  /** Idempotent: stops the worker and frees the sessions. */
  close(): Promise<void> {
    this.closing ??= this.host.close();
    return this.closing;
  }
}
