// Runs the real espeak-ng (libespeak-ng.so.1 through koffi): no mocks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidStateError } from '../errors.js';
import { bcp47, EspeakTts, trimSilence } from './tts-espeak.js';

const ES = 'La casa es roja y el perro es muy grande.';
const PT = 'A casa é vermelha e o cachorro é muito grande.';

function rms(x: Float32Array): number {
  let sum = 0;
  for (const v of x) sum += v * v;
  return Math.sqrt(sum / Math.max(1, x.length));
}

function seconds(r: { samples: Float32Array; sampleRate: number }): number {
  return r.samples.length / r.sampleRate;
}

function expectSpeech(r: { samples: Float32Array; sampleRate: number }, minS = 0.5, maxS = 4): void {
  expect(r.sampleRate).toBe(22_050);
  expect(seconds(r)).toBeGreaterThan(minS);
  expect(seconds(r)).toBeLessThan(maxS);
  expect(rms(r.samples)).toBeGreaterThan(0.03);
  let peak = 0;
  for (const v of r.samples) peak = Math.max(peak, Math.abs(v));
  expect(peak).toBeLessThanOrEqual(1);
}

describe('EspeakTts without the library', () => {
  // Runs first: once the process-wide engine is open, load() reuses it whatever the options say.
  it('reports a missing library as ENGINE_MISSING with the install command', async () => {
    const err = await EspeakTts.load({ library: 'libespeak-ng-missing.so.9' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ENGINE_MISSING' });
    expect((err as Error).message).toContain('apt-get install espeak-ng');
  });
});

describe('EspeakTts', () => {
  let tts: EspeakTts;

  beforeAll(async () => {
    tts = await EspeakTts.load();
  });
  afterAll(async () => {
    await tts?.close();
  });

  it('reports its version, 22050 Hz and the languages it can speak', () => {
    expect(tts.info).toMatchObject({ id: 'espeak-ng' });
    expect(tts.info.version).toMatch(/^\d+\.\d+/);
    expect(tts.capabilities.sampleRate).toBe(22_050);
    const wanted = ['es', 'es-419', 'pt', 'pt-BR', 'en', 'en-US'];
    expect(tts.capabilities.languages).toEqual(expect.arrayContaining(wanted));
  });

  it('speaks Spanish as non-silent audio of plausible length', async () => {
    expectSpeech(await tts.synthesize({ text: ES, lang: 'es' }));
  });

  it('speaks Portuguese (pt and pt-BR) as non-silent audio of plausible length', async () => {
    expectSpeech(await tts.synthesize({ text: PT, lang: 'pt' }));
    expectSpeech(await tts.synthesize({ text: PT, lang: 'pt-BR' }));
    expectSpeech(await tts.synthesize({ text: 'La casa es roja.', lang: 'es-419' }), 0.3);
  });

  it('speaks faster at rate 1.3 than at rate 1', async () => {
    const normal = await tts.synthesize({ text: ES, lang: 'es', rate: 1 });
    const fast = await tts.synthesize({ text: ES, lang: 'es', rate: 1.3 });
    expect(seconds(fast) / seconds(normal)).toBeLessThan(0.9);
    expect(seconds(fast) / seconds(normal)).toBeGreaterThan(0.6);
  });

  it('aims for targetDurationMs within 0.85–1.3× of the normal rate', async () => {
    const normalS = seconds(await tts.synthesize({ text: ES, lang: 'es' }));
    const slowS = seconds(await tts.synthesize({ text: ES, lang: 'es', targetDurationMs: normalS * 1000 * 1.1 }));
    expect(slowS / normalS).toBeGreaterThan(1.04);
    expect(slowS / normalS).toBeLessThan(1.2);
    // Far too short a slot: the rate stops at 1.3× and the align stage does the rest.
    const squeezedS = seconds(await tts.synthesize({ text: ES, lang: 'es', targetDurationMs: 500 }));
    expect(squeezedS / normalS).toBeGreaterThan(0.65);
    expect(squeezedS / normalS).toBeLessThan(0.9);
  });

  it('trims the silence espeak adds at both ends', async () => {
    const r = await tts.synthesize({ text: 'hola', lang: 'es' });
    const pad = Math.round(0.015 * r.sampleRate);
    const loud = (v: number): boolean => Math.abs(v) >= 0.01;
    expect(r.samples.findIndex(loud)).toBeLessThanOrEqual(pad);
    expect(r.samples.length - 1 - r.samples.findLastIndex(loud)).toBeLessThanOrEqual(pad);
    expect(trimSilence(new Float32Array([0, 0, 0.5, 0.2, 0, 0]), 0.1, 1)).toEqual(new Float32Array([0, 0.5, 0.2, 0]));
    expect(trimSilence(new Float32Array(100), 0.1, 5)).toHaveLength(0);
  });

  it('serialises 20 concurrent requests and gives each its own audio', async () => {
    const texts = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? 'sí' : ES));
    const results = await Promise.all(texts.map((text) => tts.synthesize({ text, lang: 'es' })));
    results.forEach((r, i) => {
      expect(rms(r.samples)).toBeGreaterThan(0.03);
      // Short and long texts alternate: a mixed-up answer would break the pattern.
      if (i % 2 === 0) expect(seconds(r)).toBeLessThan(0.6);
      else expect(seconds(r)).toBeGreaterThan(1.5);
    });
  });

  it('returns empty audio for empty or blank text', async () => {
    for (const text of ['', '   \n']) {
      const r = await tts.synthesize({ text, lang: 'es' });
      expect(r.samples).toHaveLength(0);
      expect(r.sampleRate).toBe(22_050);
    }
  });

  it('rejects a language without a voice with INVALID_ARGUMENT listing the available ones', async () => {
    const err = await tts.synthesize({ text: 'hola', lang: 'tlh' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect((err as Error).message).toMatch(/'tlh'.*available: .*\bes\b.*pt-BR/);
    await expect(tts.synthesize({ text: 'hola', lang: 'es', voice: 'no-such-voice' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    expectSpeech(await tts.synthesize({ text: ES, lang: 'xx', voice: 'es' }));
  });

  it('stops synthesis when the signal aborts', async () => {
    await expect(tts.synthesize({ text: ES, lang: 'es', signal: AbortSignal.abort() })).rejects.toMatchObject({
      code: 'ABORTED',
    });
    const long = Array.from({ length: 40 }, () => ES).join(' ');
    const ac = new AbortController();
    const t0 = performance.now();
    const pending = tts.synthesize({ text: long, lang: 'es', signal: ac.signal });
    setTimeout(() => ac.abort(), 5);
    await expect(pending).rejects.toMatchObject({ code: 'ABORTED' });
    const abortedMs = performance.now() - t0;
    const t1 = performance.now();
    expectSpeech(await tts.synthesize({ text: long, lang: 'es' }), 30, 200);
    expect(abortedMs).toBeLessThan(performance.now() - t1);
  });

  it('measures milliseconds per sentence', async () => {
    const sentences = [ES, PT, 'Buenos días a todos, bienvenidos al programa.', 'Hoy vamos a hablar de música.'];
    const n = 40;
    let audioS = 0;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const lang = i % 4 === 1 ? 'pt' : 'es';
      audioS += seconds(await tts.synthesize({ text: sentences[i % 4] ?? ES, lang }));
    }
    const msPerSentence = (performance.now() - t0) / n;
    const rtf = (msPerSentence * n) / 1000 / audioS;
    console.log(`espeak-ng: ${msPerSentence.toFixed(1)} ms/sentence, real-time factor ${rtf.toFixed(4)}`);
    expect(msPerSentence).toBeLessThan(100);
  });

  it('formats language codes as BCP 47', () => {
    expect(bcp47('pt-br')).toBe('pt-BR');
    expect(bcp47('es-419')).toBe('es-419');
    expect(bcp47('en-gb-x-rp')).toBe('en-GB-x-RP');
  });
});

describe('EspeakTts lifecycle', () => {
  it('close() is idempotent and synthesize() after close() rejects with InvalidStateError', async () => {
    const tts = await EspeakTts.load();
    await Promise.all([tts.close(), tts.close()]);
    await tts.close();
    await expect(tts.synthesize({ text: 'hola', lang: 'es' })).rejects.toBeInstanceOf(InvalidStateError);
  });

  it('closing one instance leaves the others and later loads working', async () => {
    const a = await EspeakTts.load();
    const b = await EspeakTts.load();
    const queued = a.synthesize({ text: ES, lang: 'es' });
    await b.close();
    expectSpeech(await queued);
    await a.close();
    const c = await EspeakTts.load();
    expectSpeech(await c.synthesize({ text: ES, lang: 'es' }));
    await c.close();
  });
});
