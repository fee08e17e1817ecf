import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { gaussian, Generator } from './generator.js';
import { encodeModel, generatorFrameValue, generatorModel } from './testing/onnx-builder.js';

/** What `fn` throws (undefined when it returns). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

const DIM = 16;
const FRAMES = 6;
const HOP = 400;

/** Features that differ per frame and channel; pitch rising 100..150 Hz; bins 10, 20, ... */
function inputs() {
  const feats = new Float32Array(FRAMES * DIM);
  for (let t = 0; t < FRAMES; t++) for (let c = 0; c < DIM; c++) feats[t * DIM + c] = 0.01 * (t + 1) * Math.cos(c + t);
  const pitchf = Float32Array.from({ length: FRAMES }, (_, t) => 100 + 10 * t);
  const pitch = BigInt64Array.from({ length: FRAMES }, (_, t) => BigInt(10 * (t + 1)));
  return { feats, pitchf, pitch };
}

const frame = (feats: Float32Array, t: number): Float32Array => feats.subarray(t * DIM, (t + 1) * DIM);

async function session(bytes: Uint8Array): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(bytes);
}

describe('Generator', () => {
  it('maps the RVC-Project input names and reads feature width and noise channels from the model', async () => {
    const s = await session(generatorModel({ dim: DIM, hop: HOP }));
    const g = new Generator(s);
    expect(g.names).toEqual({ phone: 'phone', lengths: 'phone_lengths', pitch: 'pitch', pitchf: 'pitchf', speaker: 'ds', rnd: 'rnd' });
    expect([g.dim, g.rndChannels, g.hasPitch]).toEqual([DIM, 192, true]);
    await s.release();
  });

  it('feeds features, pitch and speaker so every frame holds the value the graph computes from them', async () => {
    const s = await session(generatorModel({ dim: DIM, hop: HOP }));
    const g = new Generator(s);
    const { feats, pitchf, pitch } = inputs();
    const audio = await g.run({ feats, frames: FRAMES, pitch, pitchf, speakerId: 3, seed: 1 });
    expect(audio.length).toBe(FRAMES * HOP);
    for (let t = 0; t < FRAMES; t++) {
      const want = generatorFrameValue(frame(feats, t), 100 + 10 * t, 10 * (t + 1), 3);
      expect(audio[t * HOP]).toBeCloseTo(want, 5);
      expect(audio[t * HOP + HOP - 1]).toBeCloseTo(want, 5);
    }
    await s.release();
  });

  it('accepts the other exporters’ names (feats, p_len, nsff0, sid) and a model without noise input', async () => {
    const names = { phone: 'feats', lengths: 'p_len', pitch: 'pitch', pitchf: 'nsff0', speaker: 'sid', rnd: 'rnd' };
    const s = await session(generatorModel({ dim: DIM, hop: 480, names, rndChannels: 0 }));
    const g = new Generator(s);
    expect(g.names).toEqual({ phone: 'feats', lengths: 'p_len', pitch: 'pitch', pitchf: 'nsff0', speaker: 'sid' });
    const { feats, pitchf, pitch } = inputs();
    const audio = await g.run({ feats, frames: FRAMES, pitch, pitchf, speakerId: 0, seed: 1 });
    expect(audio.length).toBe(FRAMES * 480);
    expect(audio[480 * 2]).toBeCloseTo(generatorFrameValue(frame(feats, 2), 120, 30, 0), 5);
    await s.release();
  });

  it('runs a model without pitch inputs (an RVC "nono" model)', async () => {
    const s = await session(generatorModel({ dim: DIM, hop: HOP, withPitch: false }));
    const g = new Generator(s);
    expect(g.hasPitch).toBe(false);
    const { feats } = inputs();
    const audio = await g.run({ feats, frames: FRAMES, speakerId: 1, seed: 1 });
    expect(audio[HOP * 4]).toBeCloseTo(generatorFrameValue(frame(feats, 4), 0, 0, 1), 5);
    await s.release();
  });

  it('rejects inputs RVC does not know, and features of the wrong width, as INVALID_CONFIG', async () => {
    const odd = encodeModel({
      inputs: [
        { name: 'phone', type: 'float32', shape: [1, 'T', DIM] },
        { name: 'ds', type: 'int64', shape: [1] },
        { name: 'emotion', type: 'float32', shape: [1] },
      ],
      outputs: [{ name: 'audio', type: 'float32', shape: [1, 'T', DIM] }],
      nodes: [{ op: 'Identity', inputs: ['phone'], outputs: ['audio'] }],
    });
    const s1 = await session(odd);
    expect(thrown(() => new Generator(s1))).toMatchObject({ code: 'INVALID_CONFIG', message: expect.stringContaining('emotion') as unknown });
    await s1.release();

    const s2 = await session(generatorModel({ dim: DIM, hop: HOP }));
    const g = new Generator(s2);
    const { pitchf, pitch } = inputs();
    await expect(g.run({ feats: new Float32Array(FRAMES * 8), frames: FRAMES, pitch, pitchf, speakerId: 0, seed: 1 })).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      message: expect.stringContaining('8 wide but the generator takes 16') as unknown,
    });
    await s2.release();
  });
});

describe('gaussian', () => {
  it('is reproducible per seed and close to a standard normal', () => {
    const a = gaussian(20_000, 42);
    expect(gaussian(20_000, 42)).toEqual(a);
    expect(gaussian(20_000, 43)).not.toEqual(a);
    let sum = 0;
    let sq = 0;
    for (const v of a) {
      sum += v;
      sq += v * v;
    }
    expect(Math.abs(sum / a.length)).toBeLessThan(0.03);
    expect(Math.abs(Math.sqrt(sq / a.length) - 1)).toBeLessThan(0.03);
    expect(gaussian(3, 42, 0.5)[0]).toBeCloseTo(a[0] * 0.5, 6);
  });
});
