/**
 * Mixes placed dubs over the program audio: the original is ducked (not muted, so music and ambience stay)
 * under every dub, with an attack ramp that finishes as the dub starts and a release after it ends.
 * Output has exactly the program's frames and length, so the dubbed track lasts as long as the source.
 */
import type { AudioFrame, SynthAudioFrame } from '../frames.js';
import type { MixConfig } from '../../config/schema.js';
import { resample } from '../audio/resample.js';
import { dbToGain } from '../audio/level.js';

export interface PlacedDub {
  startSample: number;
  samples: Float32Array;
}

/** The per-frame mixing shared by the batch and the live mixer. */
export class DubMix {
  readonly active: PlacedDub[] = [];
  readonly rate: number;
  readonly attack: number;
  readonly release: number;
  private readonly duck: number;

  constructor(rate: number, cfg: MixConfig) {
    this.rate = rate;
    this.duck = dbToGain(cfg.duckDb);
    this.attack = Math.round((cfg.attackMs * rate) / 1000);
    this.release = Math.round((cfg.releaseMs * rate) / 1000);
  }

  place(f: SynthAudioFrame): PlacedDub {
    return {
      startSample: Math.round((f.placedStartMs * this.rate) / 1000),
      samples: f.sampleRate === this.rate ? f.samples : resample(f.samples, f.sampleRate, this.rate),
    };
  }

  /** First sample of a frame on the source clock. */
  firstSample(frame: AudioFrame): number {
    return Math.round((frame.ptsMs * this.rate) / 1000);
  }

  mix(frame: AudioFrame): AudioFrame {
    const channels = frame.channels;
    const n = frame.samples.length / channels;
    const first = this.firstSample(frame);
    const out = new Float32Array(frame.samples.length);
    for (let i = 0; i < n; i += 1) {
      const t = first + i;
      let gain = 1;
      let dub = 0;
      for (const d of this.active) {
        const end = d.startSample + d.samples.length;
        gain = Math.min(gain, envelope(t, d.startSample, end, this.attack, this.release, this.duck));
        if (t >= d.startSample && t < end) dub += d.samples[t - d.startSample];
      }
      for (let c = 0; c < channels; c += 1) {
        const v = frame.samples[i * channels + c] * gain + dub;
        out[i * channels + c] = v > 1 ? 1 : v < -1 ? -1 : v;
      }
    }
    // Forget dubs whose release has ended.
    for (let k = this.active.length - 1; k >= 0; k -= 1) {
      const d = this.active[k];
      if (d.startSample + d.samples.length + this.release < first + n) this.active.splice(k, 1);
    }
    return { kind: 'audio', ptsMs: frame.ptsMs, sampleRate: this.rate, channels, samples: out, arrivedAtMs: frame.arrivedAtMs };
  }
}

/**
 * Batch mixing: dubs must arrive in placement order; the mixer pulls one only when the program reaches its
 * attack ramp, so memory stays bounded by what overlaps the current frame.
 */
export async function* mixDubs(program: AsyncIterable<AudioFrame>, dubs: AsyncIterable<SynthAudioFrame>, cfg: MixConfig): AsyncGenerator<AudioFrame> {
  const dubIterator = dubs[Symbol.asyncIterator]();
  let next: PlacedDub | undefined;
  let dubsDone = false;
  let mixer: DubMix | undefined;
  try {
    for await (const frame of program) {
      mixer ??= new DubMix(frame.sampleRate, cfg);
      const end = mixer.firstSample(frame) + frame.samples.length / frame.channels;
      for (;;) {
        if (!next && !dubsDone) {
          const r = await dubIterator.next();
          if (r.done) dubsDone = true;
          else next = mixer.place(r.value);
        }
        if (!next || next.startSample - mixer.attack >= end) break;
        mixer.active.push(next);
        next = undefined;
      }
      yield mixer.mix(frame);
    }
  } finally {
    await dubIterator.return?.();
  }
}

/** Gain of the original at sample t for one dub [start, end). */
function envelope(t: number, start: number, end: number, attack: number, release: number, duck: number): number {
  if (t < start - attack || t >= end + release) return 1;
  if (t < start) return 1 - ((1 - duck) * (t - (start - attack))) / attack;
  if (t < end) return duck;
  return duck + ((1 - duck) * (t - end)) / release;
}
