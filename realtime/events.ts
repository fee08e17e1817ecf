/**
 * A live session's event feed: what the pipeline produces, as small JSON events for the studio and any
 * WebSocket client. Audio never goes in; each event is serialised once for all subscribers.
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

export class EventFeed {
  private readonly subscribers = new Set<Subscriber>();

  constructor(private readonly now: () => number) {}

  get size(): number {
    return this.subscribers.size;
  }

  subscribe(s: Subscriber): () => void {
    this.subscribers.add(s);
    return () => this.subscribers.delete(s);
  }

  publish(event: LiveEvent): void {
    if (this.subscribers.size === 0) return;
    const json = JSON.stringify(event);
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
