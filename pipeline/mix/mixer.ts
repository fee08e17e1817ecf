/**
 * Mixes placed dubs over the program audio: the original is ducked (not muted, so music and ambience stay)
 * under every dub, with an attack ramp that finishes as the dub starts and a release after it ends.
 * Output has exactly the program's frames and length, so the dubbed track lasts as long as the source.
 * Dubs must arrive in placement order; the mixer pulls one only when the program reaches its attack ramp,
 * so memory stays bounded by what overlaps the current frame.
 */
import type { AudioFrame, SynthAudioFrame } from '../frames.js';
import type { MixConfig } from '../../config/schema.js';
import { resample } from '../audio/resample.js';
import { dbToGain } from '../audio/level.js';

interface PlacedDub {
  startSample: number;
  samples: Float32Array;
}

export async function* mixDubs(
  program: AsyncIterable<AudioFrame>,
  dubs: AsyncIterable<SynthAudioFrame>,
  cfg: MixConfig,
): AsyncGenerator<AudioFrame> {
  const duck = dbToGain(cfg.duckDb);
  const dubIterator = dubs[Symbol.asyncIterator]();
  let next: PlacedDub | undefined;
  let dubsDone = false;
  const active: PlacedDub[] = [];
  let rate = 0;
  let attack = 0;
  let release = 0;

  const pullUntil = async (endSample: number): Promise<void> => {
    for (;;) {
      if (!next && !dubsDone) {
        const r = await dubIterator.next();
        if (r.done) dubsDone = true;
        else next = toPlaced(r.value, rate);
      }
      if (!next || next.startSample - attack >= endSample) return;
      active.push(next);
      next = undefined;
    }
  };

  try {
    for await (const frame of program) {
      if (rate === 0) {
        rate = frame.sampleRate;
        attack = Math.round((cfg.attackMs * rate) / 1000);
        release = Math.round((cfg.releaseMs * rate) / 1000);
      }
      const channels = frame.channels;
      const n = frame.samples.length / channels;
      const first = Math.round((frame.ptsMs * rate) / 1000);
      await pullUntil(first + n);
      const out = new Float32Array(frame.samples.length);
      for (let i = 0; i < n; i += 1) {
        const t = first + i;
        let gain = 1;
        let dub = 0;
        for (const d of active) {
          const end = d.startSample + d.samples.length;
          gain = Math.min(gain, envelope(t, d.startSample, end, attack, release, duck));
          if (t >= d.startSample && t < end) dub += d.samples[t - d.startSample];
        }
        for (let c = 0; c < channels; c += 1) {
          const v = frame.samples[i * channels + c] * gain + dub;
          out[i * channels + c] = v > 1 ? 1 : v < -1 ? -1 : v;
        }
      }
      // Forget dubs whose release has ended.
      for (let k = active.length - 1; k >= 0; k -= 1) {
        if (active[k].startSample + active[k].samples.length + release < first + n) active.splice(k, 1);
      }
      yield { kind: 'audio', ptsMs: frame.ptsMs, sampleRate: rate, channels, samples: out };
    }
  } finally {
    await dubIterator.return?.();
  }
}

function toPlaced(f: SynthAudioFrame, rate: number): PlacedDub {
  return {
    startSample: Math.round((f.placedStartMs * rate) / 1000),
    samples: f.sampleRate === rate ? f.samples : resample(f.samples, f.sampleRate, rate),
  };
}

/** Gain of the original at sample t for one dub [start, end). */
function envelope(t: number, start: number, end: number, attack: number, release: number, duck: number): number {
  if (t < start - attack || t >= end + release) return 1;
  if (t < start) return 1 - ((1 - duck) * (t - (start - attack))) / attack;
  if (t < end) return duck;
  return duck + ((1 - duck) * (t - end)) / release;
}
