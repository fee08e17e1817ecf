/**
 * Live mixing: the program audio is held for `deadlineMs` after it arrived, so the dub of what was said in
 * it has time to be ready; then it is mixed with every dub that has arrived. The dubbed audio thus lines up
 * with the lips instead of lagging them, at a fixed delay. A dub that arrives after its start was already
 * mixed starts late when that is by at most `lateShiftMs` and no other dub is playing; otherwise it is
 * skipped (the original plays there, subtitles still show). Both are counted.
 */
import type { AudioFrame, SynthAudioFrame } from '../frames.js';
import type { MixConfig } from '../../config/schema.js';
import { DubMix, type PlacedDub } from './mixer.js';
import { sleep } from '../clock.js';

export interface LiveMixOptions {
  deadlineMs: number;
  /** How late a dub may start rather than be skipped. */
  lateShiftMs: number;
  /** Dubs available right now, without waiting (a Channel's poll()). */
  pollDub: () => SynthAudioFrame | undefined;
  onMissed?: (dub: SynthAudioFrame) => void;
  onShifted?: (dub: SynthAudioFrame, lateMs: number) => void;
  now: () => number;
  signal: AbortSignal;
}

export async function* mixLive(program: AsyncIterable<AudioFrame>, cfg: MixConfig, opts: LiveMixOptions): AsyncGenerator<AudioFrame> {
  let mixer: DubMix | undefined;
  const waiting: { frame: SynthAudioFrame; placed: PlacedDub }[] = [];
  for await (const frame of program) {
    mixer ??= new DubMix(frame.sampleRate, cfg);
    const due = (frame.arrivedAtMs ?? opts.now()) + opts.deadlineMs - opts.now();
    if (due > 1) await sleep(due, opts.signal);
    for (let dub = opts.pollDub(); dub; dub = opts.pollDub()) waiting.push({ frame: dub, placed: mixer.place(dub) });
    const first = mixer.firstSample(frame);
    const end = first + frame.samples.length / frame.channels;
    for (let i = waiting.length - 1; i >= 0; i -= 1) {
      const w = waiting[i];
      if (w.placed.startSample < first) {
        // Its start has already been played without it.
        const late = first - w.placed.startSample;
        const busy = mixer.active.some((d) => d.startSample + d.samples.length > first);
        if (!busy && late <= (opts.lateShiftMs * mixer.rate) / 1000) {
          w.placed.startSample = first;
          mixer.active.push(w.placed);
          opts.onShifted?.(w.frame, (late * 1000) / mixer.rate);
        } else {
          opts.onMissed?.(w.frame);
        }
        waiting.splice(i, 1);
      } else if (w.placed.startSample - mixer.attack < end) {
        mixer.active.push(w.placed);
        waiting.splice(i, 1);
      }
    }
    yield mixer.mix(frame);
  }
}
