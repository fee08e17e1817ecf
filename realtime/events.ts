/**
 * A live session's event feed: what the pipeline produces, as small JSON events for the studio and any
 * WebSocket client. Audio never goes in; each event is serialised once for all subscribers. The feed
 * keeps the session's recent history (transcripts, translations, states) so a page opened mid-session
 * starts with what was said, not with silence.
 */
import type { Frame } from '../pipeline/frames.js';

export type LiveEvent =
  | { type: 'speech-start'; segmentId: string; ptsMs: number }
  | { type: 'transcript'; segmentId: string; revision: number; text: string; stable: string; isFinal: boolean; startMs: number; endMs: number }
  | { type: 'translation'; unitId: string; lang: string; sourceText: string; text: string; startMs: number; endMs: number }
  | { type: 'dub'; unitId: string; lang: string; text: string; placedStartMs: number; durationMs: number; speedFactor: number; lagMs?: number; notes: string[] }
  | { type: 'missed'; unitId: string; lang: string; text: string }
  | { type: 'shifted'; unitId: string; lang: string; lateMs: number }
  | { type: 'stats'; stages: Record<string, unknown>; counters: Record<string, number> }
  | { type: 'state'; state: 'live' | 'reconnecting' | 'ended' }
  | { type: 'restart'; reason: string; restarts: number };

export type Subscriber = (json: string) => void;

/** How many past events a feed keeps for late subscribers. */
export const RECENT_EVENTS = 200;

/** The event types worth replaying: what was said and translated, and the session's state. */
const KEPT: ReadonlySet<LiveEvent['type']> = new Set(['transcript', 'translation', 'state']);

/**
 * The last `capacity` kept events as JSON. A transcript supersedes the earlier revisions of its segment
 * (the latest revision says all they said), so partials do not crowd out history.
 */
export class RecentEvents {
  private items: { json: string; segmentId?: string }[] = [];

  constructor(readonly capacity = RECENT_EVENTS) {}

  push(event: LiveEvent, json: string): void {
    if (!KEPT.has(event.type)) return;
    const segmentId = event.type === 'transcript' ? event.segmentId : undefined;
    if (segmentId !== undefined) this.items = this.items.filter((i) => i.segmentId !== segmentId);
    this.items.push({ json, segmentId });
    if (this.items.length > this.capacity) this.items.splice(0, this.items.length - this.capacity);
  }

  /** Oldest first. */
  list(): string[] {
    return this.items.map((i) => i.json);
  }

  clear(): void {
    this.items = [];
  }
}

export class EventFeed {
  private readonly subscribers = new Set<Subscriber>();
  private readonly recentEvents = new RecentEvents();

  constructor(private readonly now: () => number) {}

  get size(): number {
    return this.subscribers.size;
  }

  subscribe(s: Subscriber): () => void {
    this.subscribers.add(s);
    return () => this.subscribers.delete(s);
  }

  /** The recent transcript/translation/state events as JSON, oldest first: what a new subscriber is sent first. */
  recent(): string[] {
    return this.recentEvents.list();
  }

  /** A socket's feed: the recent history first, then every new event, until the returned unsubscribe. */
  follow = (send: Subscriber): (() => void) => {
    for (const json of this.recent()) send(json);
    return this.subscribe(send);
  };

  publish(event: LiveEvent): void {
    const kept = KEPT.has(event.type);
    if (this.subscribers.size === 0 && !kept) return;
    const json = JSON.stringify(event);
    if (kept) this.recentEvents.push(event, json);
    for (const s of this.subscribers) s(json);
  }

  /** Observer for runPipeline. */
  observe = (f: Frame): void => {
    const e = toEvent(f, this.now());
    if (e) this.publish(e);
  };

  close(): void {
    this.subscribers.clear();
  }
}

export function toEvent(f: Frame, nowMs: number): LiveEvent | undefined {
  switch (f.kind) {
    case 'speech-start':
      return { type: 'speech-start', segmentId: f.segmentId, ptsMs: Math.round(f.ptsMs) };
    case 'transcript':
      return { type: 'transcript', segmentId: f.segmentId, revision: f.revision, text: f.text, stable: f.stable, isFinal: f.isFinal, startMs: Math.round(f.startMs), endMs: Math.round(f.endMs) };
    case 'translation':
      return { type: 'translation', unitId: f.unitId, lang: f.lang, sourceText: f.sourceText, text: f.text, startMs: Math.round(f.startMs), endMs: Math.round(f.endMs) };
    case 'synth-audio':
      return {
        type: 'dub',
        unitId: f.unitId,
        lang: f.lang,
        text: f.text,
        placedStartMs: Math.round(f.placedStartMs),
        durationMs: Math.round((f.samples.length * 1000) / f.sampleRate),
        speedFactor: Math.round(f.speedFactor * 1000) / 1000,
        lagMs: f.sourceArrivedAtMs === undefined ? undefined : Math.round(nowMs - f.sourceArrivedAtMs),
        notes: f.notes,
      };
    default:
      return undefined;
  }
}
