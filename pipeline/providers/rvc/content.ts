/**
 * Content features (HuBERT / ContentVec ONNX): 16 kHz audio in, one feature vector per 20 ms out
 * (768 wide for RVC v2, 256 for v1). Exports differ in their input rank ([1, N] or [1, 1, N]) and in their
 * output layout ([1, T, C] or [1, C, T]); both are read from the session instead of assumed.
 */
import type { InferenceSession } from 'onnxruntime-node';
import ort from 'onnxruntime-node';
import { DubdError } from '../../errors.js';
import { CONTENT_HOP } from './windows.js';

export { CONTENT_HOP, CONTENT_RATE } from './windows.js';

export interface Features {
  /** [frames x dim], row-major. */
  data: Float32Array;
  frames: number;
  dim: number;
}

type Layout = 'btc' | 'bct' | 'unknown';

function tensorShape(meta: InferenceSession.ValueMetadata | undefined): readonly (number | string)[] | undefined {
  return meta?.isTensor ? meta.shape : undefined;
}

export class ContentEncoder {
  readonly inputName: string;
  readonly outputName: string;
  /** Feature width when the model declares it (it may be symbolic). */
  readonly declaredDim: number | undefined;
  private readonly inputRank: 2 | 3;
  private readonly layout: Layout;

  constructor(private readonly session: InferenceSession) {
    const { inputNames, outputNames } = session;
    if (inputNames.length !== 1 || outputNames.length < 1) {
      throw new DubdError(
        'INVALID_CONFIG',
        `content model must take one audio input and give features; it has inputs [${inputNames.join(', ')}] and outputs [${outputNames.join(', ')}]`,
      );
    }
    this.inputName = inputNames[0];
    this.outputName = outputNames[0];
    const inShape = tensorShape(session.inputMetadata[0]);
    // Most exports take [1, 1, N] (the RVC-Project ONNX path adds both axes); some take [1, N].
    this.inputRank = inShape?.length === 2 ? 2 : 3;
    if (inShape && inShape.length !== 2 && inShape.length !== 3) {
      throw new DubdError('INVALID_CONFIG', `content model input '${this.inputName}' has rank ${inShape.length}; expected [1, N] or [1, 1, N] audio`);
    }
    const outShape = tensorShape(session.outputMetadata[0]);
    if (outShape && outShape.length !== 3) {
      throw new DubdError('INVALID_CONFIG', `content model output '${this.outputName}' has rank ${outShape.length}; expected [1, T, C] features`);
    }
    const [, a, b] = outShape ?? [];
    // The feature axis is the fixed one; time is dynamic.
    if (typeof b === 'number' && typeof a !== 'number') [this.layout, this.declaredDim] = ['btc', b];
    else if (typeof a === 'number' && typeof b !== 'number') [this.layout, this.declaredDim] = ['bct', a];
    else [this.layout, this.declaredDim] = ['unknown', undefined];
  }

  /** Features of 16 kHz audio: about one frame per 320 samples (exports differ by a frame at the edges). */
  async encode(audio: Float32Array): Promise<Features> {
    const dims = this.inputRank === 3 ? [1, 1, audio.length] : [1, audio.length];
    const input = new ort.Tensor('float32', audio, dims);
    const result = await this.session.run({ [this.inputName]: input });
    const out = result[this.outputName];
    try {
      if (out.type !== 'float32' || out.dims.length !== 3) {
        throw new DubdError('ENGINE_FAILED', `content model gave ${out.type} [${out.dims.join(', ')}]; expected float32 [1, T, C]`);
      }
      const [, a, b] = out.dims;
      const data = out.data as Float32Array;
      const layout = this.layout === 'unknown' ? guessLayout(a, b, audio.length) : this.layout;
      if (layout === 'btc') return { data: data.slice(0, a * b), frames: a, dim: b };
      // [1, C, T] → [T, C].
      const t = new Float32Array(a * b);
      for (let c = 0; c < a; c++) for (let f = 0; f < b; f++) t[f * a + c] = data[c * b + f];
      return { data: t, frames: b, dim: a };
    } finally {
      out.dispose();
    }
  }
}

/** With both axes symbolic: time is the axis nearest to samples / 320. */
export function guessLayout(a: number, b: number, samples: number): 'btc' | 'bct' {
  const frames = samples / CONTENT_HOP;
  return Math.abs(a - frames) <= Math.abs(b - frames) ? 'btc' : 'bct';
}

/**
 * Content frames (20 ms) → generator frames (10 ms): each vector twice, as RVC does, then cut or padded
 * (last frame repeated) to exactly `frames`, because exports lose a frame at the edges.
 */
export function toGeneratorFrames(f: Features, frames: number): Float32Array {
  const out = new Float32Array(frames * f.dim);
  if (f.frames === 0) return out;
  for (let j = 0; j < frames; j++) {
    const src = Math.min(f.frames - 1, j >> 1);
    out.set(f.data.subarray(src * f.dim, (src + 1) * f.dim), j * f.dim);
  }
  return out;
}
