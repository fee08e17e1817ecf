/**
 * Live mixing: the program audio is held for `deadlineMs` after it arrived, so the dub of what was said in
 * it has time to be ready; then it is mixed with every dub that has arrived. A dub that arrives after its
 * start was already mixed is skipped (the original plays there, subtitles still show) and counted. The
 * dubbed audio thus lines up with the lips instead of lagging them, at a fixed delay.
 */
import type { AudioFrame, SynthAudioFrame } from '../frames.js';
import type { MixConfig } from '../../config/schema.js';
import { DubMix, type PlacedDub } from './mixer.js';
import { sleep } from '../clock.js';

export interface LiveMixOptions {
  deadlineMs: number;
  /** Dubs available right now, without waiting (a Channel's poll()). */
  pollDub: () => SynthAudioFrame | undefined;
  onMissed?: (dub: SynthAudioFrame) => void;
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
        opts.onMissed?.(w.frame);
        waiting.splice(i, 1);
      } else if (w.placed.startSample - mixer.attack < end) {
        mixer.active.push(w.placed);
        waiting.splice(i, 1);
      }
    }
    yield mixer.mix(frame);
  }
}
