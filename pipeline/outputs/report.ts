/**
 * Collects what the pipeline produced (units, translations, placed dubs, lag) into the dub report and the
 * subtitle cues. Holds text and numbers only, never audio.
 */
import type { Frame, SynthAudioFrame } from '../frames.js';
import type { Cue } from './subtitles.js';
import type { EngineInfo } from '../providers/types.js';

export interface TargetResult {
  text: string;
  provider: string;
  dubStartMs: number;
  dubEndMs: number;
  speedFactor: number;
  notes: string[];
  /** Realtime runs only: wall ms from the unit's last source sample entering to its dub leaving. */
  lagMs?: number;
}

export interface SegmentResult {
  id: string;
  segmentId: string;
  startMs: number;
  endMs: number;
  text: string;
  targets: Record<string, TargetResult>;
}

export interface LagSummary {
  count: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
}

export interface DubReport {
  input: string;
  output: string;
  createdAt: string;
  durationMs: number;
  wallMs: number;
  /** Media duration ÷ wall time. */
  speedX: number;
  realtime: boolean;
  sourceLanguage: string;
  targetLanguages: string[];
  engines: Record<string, EngineInfo>;
  segments: SegmentResult[];
  lag?: Record<string, LagSummary>;
  stages: Record<string, { calls: number; totalMs: number; maxMs: number; meanMs: number }>;
  counters: Record<string, number>;
}

export class DubCollector {
  readonly segments: SegmentResult[] = [];
  private readonly byUnit = new Map<string, SegmentResult>();
  private readonly lags = new Map<string, number[]>();

  constructor(private readonly now: () => number, private readonly measureLag: boolean) {}

  observe = (frame: Frame): void => {
    if (frame.kind === 'translation') {
      const seg = this.unit(frame.unitId, frame.segmentId, frame.startMs, frame.endMs, frame.sourceText);
      seg.targets[frame.lang] = { text: frame.text, provider: frame.provider, dubStartMs: frame.startMs, dubEndMs: frame.startMs, speedFactor: 1, notes: [] };
    } else if (frame.kind === 'synth-audio') {
      this.placed(frame);
    }
  };

  private unit(id: string, segmentId: string, startMs: number, endMs: number, text: string): SegmentResult {
    let seg = this.byUnit.get(id);
    if (!seg) {
      seg = { id, segmentId, startMs: Math.round(startMs), endMs: Math.round(endMs), text, targets: {} };
      this.byUnit.set(id, seg);
      this.segments.push(seg);
    }
    return seg;
  }

  private placed(f: SynthAudioFrame): void {
    const seg = this.unit(f.unitId, f.segmentId, f.startMs, f.endMs, f.sourceText);
    const lagMs = this.measureLag && f.sourceArrivedAtMs !== undefined ? Math.round(this.now() - f.sourceArrivedAtMs) : undefined;
    seg.targets[f.lang] = {
      ...(seg.targets[f.lang] ?? { provider: 'unknown' }),
      text: f.text,
      dubStartMs: Math.round(f.placedStartMs),
      dubEndMs: Math.round(f.placedStartMs + (f.samples.length * 1000) / f.sampleRate),
      speedFactor: Math.round(f.speedFactor * 1000) / 1000,
      notes: f.notes,
      lagMs,
    };
    if (lagMs !== undefined) {
      const list = this.lags.get(f.lang) ?? [];
      list.push(lagMs);
      this.lags.set(f.lang, list);
    }
  }

  sourceCues(): Cue[] {
    return this.segments.map((s) => ({ startMs: s.startMs, endMs: s.endMs, text: s.text }));
  }

  targetCues(lang: string): Cue[] {
    return this.segments.flatMap((s) => {
      const t = s.targets[lang];
      return t ? [{ startMs: s.startMs, endMs: Math.max(s.endMs, t.dubEndMs), text: t.text }] : [];
    });
  }

  lagSummary(): Record<string, LagSummary> | undefined {
    if (this.lags.size === 0) return undefined;
    return Object.fromEntries([...this.lags].map(([lang, xs]) => [lang, summarize(xs)]));
  }
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export function summarize(xs: number[]): LagSummary {
  const s = [...xs].sort((a, b) => a - b);
  return { count: s.length, p50Ms: percentile(s, 50), p95Ms: percentile(s, 95), maxMs: s[s.length - 1] ?? Number.NaN };
}
