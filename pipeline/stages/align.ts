/**
 * Align fits every dub unit into its source slot: (the TTS stage already asked for a shorter rendering)
 * then a bounded time-stretch without pitch change, then borrowing the silence that follows, and never
 * overlapping the next unit. The speed factor and any cut are recorded on the frame.
 *
 * In batch the stage looks ahead to the next unit's start before placing a unit (exact borrow). Live cannot
 * wait, so it borrows only the silence that is guaranteed: after a segment's last unit the VAD has already
 * heard minSilenceMs of it.
 */
import type { Frame, SynthAudioFrame } from '../frames.js';
import type { Stage } from '../stage.js';
import type { AlignConfig } from '../../config/schema.js';
import { timeStretch } from '../audio/stretch.js';

export interface AlignOptions extends AlignConfig {
  /** Silence guaranteed after a segment's last unit (the VAD's minSilenceMs). */
  guaranteedSilenceMs: number;
  /** Hold each unit until the next start is known (batch). */
  lookahead: boolean;
}

const FADE_MS = 15;

export function alignStage(opts: AlignOptions): Stage<Frame, Frame> {
  return async function* align(input, ctx) {
    const held = new Map<string, SynthAudioFrame>();
    const prevEnd = new Map<string, number>();
    const place = (f: SynthAudioFrame, nextStartMs: number | undefined): SynthAudioFrame => {
      const start = performance.now();
      fit(f, nextStartMs, prevEnd.get(f.lang) ?? -Infinity, opts);
      prevEnd.set(f.lang, f.placedStartMs + (f.samples.length * 1000) / f.sampleRate);
      ctx.metrics.record('align', performance.now() - start);
      if (f.speedFactor > 1.001) ctx.metrics.count('align.stretched');
      return f;
    };

    for await (const frame of input) {
      if (frame.kind === 'synth-audio') {
        if (!opts.lookahead) {
          const limit = frame.closesSegment ? frame.endMs + opts.guaranteedSilenceMs : frame.endMs;
          yield place(frame, limit);
          continue;
        }
        const before = held.get(frame.lang);
        held.set(frame.lang, frame);
        if (before) yield place(before, frame.startMs);
        continue;
      }
      if (frame.kind === 'speech-start' || frame.kind === 'eos') {
        // The next speech (or the end of the media) bounds every unit still held.
        for (const f of held.values()) yield place(f, frame.ptsMs);
        held.clear();
      }
      yield frame;
    }
    for (const f of held.values()) yield place(f, undefined);
  };
}

/** Fits one unit in place (mutates the frame): stretch ≤ maxSpeed, borrow up to nextStartMs, cut as a last resort. */
export function fit(f: SynthAudioFrame, nextStartMs: number | undefined, previousEndMs: number, opts: AlignConfig): void {
  const placed = Math.max(f.startMs, previousEndMs + opts.guardMs);
  const slotMs = Math.max(1, f.endMs - placed);
  const limitMs = nextStartMs === undefined ? Infinity : Math.max(slotMs, nextStartMs - opts.guardMs - placed);
  const lengthMs = (f.samples.length * 1000) / f.sampleRate;
  f.placedStartMs = placed;
  if (placed > f.startMs) f.notes.push(`delayed ${Math.round(placed - f.startMs)} ms after the previous dub`);
  if (lengthMs <= slotMs) return;
  const speed = Math.min(opts.maxSpeed, lengthMs / slotMs);
  if (speed > 1.001) {
    f.samples = timeStretch(f.samples, f.sampleRate, speed);
    f.speedFactor = speed;
  }
  const stretchedMs = (f.samples.length * 1000) / f.sampleRate;
  if (stretchedMs > slotMs) {
    const borrowed = Math.min(stretchedMs, limitMs) - slotMs;
    if (borrowed > 0) f.notes.push(`borrowed ${Math.round(borrowed)} ms of following silence`);
  }
  if (stretchedMs > limitMs) {
    const keep = Math.floor((limitMs * f.sampleRate) / 1000);
    f.notes.push(`cut ${Math.round(stretchedMs - limitMs)} ms to avoid overlapping the next segment`);
    f.samples = fadeOut(f.samples.slice(0, keep), Math.floor((FADE_MS * f.sampleRate) / 1000));
  }
}

function fadeOut(samples: Float32Array, n: number): Float32Array {
  const len = Math.min(n, samples.length);
  for (let i = 0; i < len; i += 1) samples[samples.length - len + i] *= 1 - (i + 1) / len;
  return samples;
}
