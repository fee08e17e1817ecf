// Real speech only: espeak-ng voices (through the real library) and LibriVox recordings from Debian's pocketsphinx-testdata.
import { readFileSync, readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EspeakTts } from '../providers/tts-espeak.js';
import { LIBRIVOX_DIR } from '../media/sample.js';
import { decodeWav } from './wav.js';
import { resample } from './resample.js';
import { featureDistance, SpeakerIdentifier, voiceFeatures } from './speaker-id.js';

const SENTENCES = [
  'good morning and welcome to the show',
  'today we are going to talk about the weather in the city',
  'the house on the hill is red and the garden is green',
  'thank you very much for watching',
];

let tts: EspeakTts;
/** 22,050 Hz speech of one espeak-ng voice. */
async function say(text: string, voice: string): Promise<Float32Array> {
  return (await tts.synthesize({ text, lang: 'en', voice })).samples;
}

beforeAll(async () => {
  tts = await EspeakTts.load();
});
afterAll(async () => {
  await tts?.close();
});

describe('SpeakerIdentifier', () => {
  it('keeps one id for one voice across different sentences', async () => {
    const id = new SpeakerIdentifier();
    const matches = [];
    for (const s of SENTENCES) matches.push(id.identify(await say(s, 'en-us'), 22_050));
    expect(matches.map((m) => m?.speaker)).toEqual(['S1', 'S1', 'S1', 'S1']);
    expect(matches.map((m) => m?.isNew)).toEqual([true, false, false, false]);
    expect(id.speakers).toBe(1);
  });

  it('gives a voice of clearly different pitch a new id, and each voice keeps its own', async () => {
    const id = new SpeakerIdentifier();
    const order: [string, string][] = [
      ['en-us', SENTENCES[0]],
      ['en-us+f3', SENTENCES[1]],
      ['en-us', SENTENCES[2]],
      ['en-us+f3', SENTENCES[3]],
      ['en-us+f3', SENTENCES[0]],
    ];
    const ids = [];
    for (const [voice, text] of order) ids.push(id.identify(await say(text, voice), 22_050)?.speaker);
    expect(ids).toEqual(['S1', 'S2', 'S1', 'S2', 'S2']);
  });

  it('keeps a real reader on one id across five recorded sentences', () => {
    const id = new SpeakerIdentifier();
    const files = readdirSync(LIBRIVOX_DIR).filter((f) => f.endsWith('.wav')).sort();
    expect(files.length).toBeGreaterThanOrEqual(4);
    const ids = files.map((f) => {
      const wav = decodeWav(readFileSync(`${LIBRIVOX_DIR}/${f}`));
      return id.identify(wav.samples, wav.sampleRate)?.speaker;
    });
    expect(new Set(ids)).toEqual(new Set(['S1']));
  });

  it('puts a new voice with its nearest speaker once maxSpeakers are known', async () => {
    const id = new SpeakerIdentifier({ maxSpeakers: 1 });
    id.identify(await say(SENTENCES[0], 'en-us'), 22_050);
    const m = id.identify(await say(SENTENCES[1], 'en-us+f3'), 22_050);
    expect(m).toMatchObject({ speaker: 'S1', isNew: false });
    expect(m?.distance).toBeGreaterThan(0.45);
  });

  it('does not identify segments with too little speech', async () => {
    const id = new SpeakerIdentifier();
    expect(id.identify(new Float32Array(16_000), 16_000)).toBeUndefined();
    const short = (await say('hi', 'en-us')).subarray(0, 4000); // ~180 ms
    expect(id.identify(short, 22_050)).toBeUndefined();
    expect(id.speakers).toBe(0);
  });

  it('peek() names a known speaker for part of a segment without learning from it', async () => {
    const id = new SpeakerIdentifier();
    id.identify(await say(SENTENCES[0], 'en-us'), 22_050);
    const partial = (await say(SENTENCES[1], 'en-us')).subarray(0, 22_050);
    expect(id.peek(partial, 22_050)?.speaker).toBe('S1');
    expect(id.peek(await say(SENTENCES[1], 'en-us+f3'), 22_050)).toBeUndefined();
    expect(id.speakers).toBe(1);
  });

  it('gives the same answer whatever the sample rate of the speech', async () => {
    const speech = await say(SENTENCES[1], 'en-us');
    const a = voiceFeatures(speech, 22_050);
    const b = voiceFeatures(resample(speech, 22_050, 16_000), 16_000);
    const c = voiceFeatures(resample(speech, 22_050, 48_000), 48_000);
    expect(a && b && c).toBeTruthy();
    if (!a || !b || !c) return;
    expect(featureDistance(a, b)).toBeLessThan(0.05);
    expect(featureDistance(a, c)).toBeLessThan(0.05);
    expect(Math.abs(a.f0Hz - b.f0Hz) / a.f0Hz).toBeLessThan(0.05);
    expect(featureDistance(a, a)).toBeCloseTo(0, 10);
  });

  it('rejects a bad sample rate with INVALID_ARGUMENT', () => {
    let thrown: unknown;
    try {
      voiceFeatures(new Float32Array(100), 0);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
