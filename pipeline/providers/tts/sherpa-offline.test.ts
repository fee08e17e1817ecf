// The real sherpa-onnx OfflineTts on a worker thread, given model folders the test makes (tiny real ONNX models).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { debianLibDir } from '../../../collections/catalog.js';
import { InvalidStateError } from '../../errors.js';
import { SherpaTts } from './sherpa-offline.js';
import { makeTinyKokoroFolder, makeTinyPiperFolder, SAMPLES_PER_TOKEN } from './testing/tiny-models.js';

const ESPEAK_DATA = `${debianLibDir()}/espeak-ng-data`;
const TEXT = 'Hola mundo, ¿cómo estás?';
let root: string;
let piper: SherpaTts;
let kokoro: SherpaTts;

function mean(x: Float32Array): number {
  return x.reduce((s, v) => s + v, 0) / x.length;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'dubd-sherpa-tts-'));
  piper = await SherpaTts.load({ model: await makeTinyPiperFolder(join(root, 'piper'), ESPEAK_DATA, { speakers: 3 }), numThreads: 1 });
  kokoro = await SherpaTts.load({ model: await makeTinyKokoroFolder(join(root, 'kokoro'), ESPEAK_DATA), lang: 'es', numThreads: 1 });
});
afterAll(async () => {
  await Promise.all([piper?.close(), kokoro?.close()]);
  await rm(root, { recursive: true, force: true });
});

describe('SherpaTts', () => {
  it('reports the model kind, its rate and the languages its files name', () => {
    expect(piper.info).toMatchObject({ id: 'sherpa', version: expect.stringMatching(/^vits \(sherpa-onnx \d+\.\d+\.\d+\)$/) as unknown });
    expect(piper.capabilities).toEqual({ sampleRate: 16_000, languages: ['es', 'es-ES'], rate: true });
    expect(kokoro.capabilities).toMatchObject({ sampleRate: 24_000, languages: ['es'] });
  });

  it('speaks through the worker: the phonemes of the text reach the model and audio comes back', async () => {
    const r = await piper.synthesize({ text: TEXT, lang: 'es' });
    expect(r).toMatchObject({ sampleRate: 16_000, provider: 'sherpa' });
    // The tiny model gives SAMPLES_PER_TOKEN samples per phoneme token: a dozen or more for this sentence.
    expect(r.samples.length % SAMPLES_PER_TOKEN).toBe(0);
    expect(r.samples.length / SAMPLES_PER_TOKEN).toBeGreaterThan(12);
    const longer = await piper.synthesize({ text: `${TEXT} Muy bien, gracias.`, lang: 'es-419' });
    expect(longer.samples.length).toBeGreaterThan(r.samples.length);
  });

  it('passes the speed and the speaker id to the model', async () => {
    const normal = await piper.synthesize({ text: TEXT, lang: 'es' });
    const fast = await piper.synthesize({ text: TEXT, lang: 'es', rate: 2 });
    expect(fast.samples.length).toBe(normal.samples.length / 2);
    const speaker2 = await piper.synthesize({ text: TEXT, lang: 'es', voice: '2' });
    const sid2 = await piper.synthesize({ text: TEXT, lang: 'es', voice: 'sid:2' });
    // Each speaker id adds 0.1 to every sample in the tiny model.
    expect(mean(speaker2.samples) - mean(normal.samples)).toBeCloseTo(0.2, 4);
    expect(Array.from(sid2.samples.subarray(0, 50))).toEqual(Array.from(speaker2.samples.subarray(0, 50)));
  });

  it('picks kokoro speakers by the names the model lists', async () => {
    const first = await kokoro.synthesize({ text: TEXT, lang: 'es', voice: 'tiny_0' });
    const second = await kokoro.synthesize({ text: TEXT, lang: 'es', voice: 'tiny_1' });
    expect(first.sampleRate).toBe(24_000);
    // voices.bin holds 0.5·k in speaker k's style vectors; the tiny model adds their mean.
    expect(mean(second.samples) - mean(first.samples)).toBeCloseTo(0.5, 4);
  });

  it('refuses an unknown voice, a language the model does not speak and a bad rate', async () => {
    await expect(piper.synthesize({ text: TEXT, lang: 'es', voice: '3' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('0–2') as unknown });
    await expect(kokoro.synthesize({ text: TEXT, lang: 'es', voice: 'af_heart' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(piper.synthesize({ text: TEXT, lang: 'pt' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(piper.synthesize({ text: TEXT, lang: 'es', rate: 0 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('gives empty audio for blank text and stops at an abort', async () => {
    const blank = await piper.synthesize({ text: ' \n\t ', lang: 'es' });
    expect(blank.samples.length).toBe(0);
    const ac = new AbortController();
    ac.abort();
    await expect(piper.synthesize({ text: TEXT, lang: 'es', signal: ac.signal })).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('fails to load with a readable error when the folder is not a model, without starting the library', async () => {
    await expect(SherpaTts.load({ model: join(root, 'missing') })).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
    await expect(SherpaTts.load({ model: join(root, 'piper'), sid: 5 })).rejects.toMatchObject({ code: 'INVALID_CONFIG', message: expect.stringContaining('3 speaker') as unknown });
  });

  it('close() is idempotent and later calls throw InvalidStateError', async () => {
    const tts = await SherpaTts.load({ model: join(root, 'piper'), numThreads: 1 });
    await Promise.all([tts.close(), tts.close()]);
    await expect(tts.synthesize({ text: TEXT, lang: 'es' })).rejects.toBeInstanceOf(InvalidStateError);
  });
});
