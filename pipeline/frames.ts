/**
 * Typed frames that flow between stages. Every frame carries `ptsMs` on the source media clock.
 * Audio inside frames is mono or interleaved Float32 in [-1, 1].
 */

export interface AudioFrame {
  kind: 'audio';
  ptsMs: number;
  sampleRate: number;
  channels: number;
  /** Interleaved samples; `samples.length / channels` frames. */
  samples: Float32Array;
  /** Wall time (performance.now()) at which the source handed this frame to the pipeline. */
  arrivedAtMs?: number;
}

export interface SpeechStartFrame {
  kind: 'speech-start';
  ptsMs: number;
  segmentId: string;
}

export interface SpeechEndFrame {
  kind: 'speech-end';
  ptsMs: number;
  segmentId: string;
  startMs: number;
  endMs: number;
  /** The segment's source speech (mono, `sampleRate`), for speaker matching downstream. */
  audio: Float32Array;
  sampleRate: number;
  /** Wall time at which the segment's last sample entered the pipeline. */
  lastSampleArrivedAtMs?: number;
}

export interface Word {
  text: string;
  startMs: number;
  endMs: number;
}

export interface TranscriptFrame {
  kind: 'transcript';
  ptsMs: number;
  segmentId: string;
  /** Increases with every new hypothesis of the same segment. */
  revision: number;
  /** The whole current hypothesis. */
  text: string;
  /** The prefix of `text` that the stability policy has committed: it will not change any more. */
  stable: string;
  /** Words of the stable prefix with source times, when the engine gives them. */
  stableWords: Word[];
  isFinal: boolean;
  startMs: number;
  endMs: number;
  /** Source time up to which the recogniser has heard audio. */
  audioEndMs: number;
  /** Wall time at which that audio entered the pipeline (for dub lag of early clauses). */
  arrivedAtMs?: number;
}

/** A dub unit: a clause of a segment that is translated, synthesised and placed on its own. */
export interface UnitRef {
  segmentId: string;
  unitId: string;
  lang: string;
  /** Source slot the dub must fit. */
  startMs: number;
  endMs: number;
  sourceText: string;
  /** Wall time at which the unit's last source sample entered the pipeline (for dub lag). */
  sourceArrivedAtMs?: number;
  /** The unit ends its segment (cut at the final transcript): silence follows it. */
  closesSegment: boolean;
}

export interface TranslationFrame extends UnitRef {
  kind: 'translation';
  ptsMs: number;
  text: string;
  provider: string;
}

export interface SynthAudioFrame extends UnitRef {
  kind: 'synth-audio';
  ptsMs: number;
  text: string;
  sampleRate: number;
  samples: Float32Array;
  /** Where the dub is placed on the source clock (set by align). */
  placedStartMs: number;
  /** Time-stretch factor applied by align (1 = none, >1 = faster). */
  speedFactor: number;
  /** Voice and align notes for the report. */
  notes: string[];
}

export interface FlushFrame { kind: 'flush'; ptsMs: number }
export interface InterruptFrame { kind: 'interrupt'; ptsMs: number; segmentId?: string }
export interface SettingsFrame { kind: 'settings'; ptsMs: number; delta: Record<string, unknown> }
export interface EosFrame { kind: 'eos'; ptsMs: number }
export interface ErrorFrame { kind: 'error'; ptsMs: number; code: string; message: string; fatal: boolean }

export type DataFrame =
  | AudioFrame
  | SpeechStartFrame
  | SpeechEndFrame
  | TranscriptFrame
  | TranslationFrame
  | SynthAudioFrame;
export type ControlFrame = FlushFrame | InterruptFrame | SettingsFrame | EosFrame | ErrorFrame;
export type Frame = DataFrame | ControlFrame;

const CONTROL_KINDS = new Set<Frame['kind']>(['flush', 'interrupt', 'settings', 'eos', 'error']);

export function isControl(frame: Frame): frame is ControlFrame {
  return CONTROL_KINDS.has(frame.kind);
}

const URGENT_KINDS = new Set<Frame['kind']>(['interrupt', 'settings', 'error']);

/**
 * Control frames that overtake queued data. eos and flush are control frames too, but they mark a point in
 * the stream, so they keep their place behind the data before them.
 */
export function isUrgent(frame: Frame): boolean {
  return URGENT_KINDS.has(frame.kind);
}

/** Frames an interruption may drop: pending data, never control or source audio. */
export function isInterruptible(frame: Frame): boolean {
  return frame.kind === 'translation' || frame.kind === 'synth-audio';
}

export function durationMs(samples: number, sampleRate: number, channels = 1): number {
  return ((samples / channels) * 1000) / sampleRate;
}
