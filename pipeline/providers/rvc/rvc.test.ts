import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidStateError } from '../../errors.js';
import { resample } from '../../audio/resample.js';
import { coarsePitch } from './f0.js';
import { RvcVoice, type RvcOptions } from './rvc.js';
import { contentModel, contentReference, generatorFrameValue, generatorModel } from './testing/onnx-builder.js';
import { harmonicTone, modelDir, type ModelDir } from './testing/fixtures.js';

const DIM = 64;
const TTS_RATE = 22050;

describe('RvcVoice (real onnxruntime on models the test builds)', () => {
  let dir: ModelDir;
  const paths: Record<string, string> = {};
  const voices: RvcVoice[] = [];
  /** The synthetic voice: a steady 150 Hz vowel-like tone whose loudness swells 4 times a second, 2.5 s at the TTS rate. */
  const voice = harmonicTone(150, 2.5, TTS_RATE, 0.8).map((v, i) => v * (0.6 + 0.4 * Math.sin((2 * Math.PI * 4 * i) / TTS_RATE)));
  const lowSpeaker = harmonicTone(100, 1.5, 16000);

  async function load(opts: Partial<RvcOptions> = {}): Promise<RvcVoice> {
    const v = await RvcVoice.load({ contentModel: paths.content, generatorModel: paths.gen40k, f0UpKeySemitones: 0, ...opts });
    voices.push(v);
    return v;
  }
  const request = (samples = voice, reference = lowSpeaker) => ({ samples, sampleRate: TTS_RATE, reference, referenceSampleRate: 16000 });

  beforeAll(async () => {
    dir = await modelDir();
    paths.content = await dir.write('content.onnx', contentModel({ dim: DIM }));
    paths.content256 = await dir.write('content256.onnx', contentModel({ dim: 256, inputRank: 2 }));
    paths.gen40k = await dir.write('gen40k.onnx', generatorModel({ dim: DIM, hop: 400 }));
    paths.gen48k = await dir.write('gen48k.onnx', generatorModel({ dim: DIM, hop: 480, metadata: { sample_rate: '48000' }, names: { phone: 'phone', lengths: 'phone_lengths', pitch: 'pitch', pitchf: 'pitchf', speaker: 'sid', rnd: 'rnd' } }));
    paths.heavyContent = await dir.write('heavy-content.onnx', contentModel({ dim: 768, hiddenLayers: 4 }));
    paths.heavyGen = await dir.write('heavy-gen.onnx', generatorModel({ dim: 768, hop: 400, hiddenLayers: 8 }));
    paths.truncated = await dir.write('truncated.onnx', generatorModel({ dim: DIM }).subarray(0, 500));
  });

  afterAll(async () => {
    await Promise.all(voices.map((v) => v.close()));
    await dir.remove();
  });

  it('loads a content model and generator pair and measures the generator’s sample rate', async () => {
    const v = await load();
    expect(v.info.id).toBe('rvc');
    expect(v.model).toMatchObject({ sampleRate: 40000, sampleRateFrom: 'measured', featureDim: DIM, hasPitch: true });
    expect(v.model.generatorInputs).toEqual(['phone', 'phone_lengths', 'pitch', 'pitchf', 'ds', 'rnd']);
  });

  it('takes the sample rate from the model’s metadata when it has one', async () => {
    const v = await load({ generatorModel: paths.gen48k });
    expect(v.model).toMatchObject({ sampleRate: 48000, sampleRateFrom: 'metadata' });
    const out = await v.convert(request());
    expect(out.sampleRate).toBe(48000);
    expect(out.samples.length).toBe(Math.round((voice.length * 48000) / TTS_RATE));
  });

  it('converts a segment: each 10 ms of output carries its frame’s content features and pitch', async () => {
    const v = await load();
    const out = await v.convert(request());
    expect(out.sampleRate).toBe(40000);
    expect(out.samples.length).toBe(Math.round((voice.length * 40000) / TTS_RATE));
    expect(out.note).toBe('rvc key +0.0 st, 3 windows at 40000 Hz');

    // What the graphs compute from the whole 16 kHz signal: 20 ms feature means, 150 Hz voiced pitch.
    const x16 = resample(voice, TTS_RATE, 16000);
    const feats = contentReference(x16, DIM, 320);
    const bin = Number(coarsePitch(Float32Array.of(150))[0]);
    const wants: number[] = [];
    // Interior frames (away from the fades at both ends), including the window joins at 0.9 s and 1.8 s.
    for (let j = 10; j < 240; j++) {
      const want = generatorFrameValue(feats.subarray((j >> 1) * DIM, ((j >> 1) + 1) * DIM), 150, bin, 0);
      const got = out.samples[j * 400 + 200];
      expect(Math.abs(got - want), `frame ${j}`).toBeLessThan(3e-3);
      wants.push(want);
    }
    // The content term moves far more than the tolerance: a frame out of place would fail.
    expect(Math.max(...wants) - Math.min(...wants)).toBeGreaterThan(0.03);
  });

  it('passes the speaker id to the generator', async () => {
    const [a, b] = await Promise.all([load(), load({ speakerId: 2 })]);
    const [outA, outB] = await Promise.all([a.convert(request()), b.convert(request())]);
    // The test generator adds 0.01 per speaker id to every sample, crossfades included.
    for (let i = 0; i < outA.samples.length; i += 97) expect(outB.samples[i] - outA.samples[i]).toBeCloseTo(0.02, 5);
  });

  it("moves the pitch toward the source speaker with the 'auto' key", async () => {
    const [fixed, auto] = await Promise.all([load(), load({ f0UpKeySemitones: 'auto' })]);
    const [outFixed, outAuto] = await Promise.all([fixed.convert(request()), auto.convert(request())]);
    expect(outAuto.note).toBe('rvc key -7.0 st (auto: 150 Hz → 100 Hz), 3 windows at 40000 Hz');
    const drop = 1e-3 * 50 + 1e-3 * Number(coarsePitch(Float32Array.of(150))[0] - coarsePitch(Float32Array.of(100))[0]);
    for (let j = 10; j < 240; j += 7) {
      const i = j * 400 + 200;
      expect(Math.abs(outFixed.samples[i] - outAuto.samples[i] - drop), `frame ${j}`).toBeLessThan(3e-3);
    }
  });

  it('streams window by window, and the stream joins into what convert() returns', async () => {
    const v = await load();
    const stream = v.stream(request());
    const parts: Float32Array[] = [];
    for await (const p of stream) parts.push(p);
    // 1 s windows 0.9 s apart: the first part is ready after one window and holds 0.9 s.
    expect(parts.map((p) => p.length)).toEqual([36000, 36000, Math.round((voice.length * 40000) / TTS_RATE) - 72000]);
    expect(stream.note).toBe('rvc key +0.0 st, 3 windows at 40000 Hz');
    const joined = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    parts.reduce((at, p) => (joined.set(p, at), at + p.length), 0);
    expect(joined).toEqual((await v.convert(request())).samples);
  });

  it('keeps the event loop running while the sessions work', async () => {
    const v = await load({ contentModel: paths.heavyContent, generatorModel: paths.heavyGen });
    let ticks = 0;
    let done = false;
    const spin = () => {
      ticks++;
      if (!done) setImmediate(spin);
    };
    setImmediate(spin);
    const out = await v.convert(request());
    done = true;
    expect(out.samples.length).toBe(Math.round((voice.length * 40000) / TTS_RATE));
    // Inference on this thread would block it for whole windows: a handful of turns in all.
    expect(ticks).toBeGreaterThan(200);
  });

  it('returns no samples for an empty segment', async () => {
    const v = await load();
    const out = await v.convert(request(new Float32Array(0)));
    expect(out.samples.length).toBe(0);
  });

  it('fails at load with one readable error for missing, corrupt and mismatched models', async () => {
    await expect(RvcVoice.load({})).rejects.toMatchObject({ code: 'INVALID_CONFIG', message: 'no RVC model configured (voice.rvc.generatorModel)' });
    await expect(load({ generatorModel: `${dir.dir}/missing.onnx` })).rejects.toMatchObject({
      code: 'MODEL_NOT_FOUND',
      message: `voice.rvc.generatorModel: ${dir.dir}/missing.onnx not found`,
    });
    await expect(load({ generatorModel: paths.truncated })).rejects.toMatchObject({ code: 'INVALID_CONFIG', message: expect.stringContaining('is not a readable ONNX model') as unknown });
    await expect(load({ contentModel: paths.content256 })).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      message: 'content model gives 256-wide features but the generator takes 64 (v2 needs 768, v1 256)',
    });
    await expect(load({ sampleRate: 48000 })).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      message: 'generator gives 400 samples per 10 ms frame (40000 Hz) but its sample rate is set to 48000 Hz (config)',
    });
    await expect(load({ chunkMs: 1010 })).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
  });

  it('close() is idempotent, and convert() after close() throws InvalidStateError', async () => {
    const v = await load();
    await v.close();
    await v.close();
    await expect(v.convert(request())).rejects.toBeInstanceOf(InvalidStateError);
  });
});
