import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { ContentEncoder, guessLayout, toGeneratorFrames } from './content.js';
import { contentModel, contentReference, encodeModel } from './testing/onnx-builder.js';
import { harmonicTone } from './testing/fixtures.js';

/** What `fn` throws (undefined when it returns). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

const audio = harmonicTone(140, 0.5, 16000).map((v, i) => v + 0.01 * Math.sin(i / 3));

function maxDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('ContentEncoder', () => {
  for (const inputRank of [2, 3] as const) {
    for (const layout of ['btc', 'bct'] as const) {
      it(`gives [frames x dim] features from a [${inputRank === 3 ? '1, 1, N' : '1, N'}] model with ${layout === 'btc' ? '[1, T, C]' : '[1, C, T]'} output`, async () => {
        const session = await ort.InferenceSession.create(contentModel({ dim: 256, inputRank, layout }));
        const enc = new ContentEncoder(session);
        expect(enc.declaredDim).toBe(256);
        const f = await enc.encode(audio);
        expect(f.frames).toBe(Math.floor(audio.length / 320));
        expect(f.dim).toBe(256);
        expect(maxDiff(f.data, contentReference(audio, 256, 320))).toBeLessThan(1e-5);
        await session.release();
      });
    }
  }

  it('reads a [1, C, T] output as [T x C]', async () => {
    // Frames of 320 raw samples, transposed: the features are the samples themselves.
    const bytes = encodeModel({
      inputs: [{ name: 'wav', type: 'float32', shape: [1, 'n'] }],
      outputs: [{ name: 'units', type: 'float32', shape: [1, 'a', 'b'] }],
      nodes: [
        { op: 'Reshape', inputs: ['wav', 's'], outputs: ['x'] },
        { op: 'Transpose', inputs: ['x'], outputs: ['units'], attrs: { perm: [0, 2, 1] } },
      ],
      initializers: [{ name: 's', dims: [3], data: BigInt64Array.of(1n, -1n, 320n) }],
    });
    const session = await ort.InferenceSession.create(bytes);
    const samples = audio.subarray(0, 320 * 10);
    const f = await new ContentEncoder(session).encode(samples);
    expect([f.frames, f.dim]).toEqual([10, 320]);
    expect(Array.from(f.data.subarray(3 * 320, 3 * 320 + 4))).toEqual(Array.from(samples.subarray(960, 964)));
    await session.release();
  });

  it('takes the axis nearest to one frame per 320 samples as time when the model declares neither', () => {
    expect(guessLayout(50, 768, 16000)).toBe('btc');
    expect(guessLayout(768, 50, 16000)).toBe('bct');
    expect(guessLayout(49, 256, 16000)).toBe('btc');
  });

  it('rejects a model with more than one input as INVALID_CONFIG', async () => {
    const bytes = encodeModel({
      inputs: [
        { name: 'a', type: 'float32', shape: [1, 'n'] },
        { name: 'b', type: 'float32', shape: [1, 'n'] },
      ],
      outputs: [{ name: 'c', type: 'float32', shape: [1, 'n'] }],
      nodes: [{ op: 'Add', inputs: ['a', 'b'], outputs: ['c'] }],
    });
    const session = await ort.InferenceSession.create(bytes);
    expect(thrown(() => new ContentEncoder(session))).toMatchObject({ code: 'INVALID_CONFIG' });
    await session.release();
  });
});

describe('toGeneratorFrames', () => {
  it('repeats each 20 ms vector for two 10 ms frames and pads with the last one', () => {
    const f = { data: Float32Array.of(1, 2, 3, 4, 5, 6), frames: 3, dim: 2 };
    expect(Array.from(toGeneratorFrames(f, 8))).toEqual([1, 2, 1, 2, 3, 4, 3, 4, 5, 6, 5, 6, 5, 6, 5, 6]);
    expect(Array.from(toGeneratorFrames(f, 3))).toEqual([1, 2, 1, 2, 3, 4]);
  });
});
