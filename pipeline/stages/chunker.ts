/**
 * Re-cuts audio of any frame size into fixed windows (the VAD's 512 samples) through a ring buffer, so no
 * per-frame array grows. Other frames pass through in order.
 */
import type { AudioFrame, Frame } from '../frames.js';
import type { Stage } from '../stage.js';

export function chunker(windowSize: number): Stage<Frame, Frame> {
  return async function* chunk(input) {
    const ring = new Float32Array(windowSize);
    let filled = 0;
    let windowPts = 0;
    let arrivedAtMs: number | undefined;
    let rate = 0;
    for await (const frame of input) {
      if (frame.kind !== 'audio') {
        yield frame;
        continue;
      }
      if (frame.channels !== 1) throw new RangeError('chunker expects mono audio');
      rate = frame.sampleRate;
      let offset = 0;
      while (offset < frame.samples.length) {
        if (filled === 0) windowPts = frame.ptsMs + (offset * 1000) / rate;
        const n = Math.min(windowSize - filled, frame.samples.length - offset);
        ring.set(frame.samples.subarray(offset, offset + n), filled);
        filled += n;
        offset += n;
        arrivedAtMs = frame.arrivedAtMs;
        if (filled === windowSize) {
          yield window(ring.slice(), windowPts, rate, arrivedAtMs);
          filled = 0;
        }
      }
    }
    if (filled > 0) {
      // Pad the tail with silence so the last window is whole.
      const last = new Float32Array(windowSize);
      last.set(ring.subarray(0, filled));
      yield window(last, windowPts, rate, arrivedAtMs);
    }
  };
}

function window(samples: Float32Array, ptsMs: number, sampleRate: number, arrivedAtMs: number | undefined): AudioFrame {
  return { kind: 'audio', ptsMs, sampleRate, channels: 1, samples, arrivedAtMs };
}
