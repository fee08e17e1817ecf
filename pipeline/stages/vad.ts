/**
 * The VAD stage owns the speech state machine (quiet → starting → speaking → stopping); the provider only
 * scores windows. It emits speech-start, the speech audio (with a pre-roll so first phonemes are kept), and
 * speech-end carrying the segment's audio. Audio outside speech is not passed on.
 */
import type { AudioFrame, Frame, SpeechEndFrame } from '../frames.js';
import type { Stage } from '../stage.js';
import type { VadProvider } from '../providers/types.js';
import type { VadConfig } from '../../config/schema.js';

type State = 'quiet' | 'starting' | 'speaking' | 'stopping';

export function vadStage(provider: VadProvider, cfg: VadConfig): Stage<Frame, Frame> {
  return async function* vad(input, ctx) {
    const { windowSize, sampleRate } = provider.capabilities;
    const windowMs = (windowSize * 1000) / sampleRate;
    const preRoll: AudioFrame[] = [];
    const preRollWindows = Math.ceil(cfg.preRollMs / windowMs);
    const maxSegmentSamples = Math.ceil(((cfg.maxSegmentMs + 2000) * sampleRate) / 1000) + preRollWindows * windowSize;
    let state: State = 'quiet';
    let runMs = 0; // length of the current run of speech (starting) or silence (stopping)
    let segIndex = 0;
    let segmentId = '';
    let speechStartMs = 0;
    let lastSpeechEndMs = 0;
    let lastSpeechArrival: number | undefined;
    let starting: AudioFrame[] = [];
    let trailing: AudioFrame[] = [];
    let audio = new Float32Array(maxSegmentSamples);
    let audioLen = 0;

    const keep = (w: AudioFrame): void => {
      const n = Math.min(w.samples.length, audio.length - audioLen);
      audio.set(w.samples.subarray(0, n), audioLen);
      audioLen += n;
    };
    const end = (ptsMs: number): SpeechEndFrame => {
      const frame: SpeechEndFrame = {
        kind: 'speech-end',
        ptsMs,
        segmentId,
        startMs: speechStartMs,
        endMs: lastSpeechEndMs,
        audio: audio.slice(0, audioLen),
        sampleRate,
        lastSampleArrivedAtMs: lastSpeechArrival,
      };
      audio = new Float32Array(maxSegmentSamples);
      audioLen = 0;
      state = 'quiet';
      runMs = 0;
      trailing = [];
      ctx.metrics.count('vad.segments');
      return frame;
    };

    for await (const frame of input) {
      if (frame.kind !== 'audio') {
        if (frame.kind === 'eos' || frame.kind === 'flush') {
          if (state === 'speaking' || state === 'stopping') {
            for (const w of trailing) yield w;
            yield end(frame.ptsMs);
          }
          state = 'quiet';
        }
        yield frame;
        continue;
      }
      const start = performance.now();
      const speech = provider.confidence(frame.samples) >= cfg.threshold;
      ctx.metrics.record('vad', performance.now() - start);
      const windowEnd = frame.ptsMs + windowMs;

      switch (state) {
        case 'quiet':
          if (speech) {
            state = 'starting';
            runMs = windowMs;
            speechStartMs = frame.ptsMs;
            starting = [frame];
          } else {
            preRoll.push(frame);
            if (preRoll.length > preRollWindows) preRoll.shift();
          }
          break;
        case 'starting':
          starting.push(frame);
          if (speech) runMs += windowMs;
          else {
            // A blip shorter than minSpeechMs: back to quiet, the windows become pre-roll.
            state = 'quiet';
            for (const w of starting) preRoll.push(w);
            preRoll.splice(0, Math.max(0, preRoll.length - preRollWindows));
            starting = [];
            break;
          }
          if (runMs >= cfg.minSpeechMs) {
            state = 'speaking';
            segmentId = `s${++segIndex}`;
            yield { kind: 'speech-start', ptsMs: speechStartMs, segmentId };
            for (const w of [...preRoll, ...starting]) {
              keep(w);
              yield w;
            }
            preRoll.length = 0;
            starting = [];
            lastSpeechEndMs = windowEnd;
            lastSpeechArrival = frame.arrivedAtMs;
          }
          break;
        case 'speaking':
        case 'stopping':
          if (speech) {
            for (const w of trailing) {
              keep(w);
              yield w;
            }
            trailing = [];
            keep(frame);
            yield frame;
            state = 'speaking';
            runMs = 0;
            lastSpeechEndMs = windowEnd;
            lastSpeechArrival = frame.arrivedAtMs;
          } else {
            state = 'stopping';
            runMs += windowMs;
            trailing.push(frame);
          }
          {
            const lengthMs = lastSpeechEndMs - speechStartMs;
            const pauseCut = state === 'stopping' && lengthMs >= cfg.maxSegmentMs && runMs >= 2 * windowMs;
            const hardCut = lengthMs >= cfg.maxSegmentMs + 2000;
            if (state === 'stopping' && (runMs >= cfg.minSilenceMs || pauseCut)) {
              // Hand the trailing silence to ASR too: engines finalise better with a little of it.
              for (const w of trailing.slice(0, 4)) {
                keep(w);
                yield w;
              }
              yield end(windowEnd);
            } else if (hardCut) {
              for (const w of trailing) yield w;
              yield end(windowEnd);
              ctx.metrics.count('vad.hardCuts');
            }
          }
          break;
      }
    }
    if (state === 'speaking' || state === 'stopping') yield end(lastSpeechEndMs);
  };
}
