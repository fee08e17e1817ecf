/**
 * The CPU voice provider: moves the synthetic voice's median pitch to the source speaker's, so a low male
 * speaker is not dubbed by a mid-pitched robot. No timbre change: pitch is the cue listeners notice first,
 * and it needs no model.
 */
import { DubdError, InvalidStateError } from '../errors.js';
import { medianF0 } from '../audio/pitch.js';
import { pitchShift } from '../audio/pitch-shift.js';
import type { EngineInfo, VoiceProvider, VoiceRequest, VoiceResult } from './types.js';

export interface PitchMatchOptions {
  /** Largest shift applied, in semitones either way: bigger shifts sound processed. */
  maxShiftSemitones: number;
}

export const defaultPitchMatchOptions: PitchMatchOptions = { maxShiftSemitones: 7 };

/** Shifts smaller than this are inaudible: skip the work. */
const MIN_SHIFT_SEMITONES = 0.1;

export class PitchMatchVoice implements VoiceProvider {
  readonly info: EngineInfo = { id: 'pitch-match', version: '1' };
  readonly options: Readonly<PitchMatchOptions>;
  private closed = false;

  private constructor(options: PitchMatchOptions) {
    this.options = options;
  }

  static async load(opts: Partial<PitchMatchOptions> = {}): Promise<PitchMatchVoice> {
    const o = { ...defaultPitchMatchOptions, ...opts };
    if (!Number.isFinite(o.maxShiftSemitones) || o.maxShiftSemitones < 0) {
      throw new DubdError('INVALID_CONFIG', `voice.maxShiftSemitones must be >= 0, got ${o.maxShiftSemitones}`);
    }
    return new PitchMatchVoice(o);
  }

  async convert(req: VoiceRequest): Promise<VoiceResult> {
    if (this.closed) throw new InvalidStateError('convert() after close()');
    const unchanged = (note: string): VoiceResult => ({ samples: req.samples, sampleRate: req.sampleRate, note });
    const target = medianF0(req.reference, req.referenceSampleRate);
    const source = target === undefined ? undefined : medianF0(req.samples, req.sampleRate);
    if (target === undefined || source === undefined) return unchanged('pitch unchanged (no voiced reference)');

    const wanted = 12 * Math.log2(target / source);
    const max = this.options.maxShiftSemitones;
    const semitones = Math.max(-max, Math.min(max, wanted));
    const reached = source * 2 ** (semitones / 12);
    const clamped = semitones !== wanted ? `, clamped from ${signed(wanted)} st` : '';
    const note = `pitch ${signed(semitones)} st (${Math.round(source)} Hz → ${Math.round(reached)} Hz${clamped})`;
    if (Math.abs(semitones) < MIN_SHIFT_SEMITONES) return unchanged(note);
    return { samples: pitchShift(req.samples, req.sampleRate, semitones), sampleRate: req.sampleRate, note };
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

/** '+3.2', '-1.0'; a tiny negative that rounds to zero reads '+0.0', not '-0.0'. */
function signed(semitones: number): string {
  const s = semitones.toFixed(1);
  return s.startsWith('-') && s !== '-0.0' ? s : `+${s.replace('-', '')}`;
}
