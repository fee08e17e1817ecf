/**
 * The RVC generator (synthesizer) ONNX: content features + pitch + speaker id (+ noise) in, audio out at the
 * model's sample rate, sampleRate / 100 samples per 10 ms frame. Input names differ between exporters
 * (RVC-Project: phone, phone_lengths, pitch, pitchf, ds, rnd; others say sid, p_len, feats, nsff0), so each
 * input is matched to its role by name from the session, and anything unknown is an error at load.
 */
import type { InferenceSession } from 'onnxruntime-node';
import ort from 'onnxruntime-node';
import { DubdError } from '../../errors.js';

type Role = 'phone' | 'lengths' | 'pitch' | 'pitchf' | 'speaker' | 'rnd';

const ALIASES: Record<Role, string[]> = {
  phone: ['phone', 'feats', 'feat', 'hubert', 'units', 'c'],
  lengths: ['phone_lengths', 'p_len', 'lengths', 'hubert_length', 'feats_lengths', 'c_lengths'],
  pitch: ['pitch', 'f0_coarse'],
  pitchf: ['pitchf', 'nsff0', 'f0'],
  speaker: ['ds', 'sid', 'spk', 'speaker', 'speaker_id', 'g'],
  rnd: ['rnd', 'noise', 'z'],
};

/** RVC's own inference scales its prior noise by this. */
const NOISE_SCALE = 0.66666;
/** Noise channels of RVC v1/v2 generators, when the model leaves the axis symbolic. */
const DEFAULT_RND_CHANNELS = 192;

export interface GeneratorInput {
  /** [frames x dim] content features at 10 ms per frame. */
  feats: Float32Array;
  frames: number;
  /** Required when the model takes pitch (hasPitch). */
  pitch?: BigInt64Array;
  pitchf?: Float32Array;
  speakerId: number;
  /** Seed of the prior noise: the same seed gives the same audio. */
  seed: number;
}

export class Generator {
  readonly names: Partial<Record<Role, string>> = {};
  readonly dim: number | undefined;
  readonly hasPitch: boolean;
  readonly rndChannels: number;
  private readonly outputName: string;

  constructor(private readonly session: InferenceSession) {
    const unknown: string[] = [];
    for (const name of session.inputNames) {
      const role = (Object.keys(ALIASES) as Role[]).find((r) => ALIASES[r].includes(name.toLowerCase()));
      if (!role || this.names[role]) unknown.push(name);
      else this.names[role] = name;
    }
    const expect = 'phone, phone_lengths, pitch, pitchf, ds|sid, rnd';
    if (unknown.length) {
      throw new DubdError('INVALID_CONFIG', `generator model has inputs RVC does not know: ${unknown.join(', ')}; expected ${expect}`);
    }
    if (!this.names.phone || !this.names.speaker) {
      throw new DubdError('INVALID_CONFIG', `generator model lacks ${this.names.phone ? 'a speaker id' : 'a feature'} input; it has [${session.inputNames.join(', ')}], expected ${expect}`);
    }
    if (Boolean(this.names.pitch) !== Boolean(this.names.pitchf)) {
      throw new DubdError('INVALID_CONFIG', 'generator model takes only one of pitch/pitchf; an RVC generator takes both or neither');
    }
    if (session.outputNames.length === 0) throw new DubdError('INVALID_CONFIG', 'generator model has no output');
    this.hasPitch = Boolean(this.names.pitch);
    const shapeOf = (name: string | undefined) => {
      const meta = session.inputMetadata.find((m) => m.name === name);
      return meta?.isTensor ? meta.shape : [];
    };
    const d = shapeOf(this.names.phone)[2];
    this.dim = typeof d === 'number' ? d : undefined;
    const r = shapeOf(this.names.rnd)[1];
    this.rndChannels = typeof r === 'number' ? r : DEFAULT_RND_CHANNELS;
    this.outputName = session.outputNames[0];
  }

  /** Audio for `frames` frames, squeezed to mono samples (the model decides how many per frame). */
  async run(input: GeneratorInput): Promise<Float32Array> {
    const { frames } = input;
    if (frames <= 0) throw new DubdError('INVALID_ARGUMENT', 'generator needs at least one frame');
    const dim = input.feats.length / frames;
    if (!Number.isInteger(dim) || (this.dim !== undefined && dim !== this.dim)) {
      throw new DubdError('INVALID_CONFIG', `content features are ${dim} wide but the generator takes ${this.dim}; pair a v2 generator with a 768-wide content model (v1: 256)`);
    }
    const n = this.names;
    const feeds: Record<string, ort.Tensor> = {
      [n.phone!]: new ort.Tensor('float32', input.feats, [1, frames, dim]),
      [n.speaker!]: new ort.Tensor('int64', BigInt64Array.of(BigInt(input.speakerId)), [1]),
    };
    if (n.lengths) feeds[n.lengths] = new ort.Tensor('int64', BigInt64Array.of(BigInt(frames)), [1]);
    if (this.hasPitch) {
      if (!input.pitch || !input.pitchf || input.pitch.length !== frames || input.pitchf.length !== frames) {
        throw new DubdError('INVALID_ARGUMENT', `generator needs pitch and pitchf for all ${frames} frames`);
      }
      feeds[n.pitch!] = new ort.Tensor('int64', input.pitch, [1, frames]);
      feeds[n.pitchf!] = new ort.Tensor('float32', input.pitchf, [1, frames]);
    }
    if (n.rnd) feeds[n.rnd] = new ort.Tensor('float32', gaussian(this.rndChannels * frames, input.seed, NOISE_SCALE), [1, this.rndChannels, frames]);
    const out = (await this.session.run(feeds))[this.outputName];
    try {
      if (out.type !== 'float32') throw new DubdError('ENGINE_FAILED', `generator gave ${out.type} audio; expected float32`);
      return (out.data as Float32Array).slice();
    } finally {
      out.dispose();
    }
  }
}

/** Seeded standard-normal noise (xorshift32 + Box-Muller), times `scale`. */
export function gaussian(length: number, seed: number, scale = 1): Float32Array {
  let s = seed >>> 0 || 0x9e3779b9;
  const next = (): number => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return (s + 0.5) / 2 ** 32;
  };
  const out = new Float32Array(length);
  for (let i = 0; i < length; i += 2) {
    const r = Math.sqrt(-2 * Math.log(next())) * scale;
    const a = 2 * Math.PI * next();
    out[i] = r * Math.cos(a);
    if (i + 1 < length) out[i + 1] = r * Math.sin(a);
  }
  return out;
}
