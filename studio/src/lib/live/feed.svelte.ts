/**
 * The state of one live session as its WebSocket feed describes it: transcript lines (partial → stable →
 * final), their translations and dubs per language with each dub's lag, missed and late dubs, the latest
 * pipeline stats and a short history for the charts. Bounded: only the newest segments and points are kept.
 */
import type { LiveEvent } from '../api/types.js';

export const MAX_SEGMENTS = 200;
export const MAX_POINTS = 300;

export interface FeedDub {
  unitId: string;
  text: string;
  lagMs?: number;
  speedFactor?: number;
  /** The dub missed its deadline: the original played there. */
  missed?: boolean;
  /** The dub started this late. */
  lateMs?: number;
}

export interface FeedSegment {
  id: string;
  startMs: number;
  endMs: number;
  /** The whole current hypothesis. */
  text: string;
  /** The committed prefix of `text`. */
  stable: string;
  isFinal: boolean;
  revision: number;
  translations: Record<string, { unitId: string; text: string }[]>;
  dubs: Record<string, FeedDub[]>;
}

export type TextPart = { kind: 'final' | 'stable' | 'partial'; text: string };

/** How a line reads: final as one piece; otherwise the stable prefix, then the still-changing rest. */
export function textParts(s: Pick<FeedSegment, 'text' | 'stable' | 'isFinal'>): TextPart[] {
  if (s.isFinal) return s.text ? [{ kind: 'final', text: s.text }] : [];
  const stable = s.stable.trim();
  let rest: string;
  if (!stable) rest = s.text;
  else if (s.text.toLowerCase().startsWith(stable.toLowerCase())) rest = s.text.slice(stable.length);
  else rest = s.text.split(/\s+/).filter(Boolean).slice(stable.split(/\s+/).length).join(' ');
  const parts: TextPart[] = [];
  if (stable) parts.push({ kind: 'stable', text: stable });
  if (rest.trim()) parts.push({ kind: 'partial', text: (stable ? ' ' : '') + rest.trim() });
  return parts;
}

/** The segment a translation unit belongs to: unit ids are `<segmentId>.<n>`. */
export function segmentOfUnit(unitId: string): string {
  const dot = unitId.lastIndexOf('.');
  return dot > 0 ? unitId.slice(0, dot) : unitId;
}

export interface StageStats {
  calls: number;
  totalMs: number;
  maxMs: number;
  meanMs?: number;
}

export interface StatsPoint {
  atMs: number;
  /** Mean latency per stage over the interval since the previous stats event (ms). */
  stages: Record<string, number>;
}

export class LiveFeed {
  segments = $state<FeedSegment[]>([]);
  state = $state<'connecting' | 'live' | 'reconnecting' | 'ended'>('connecting');
  counters = $state<Record<string, number>>({});
  stages = $state<Record<string, StageStats>>({});
  /** Dub lag per language over time. */
  lag = $state<{ atMs: number; lang: string; lagMs: number }[]>([]);
  stageHistory = $state<StatsPoint[]>([]);
  restarts = $state(0);
  missed = $state(0);
  shifted = $state(0);
  private readonly index = new Map<string, FeedSegment>();

  constructor(private readonly now: () => number = () => Date.now()) {}

  /** One raw WebSocket message; anything that is not a known event is ignored. */
  receive(raw: string): void {
    let e: LiveEvent;
    try {
      e = JSON.parse(raw) as LiveEvent;
    } catch {
      return;
    }
    if (e && typeof e === 'object' && typeof e.type === 'string') this.apply(e);
  }

  apply(e: LiveEvent): void {
    switch (e.type) {
      case 'speech-start':
        this.segment(e.segmentId, e.ptsMs, e.ptsMs);
        break;
      case 'transcript': {
        const s = this.segment(e.segmentId, e.startMs, e.endMs);
        // A late, older hypothesis never replaces a newer one.
        if (e.revision < s.revision || (s.isFinal && !e.isFinal)) break;
        Object.assign(s, { text: e.text, stable: e.stable, isFinal: e.isFinal, revision: e.revision, startMs: e.startMs, endMs: e.endMs });
        break;
      }
      case 'translation': {
        const s = this.segment(segmentOfUnit(e.unitId), e.startMs, e.endMs);
        // Assign, then read back: the stored array is a reactive proxy, not the literal assigned.
        s.translations[e.lang] ??= [];
        const list = s.translations[e.lang];
        const same = list.find((t) => t.unitId === e.unitId);
        if (same) same.text = e.text;
        else list.push({ unitId: e.unitId, text: e.text });
        break;
      }
      // The server replays recent events when a socket (re)opens: a unit seen before is not counted twice.
      case 'dub': {
        const d = this.dub(e.unitId, e.lang, e.text);
        const seen = d.lagMs !== undefined;
        d.lagMs = e.lagMs;
        d.speedFactor = e.speedFactor;
        if (e.lagMs !== undefined && !seen) this.push(this.lag, { atMs: this.now(), lang: e.lang, lagMs: e.lagMs });
        break;
      }
      case 'missed': {
        const d = this.dub(e.unitId, e.lang, e.text);
        if (!d.missed) this.missed += 1;
        d.missed = true;
        break;
      }
      case 'shifted': {
        const d = this.dub(e.unitId, e.lang, '');
        if (d.lateMs === undefined) this.shifted += 1;
        d.lateMs = e.lateMs;
        break;
      }
      case 'stats':
        this.onStats(e.stages as Record<string, StageStats>, e.counters);
        break;
      case 'state':
        this.state = e.state;
        break;
      case 'restart':
        this.restarts = e.restarts;
        break;
    }
  }

  /** The dub lag of a segment in a language: the largest of its units (the line is only done when all are). */
  static lagOf(s: FeedSegment, lang: string): number | undefined {
    const lags = (s.dubs[lang] ?? []).map((d) => d.lagMs).filter((l): l is number => l !== undefined);
    return lags.length ? Math.max(...lags) : undefined;
  }

  private onStats(stages: Record<string, StageStats>, counters: Record<string, number>): void {
    // Stats are cumulative: the chart shows each interval's own mean, from the difference with the last one.
    // The same stats again (replayed on reconnect) add no point.
    if (JSON.stringify(stages) === JSON.stringify(this.stages)) return;
    const point: StatsPoint = { atMs: this.now(), stages: {} };
    for (const [name, cur] of Object.entries(stages)) {
      const prev = this.stages[name];
      const calls = cur.calls - (prev?.calls ?? 0);
      if (calls > 0) point.stages[name] = (cur.totalMs - (prev?.totalMs ?? 0)) / calls;
    }
    this.stages = stages;
    this.counters = counters;
    this.push(this.stageHistory, point);
  }

  private segment(id: string, startMs: number, endMs: number): FeedSegment {
    const found = this.index.get(id);
    if (found) return found;
    const s: FeedSegment = { id, startMs, endMs, text: '', stable: '', isFinal: false, revision: -1, translations: {}, dubs: {} };
    this.segments.push(s);
    // Read back the proxied object so later mutations are seen by the UI.
    const live = this.segments[this.segments.length - 1];
    this.index.set(id, live);
    if (this.segments.length > MAX_SEGMENTS) {
      for (const old of this.segments.splice(0, this.segments.length - MAX_SEGMENTS)) this.index.delete(old.id);
    }
    return live;
  }

  private dub(unitId: string, lang: string, text: string): FeedDub {
    const s = this.index.get(segmentOfUnit(unitId)) ?? this.segment(segmentOfUnit(unitId), 0, 0);
    s.dubs[lang] ??= [];
    const list = s.dubs[lang];
    let d = list.find((x) => x.unitId === unitId);
    if (!d) {
      list.push({ unitId, text });
      d = list[list.length - 1];
    }
    if (text) d.text = text;
    return d;
  }

  private push<T>(list: T[], item: T): void {
    list.push(item);
    if (list.length > MAX_POINTS) list.splice(0, list.length - MAX_POINTS);
  }
}
