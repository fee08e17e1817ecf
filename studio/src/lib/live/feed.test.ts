import { describe, expect, it } from 'vitest';
import type { LiveEvent } from '../api/types.js';
import { LiveFeed, MAX_SEGMENTS, segmentOfUnit, textParts } from './feed.svelte.js';

/** A plain copy of reactive ($state) data for deep comparisons. */
const plain = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

function transcript(segmentId: string, revision: number, text: string, stable: string, isFinal = false): LiveEvent {
  return { type: 'transcript', segmentId, revision, text, stable, isFinal, startMs: 1000, endMs: 2000 };
}

describe('LiveFeed', () => {
  it('keeps the newest hypothesis of a segment and ignores a late older one', () => {
    const f = new LiveFeed();
    f.apply(transcript('s1', 1, 'good morning', ''));
    f.apply(transcript('s1', 3, 'good morning and welcome', 'good morning'));
    f.apply(transcript('s1', 2, 'good morning and', 'good'));
    expect(f.segments).toHaveLength(1);
    expect(f.segments[0]).toMatchObject({ text: 'good morning and welcome', stable: 'good morning', revision: 3, isFinal: false });
  });

  it('a final line stays final even if a non-final revision arrives after it', () => {
    const f = new LiveFeed();
    f.apply(transcript('s1', 4, 'thank you very much', 'thank you very much', true));
    f.apply(transcript('s1', 5, 'thank you', 'thank', false));
    expect(f.segments[0]).toMatchObject({ text: 'thank you very much', isFinal: true });
  });

  it('puts translations and dubs on the segment their unit belongs to, with the dub lag', () => {
    const f = new LiveFeed(() => 42);
    f.apply(transcript('seg.7', 1, 'the house is red', 'the house is red', true));
    f.apply({ type: 'translation', unitId: 'seg.7.1', lang: 'es', sourceText: 'the house is red', text: 'la casa es roja', startMs: 1000, endMs: 2000 });
    f.apply({ type: 'dub', unitId: 'seg.7.1', lang: 'es', text: 'la casa es roja', placedStartMs: 1000, durationMs: 900, speedFactor: 1.1, lagMs: 1800, notes: [] });
    f.apply({ type: 'shifted', unitId: 'seg.7.1', lang: 'es', lateMs: 300 });
    expect(f.segments).toHaveLength(1);
    const s = f.segments[0];
    expect(plain(s.translations.es)).toEqual([{ unitId: 'seg.7.1', text: 'la casa es roja' }]);
    expect(LiveFeed.lagOf(s, 'es')).toBe(1800);
    expect(s.dubs.es[0]).toMatchObject({ lateMs: 300, speedFactor: 1.1 });
    expect(plain(f.lag)).toEqual([{ atMs: 42, lang: 'es', lagMs: 1800 }]);
    expect(f.shifted).toBe(1);
  });

  it('counts missed dubs and marks the line', () => {
    const f = new LiveFeed();
    f.apply({ type: 'missed', unitId: 'a.1', lang: 'pt', text: 'obrigado' });
    expect(f.missed).toBe(1);
    expect(f.segments[0].dubs.pt[0]).toMatchObject({ missed: true, text: 'obrigado' });
  });

  it('turns cumulative stage stats into the mean of each interval', () => {
    let now = 0;
    const f = new LiveFeed(() => now);
    f.apply({ type: 'stats', stages: { asr: { calls: 2, totalMs: 100, maxMs: 60 } }, counters: { 'ingest.dropped': 0 } });
    now = 2000;
    f.apply({ type: 'stats', stages: { asr: { calls: 4, totalMs: 400, maxMs: 200 }, tts: { calls: 1, totalMs: 30, maxMs: 30 } }, counters: { 'ingest.dropped': 3 } });
    expect(plain(f.stageHistory)).toEqual([
      { atMs: 0, stages: { asr: 50 } },
      { atMs: 2000, stages: { asr: 150, tts: 30 } },
    ]);
    expect(f.counters['ingest.dropped']).toBe(3);
  });

  it('counts nothing twice when the server replays recent events after a reconnect', () => {
    const f = new LiveFeed(() => 7);
    const events: LiveEvent[] = [
      transcript('s.1', 1, 'hello there', 'hello there', true),
      { type: 'dub', unitId: 's.1.1', lang: 'es', text: 'hola', placedStartMs: 0, durationMs: 500, speedFactor: 1, lagMs: 1500, notes: [] },
      { type: 'missed', unitId: 's.1.2', lang: 'es', text: 'ahí' },
      { type: 'shifted', unitId: 's.1.1', lang: 'es', lateMs: 200 },
      { type: 'stats', stages: { asr: { calls: 2, totalMs: 100, maxMs: 60 } }, counters: {} },
    ];
    for (const e of [...events, ...events]) f.apply(e);
    expect(f.segments).toHaveLength(1);
    expect(plain(f.lag)).toEqual([{ atMs: 7, lang: 'es', lagMs: 1500 }]);
    expect([f.missed, f.shifted, f.stageHistory.length]).toEqual([1, 1, 1]);
  });

  it('follows the session state and ignores what is not an event', () => {
    const f = new LiveFeed();
    f.receive('not json');
    f.receive('{"no":"type"}');
    f.receive(JSON.stringify({ type: 'state', state: 'reconnecting' }));
    expect(f.state).toBe('reconnecting');
    expect(f.segments).toHaveLength(0);
  });

  it(`keeps only the newest ${MAX_SEGMENTS} segments`, () => {
    const f = new LiveFeed();
    for (let i = 0; i < MAX_SEGMENTS + 20; i++) f.apply(transcript(`s${i}`, 1, `line ${i}`, '', true));
    expect(f.segments).toHaveLength(MAX_SEGMENTS);
    expect(f.segments[0].id).toBe('s20');
    // An evicted segment that speaks again starts a fresh line rather than touching a dropped object.
    f.apply(transcript('s0', 2, 'again', '', true));
    expect(f.segments.at(-1)).toMatchObject({ id: 's0', text: 'again' });
  });
});

describe('textParts', () => {
  it('splits a hypothesis into its stable prefix and the partial rest', () => {
    expect(textParts({ text: 'good morning and wel', stable: 'good morning', isFinal: false })).toEqual([
      { kind: 'stable', text: 'good morning' },
      { kind: 'partial', text: ' and wel' },
    ]);
  });

  it('shows a line with nothing stable yet as all partial, and a final line as one piece', () => {
    expect(textParts({ text: 'hello', stable: '', isFinal: false })).toEqual([{ kind: 'partial', text: 'hello' }]);
    expect(textParts({ text: 'hello there', stable: 'hello', isFinal: true })).toEqual([{ kind: 'final', text: 'hello there' }]);
  });

  it('falls back to counting words when the stable text is not a literal prefix', () => {
    expect(textParts({ text: 'Good morning all', stable: 'good  morning', isFinal: false })).toEqual([
      { kind: 'stable', text: 'good  morning' },
      { kind: 'partial', text: ' all' },
    ]);
  });
});

describe('segmentOfUnit', () => {
  it('strips the unit number from a unit id', () => {
    expect(segmentOfUnit('abc.2.3')).toBe('abc.2');
    expect(segmentOfUnit('plain')).toBe('plain');
  });
});
