/**
 * What the TTS stage needs to give each dub unit its speaker's voice: it watches the frames that pass
 * (speech-start, audio, speech-end), identifies each segment's speaker when the segment ends, keeps a
 * clip of every speaker for the providers that clone, and answers, for a translation, which voice,
 * which speaker and which reference clip to synthesise with. Memory is bounded: the current segment,
 * the last few segments' speakers, and maxReferenceMs of speech per speaker.
 */
import type { Frame, TranslationFrame } from '../../frames.js';
import { SpeakerIdentifier, type SpeakerIdOptions } from '../../audio/speaker-id.js';
import type { SpeakerReference } from './request.js';
import { SpeakerVoiceAssigner } from './speaker-voices.js';

export interface SpeakerTrackerOptions {
  /** Identify speakers and give each its own voice; off = one voice per language, no speaker ids. */
  enabled: boolean;
  /** The voices per language of the provider that speaks first (assignment order). */
  voices: Record<string, string[]>;
  identify: Partial<SpeakerIdOptions>;
  /** Speech kept per speaker for cloning (the newest wins once full). */
  maxReferenceMs: number;
  /** Speech kept of the segment in progress. */
  maxSegmentMs: number;
}

export const defaultSpeakerTrackerOptions: SpeakerTrackerOptions = {
  enabled: false,
  voices: {},
  identify: {},
  maxReferenceMs: 20_000,
  maxSegmentMs: 12_000,
};

export interface SpeakerRequestParts {
  /** undefined = the provider's default voice for the language. */
  voice?: string;
  speaker?: string;
  reference?: SpeakerReference;
}

/** Segments whose speaker is remembered (translations of a segment may come after its end). */
const KEPT_SEGMENTS = 8;

class Clip {
  readonly buf: Float32Array;
  length = 0;
  constructor(
    readonly sampleRate: number,
    maxMs: number,
  ) {
    this.buf = new Float32Array(Math.max(1, Math.round((maxMs * sampleRate) / 1000)));
  }

  /** Appends; once full, keeps the newest speech (a ring would reorder it, so shift instead: this is rare). */
  append(x: Float32Array): void {
    if (x.length >= this.buf.length) {
      this.buf.set(x.subarray(x.length - this.buf.length));
      this.length = this.buf.length;
      return;
    }
    const overflow = this.length + x.length - this.buf.length;
    if (overflow > 0) {
      this.buf.copyWithin(0, overflow, this.length);
      this.length -= overflow;
    }
    this.buf.set(x, this.length);
    this.length += x.length;
  }

  view(): SpeakerReference {
    return { samples: this.buf.subarray(0, this.length), sampleRate: this.sampleRate };
  }
}

export class SpeakerTracker {
  private readonly o: SpeakerTrackerOptions;
  private readonly identifier: SpeakerIdentifier;
  private readonly assigner: SpeakerVoiceAssigner;
  private readonly segmentSpeaker = new Map<string, string>();
  private readonly segmentAudio = new Map<string, SpeakerReference>();
  private readonly references = new Map<string, Clip>();
  private current: { id: string | undefined; clip: Clip | undefined } = { id: undefined, clip: undefined };
  private lastSpeaker: string | undefined;

  constructor(opts: Partial<SpeakerTrackerOptions> = {}) {
    this.o = { ...defaultSpeakerTrackerOptions, ...opts };
    this.identifier = new SpeakerIdentifier(this.o.identify);
    this.assigner = new SpeakerVoiceAssigner(this.o.voices);
  }

  /** Speakers per language and their voices so far, for reports. */
  voices(): Record<string, Record<string, string>> {
    return this.assigner.snapshot();
  }

  /** Feed every frame the stage sees, before acting on it. */
  observe(frame: Frame): void {
    switch (frame.kind) {
      case 'speech-start':
        this.current = { id: frame.segmentId, clip: undefined };
        break;
      case 'audio': {
        if (frame.channels !== 1) break;
        this.current.clip ??= new Clip(frame.sampleRate, this.o.maxSegmentMs);
        if (this.current.clip.sampleRate === frame.sampleRate) this.current.clip.append(frame.samples);
        break;
      }
      case 'speech-end': {
        const ref = { samples: frame.audio, sampleRate: frame.sampleRate };
        this.remember(this.segmentAudio, frame.segmentId, ref);
        if (this.o.enabled) this.endSegment(frame.segmentId, ref);
        this.current = { id: undefined, clip: undefined };
        break;
      }
      default:
        break;
    }
  }

  /** Voice, speaker and reference clip for one translated unit. */
  requestFor(frame: TranslationFrame): SpeakerRequestParts {
    const segmentRef = this.segmentAudio.get(frame.segmentId) ?? (this.current.id === frame.segmentId ? this.current.clip?.view() : undefined);
    if (!this.o.enabled) return { reference: segmentRef };
    const speaker = this.speakerOf(frame.segmentId);
    const voice = this.assigner.voiceFor(speaker, frame.lang)?.voice;
    const reference = this.references.get(speaker)?.view() ?? segmentRef;
    return { voice, speaker, reference: reference && reference.samples.length > 0 ? reference : segmentRef };
  }

  private endSegment(segmentId: string, ref: SpeakerReference): void {
    const match = this.identifier.identify(ref.samples, ref.sampleRate);
    const speaker = match?.speaker ?? this.segmentSpeaker.get(segmentId) ?? this.lastSpeaker ?? 'S1';
    this.remember(this.segmentSpeaker, segmentId, speaker);
    this.lastSpeaker = speaker;
    if (!match) return;
    let clip = this.references.get(speaker);
    if (!clip || clip.sampleRate !== ref.sampleRate) {
      clip = new Clip(ref.sampleRate, this.o.maxReferenceMs);
      this.references.set(speaker, clip);
    }
    clip.append(ref.samples);
  }

  /** A segment that has ended has its speaker; one still going on is matched against the known ones. */
  private speakerOf(segmentId: string): string {
    const known = this.segmentSpeaker.get(segmentId);
    if (known) return known;
    const clip = this.current.id === segmentId ? this.current.clip?.view() : undefined;
    const match = clip ? this.identifier.peek(clip.samples, clip.sampleRate) : undefined;
    const speaker = match?.speaker ?? this.lastSpeaker ?? 'S1';
    // Later clauses of the same segment keep this voice until the whole segment is identified.
    this.remember(this.segmentSpeaker, segmentId, speaker);
    return speaker;
  }

  private remember<V>(map: Map<string, V>, key: string, value: V): void {
    map.delete(key);
    map.set(key, value);
    if (map.size > KEPT_SEGMENTS) map.delete(map.keys().next().value as string);
  }
}
