// Frames in, requests out, with real espeak-ng speech as the source speakers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AudioFrame, Frame, SpeechEndFrame, TranslationFrame } from '../../frames.js';
import { resample } from '../../audio/resample.js';
import { EspeakTts } from '../tts-espeak.js';
import { SpeakerTracker } from './speaker-tracker.js';

const RATE = 16_000;
const VOICES = { es: ['es-A', 'es-B', 'es-C'] };
let tts: EspeakTts;
const speech = new Map<string, Float32Array>();

async function voice(name: string, text: string): Promise<Float32Array> {
  const key = `${name}|${text}`;
  if (!speech.has(key)) {
    const r = await tts.synthesize({ text, lang: 'en', voice: name });
    speech.set(key, resample(r.samples, r.sampleRate, RATE));
  }
  return speech.get(key) as Float32Array;
}

/** A segment as the VAD stage emits it: speech-start, 32 ms audio frames, speech-end with the whole audio. */
function segment(id: string, audio: Float32Array, end = true): Frame[] {
  const frames: Frame[] = [{ kind: 'speech-start', ptsMs: 0, segmentId: id }];
  for (let at = 0; at < audio.length; at += 512) {
    frames.push({ kind: 'audio', ptsMs: (at * 1000) / RATE, sampleRate: RATE, channels: 1, samples: audio.subarray(at, at + 512) } satisfies AudioFrame);
  }
  if (end) frames.push({ kind: 'speech-end', ptsMs: 0, segmentId: id, startMs: 0, endMs: 0, audio, sampleRate: RATE } satisfies SpeechEndFrame);
  return frames;
}

function translation(segmentId: string, lang = 'es'): TranslationFrame {
  return { kind: 'translation', ptsMs: 0, segmentId, unitId: `${segmentId}-u`, lang, startMs: 0, endMs: 1000, sourceText: '', closesSegment: true, text: 'hola', provider: 'test' };
}

beforeAll(async () => {
  tts = await EspeakTts.load();
});
afterAll(async () => {
  await tts?.close();
});

describe('SpeakerTracker', () => {
  it('gives each identified speaker its own voice, kept for the whole stream', async () => {
    const t = new SpeakerTracker({ enabled: true, voices: VOICES });
    const order: [string, string][] = [
      ['en-us', 'good morning and welcome to the show'],
      ['en-us+f3', 'today we are going to talk about the weather'],
      ['en-us', 'the house on the hill is red'],
      ['en-us+f3', 'thank you very much for watching'],
    ];
    const got = [];
    for (const [i, [v, text]] of order.entries()) {
      for (const f of segment(`seg${i}`, await voice(v, text))) t.observe(f);
      const req = t.requestFor(translation(`seg${i}`));
      got.push([req.speaker, req.voice]);
      expect(req.reference?.sampleRate).toBe(RATE);
    }
    expect(got).toEqual([
      ['S1', 'es-A'],
      ['S2', 'es-B'],
      ['S1', 'es-A'],
      ['S2', 'es-B'],
    ]);
    expect(t.voices()).toEqual({ es: { S1: 'es-A', S2: 'es-B' } });
  });

  it('gathers each speaker’s speech into one reference clip, up to its bound', async () => {
    const t = new SpeakerTracker({ enabled: true, voices: VOICES, maxReferenceMs: 5000 });
    const a = await voice('en-us', 'good morning and welcome to the show');
    const b = await voice('en-us', 'the house on the hill is red');
    for (const f of [...segment('s1', a), ...segment('s2', b)]) t.observe(f);
    const ref = t.requestFor(translation('s2')).reference;
    expect(ref?.samples.length).toBe(Math.min(a.length + b.length, 5 * RATE));
    // The newest speech is kept when the clip is full.
    expect(Array.from(ref?.samples.subarray(-100) ?? [])).toEqual(Array.from(b.subarray(-100)));
  });

  it('matches an early clause, before its segment ends, against the speakers already known', async () => {
    const t = new SpeakerTracker({ enabled: true, voices: VOICES });
    for (const f of segment('s1', await voice('en-us', 'good morning and welcome to the show'))) t.observe(f);
    expect(t.requestFor(translation('s1')).voice).toBe('es-A');
    for (const f of segment('s2', await voice('en-us+f3', 'today we are going to talk about the weather'))) t.observe(f);
    expect(t.requestFor(translation('s2')).voice).toBe('es-B');
    const ongoing = await voice('en-us+f3', 'thank you very much for watching');
    for (const f of segment('s3', ongoing.subarray(0, RATE), false)) t.observe(f);
    const early = t.requestFor(translation('s3'));
    expect(early).toMatchObject({ speaker: 'S2', voice: 'es-B' });
    expect(early.reference?.samples.length).toBeGreaterThan(0);
  });

  it('when disabled, names no speaker and no voice but still hands over the segment’s speech', async () => {
    const t = new SpeakerTracker({ enabled: false, voices: VOICES });
    const audio = await voice('en-us', 'good morning and welcome to the show');
    for (const f of segment('s1', audio)) t.observe(f);
    const req = t.requestFor(translation('s1'));
    expect(req.speaker).toBeUndefined();
    expect(req.voice).toBeUndefined();
    expect(req.reference?.samples).toBe(audio);
  });
});
