/**
 * One live WebVTT rendition (`subs_<lang>/`): cues are kept per segment of the source clock, a segment is
 * published once the media has reached its end, and the playlist slides like ffmpeg's media playlists.
 */
import type { Cue } from '../../pipeline/outputs/subtitles.js';
import { cueSegments, vttPlaylist, vttSegment } from './playlist.js';

export interface VttTiming {
  /** 90 kHz ticks of source time 0 on the media timeline (X-TIMESTAMP-MAP). */
  mpegtsZero: number;
  /** Wall-clock time (EXT-X-PROGRAM-DATE-TIME) of source time 0, as ffmpeg dates the media segments. */
  pdtZeroMs: number;
}

export interface VttRenditionOptions {
  segmentMs: number;
  listSize: number;
  /** Writes `text` to `name` inside the rendition's directory, atomically and in call order. */
  write: (name: string, text: string) => void;
  remove: (name: string) => void;
}

export class VttRendition {
  readonly dir: string;
  /** Segments 0..published-1 are on disk. */
  published = 0;
  private readonly cues = new Map<number, Cue[]>();
  private removedBelow = 0;
  private timing: VttTiming | undefined;

  constructor(
    readonly lang: string,
    private readonly o: VttRenditionOptions,
  ) {
    this.dir = `subs_${lang}`;
  }

  /**
   * A cue goes into every segment it overlaps that is still in the window (rewriting published ones); a cue
   * whose segments all left the window is shown from the current segment on, for its own duration.
   */
  add(cue: Cue): void {
    const oldest = Math.max(0, this.published - this.o.listSize);
    let { first, last } = cueSegments(cue, this.o.segmentMs);
    if (last < oldest) {
      const startMs = this.published * this.o.segmentMs;
      cue = { startMs, endMs: startMs + Math.max(1, cue.endMs - cue.startMs), text: cue.text };
      ({ first, last } = cueSegments(cue, this.o.segmentMs));
    }
    for (let n = Math.max(first, oldest); n <= last; n += 1) {
      const list = this.cues.get(n) ?? [];
      list.push(cue);
      this.cues.set(n, list);
      if (n < this.published) this.writeSegment(n);
    }
  }

  /** Publishes segments up to (not including) `upTo`; `ended` closes the playlist with EXT-X-ENDLIST. */
  publish(upTo: number, timing: VttTiming, ended: boolean): void {
    this.timing = timing;
    if (upTo <= this.published && !ended) return;
    for (let n = this.published; n < upTo; n += 1) this.writeSegment(n);
    this.published = Math.max(this.published, upTo);
    const firstListed = Math.max(0, this.published - this.o.listSize);
    const segments = [];
    for (let n = firstListed; n < this.published; n += 1) {
      segments.push({ uri: segmentName(n), durationMs: this.o.segmentMs, programDateTimeMs: timing.pdtZeroMs + n * this.o.segmentMs });
    }
    this.o.write('index.m3u8', vttPlaylist({ targetDurationS: this.o.segmentMs / 1000, mediaSequence: firstListed, segments, ended }));
    // One segment beyond the window stays on disk for players still fetching it (as ffmpeg's delete threshold).
    for (; this.removedBelow < firstListed - 1; this.removedBelow += 1) {
      this.cues.delete(this.removedBelow);
      this.o.remove(segmentName(this.removedBelow));
    }
  }

  private writeSegment(n: number): void {
    if (!this.timing) return;
    this.o.write(segmentName(n), vttSegment(this.cues.get(n) ?? [], n * this.o.segmentMs, this.timing.mpegtsZero));
  }
}

export function segmentName(n: number): string {
  return `seg_${String(n).padStart(5, '0')}.vtt`;
}
