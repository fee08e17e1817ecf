import { describe, expect, it } from 'vitest';
import { estimatedWords, resultToHypothesis, timedWords, voicedSpan } from './sherpa-result.js';

const RATE = 16_000;

/** Silence with a loud stretch from startMs to endMs. */
function loud(totalMs: number, startMs: number, endMs: number): Float32Array {
  const x = new Float32Array((totalMs * RATE) / 1000);
  for (let i = (startMs * RATE) / 1000; i < (endMs * RATE) / 1000; i++) x[i] = 0.3 * Math.sin(i / 5);
  return x;
}

describe('timedWords', () => {
  it('joins BPE pieces into words, ends each word before the next, and lowercases an all-caps model', () => {
    const words = timedWords(['▁GO', '▁FOR', 'WARD', '▁TEN'], [0.2, 0.5, 0.62, 1.4], undefined, 2000);
    expect(words).toEqual([
      { text: 'go', startMs: 200, endMs: 400 },
      { text: 'forward', startMs: 500, endMs: 820 },
      { text: 'ten', startMs: 1400, endMs: 1600 },
    ]);
  });

  it('joins paraformer pieces marked @@ and keeps unmarked tokens as words', () => {
    const words = timedWords(['hel@@', 'lo', 'world'], [0.1, 0.2, 0.5], undefined, 1000);
    expect(words.map((w) => w.text)).toEqual(['hello', 'world']);
  });

  it('makes each CJK character a word and uses token durations when the model gives them', () => {
    const words = timedWords(['你', '好'], [0.1, 0.3], [0.15, 0.2], 1000);
    expect(words).toEqual([
      { text: '你', startMs: 100, endMs: 250 },
      { text: '好', startMs: 300, endMs: 500 },
    ]);
  });

  it('never ends a word after the audio', () => {
    expect(timedWords([' end'], [0.95], undefined, 1000)).toEqual([{ text: 'end', startMs: 950, endMs: 1000 }]);
  });
});

describe('estimated timings (models without timestamps)', () => {
  it('finds the voiced span of the audio', () => {
    expect(voicedSpan(loud(3000, 1000, 2000), RATE)).toEqual({ startMs: 1000, endMs: 2000 });
    expect(voicedSpan(new Float32Array(RATE), RATE)).toEqual({ startMs: 0, endMs: 1000 });
  });

  it('spreads the words over the voiced span by length, in order', () => {
    const words = estimatedWords('Hi everyone', loud(3000, 1000, 2000), RATE);
    expect(words.map((w) => w.text)).toEqual(['Hi', 'everyone']);
    expect(words[0].startMs).toBe(1000);
    expect(words[1].endMs).toBe(2000);
    expect(words[1].startMs).toBe(words[0].endMs);
    expect(words[1].endMs - words[1].startMs).toBeGreaterThan(words[0].endMs - words[0].startMs);
  });
});

describe('resultToHypothesis', () => {
  it('uses token timestamps when there is one per token', () => {
    const hyp = resultToHypothesis({ text: ' low high', tokens: [' low', ' high'], timestamps: [0.48, 1.5] }, new Float32Array(3 * RATE), RATE);
    expect(hyp.text).toBe('low high');
    expect(hyp.words.map((w) => [w.text, w.startMs])).toEqual([
      ['low', 480],
      ['high', 1500],
    ]);
  });

  it('estimates timings from the audio when the model gives text only (whisper), reading the audio lazily', () => {
    let reads = 0;
    const audio = loud(2000, 500, 1500);
    const hyp = resultToHypothesis({ text: ' The quick fox.', tokens: [' The', ' quick', ' fox', '.'], timestamps: [] }, { length: audio.length, read: () => (reads++, audio) }, RATE);
    expect(reads).toBe(1);
    expect(hyp.text).toBe('The quick fox.');
    expect(hyp.words.map((w) => w.text)).toEqual(['The', 'quick', 'fox.']);
    expect(hyp.words[0].startMs).toBe(500);
    expect(hyp.words[2].endMs).toBe(1500);
  });

  it('is empty for an empty result', () => {
    expect(resultToHypothesis({ text: '  ' }, new Float32Array(10), RATE)).toEqual({ text: '', words: [] });
  });
});
