/**
 * A project's waveform: the peaks (0..1) come from the server's waveform route, which reads the processed
 * source once; the browser only draws them. One bar per canvas pixel column, mirrored around the middle.
 */

/** The server's range for `?points=`. */
export const MIN_POINTS = 100;
export const MAX_POINTS = 20_000;
/** Enough for the timeline's default zoom (40 px/s) with room to zoom in once or twice. */
const POINTS_PER_SECOND = 50;

/**
 * How many peaks to ask for, for media about `durationMs` long: rounded up to a power of two so a
 * transcript edit that moves the last segment a little does not mean a new request.
 */
export function waveformPoints(durationMs: number): number {
  const wanted = Math.max(MIN_POINTS, Math.ceil((Math.max(0, durationMs) / 1000) * POINTS_PER_SECOND));
  return Math.min(MAX_POINTS, 2 ** Math.ceil(Math.log2(wanted)));
}

/** The loudest peak falling into each of `width` columns (peaks are stretched or squeezed to fit). */
export function peakColumns(peaks: readonly number[], width: number): Float32Array {
  const n = Math.max(0, Math.floor(width));
  const out = new Float32Array(n);
  if (peaks.length === 0) return out;
  const per = peaks.length / n;
  for (let x = 0; x < n; x++) {
    const from = Math.floor(x * per);
    const to = Math.max(from + 1, Math.floor((x + 1) * per));
    let m = 0;
    for (let i = from; i < to && i < peaks.length; i++) if (peaks[i] > m) m = peaks[i];
    out[x] = Math.min(1, m);
  }
  return out;
}

/** The part of CanvasRenderingContext2D the waveform uses (tests pass a recorder). */
export type WaveformContext = Pick<CanvasRenderingContext2D, 'clearRect' | 'fillRect' | 'fillStyle'>;

/** Draws the peaks into a width × height canvas; returns how many columns got a bar. */
export function drawWaveform(ctx: WaveformContext, peaks: readonly number[], width: number, height: number, color: string): number {
  ctx.clearRect(0, 0, width, height);
  ctx.fillStyle = color;
  const mid = height / 2;
  let drawn = 0;
  const cols = peakColumns(peaks, width);
  for (let x = 0; x < cols.length; x++) {
    // At least one pixel, so silence still shows as a line and the timeline reads as continuous.
    const h = Math.max(1, cols[x] * height);
    ctx.fillRect(x, mid - h / 2, 1, h);
    if (cols[x] > 0) drawn += 1;
  }
  return drawn;
}
