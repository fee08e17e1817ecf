/** Peaks for drawing a waveform: the largest absolute sample per bucket, 0..1. */

/** Files larger than this are not decoded in the browser (a long file decoded to PCM takes gigabytes). */
export const MAX_WAVEFORM_BYTES = 150 * 1024 * 1024;

export function peaks(samples: Float32Array, buckets: number): Float32Array {
  const n = Math.max(1, Math.min(buckets, samples.length || 1));
  const out = new Float32Array(n);
  const per = samples.length / n;
  for (let b = 0; b < n; b++) {
    const from = Math.floor(b * per);
    const to = Math.max(from + 1, Math.floor((b + 1) * per));
    let m = 0;
    for (let i = from; i < to && i < samples.length; i++) {
      const v = Math.abs(samples[i]);
      if (v > m) m = v;
    }
    out[b] = Math.min(1, m);
  }
  return out;
}

/** Decodes an audio/video file with Web Audio and returns its peaks (channel 0) and duration. */
export async function decodePeaks(data: ArrayBuffer, bucketsPerSecond = 50): Promise<{ peaks: Float32Array; durationMs: number }> {
  const ctx = new AudioContext();
  try {
    const buf = await ctx.decodeAudioData(data);
    const buckets = Math.min(50_000, Math.ceil(buf.duration * bucketsPerSecond));
    return { peaks: peaks(buf.getChannelData(0), buckets), durationMs: buf.duration * 1000 };
  } finally {
    void ctx.close();
  }
}

/** An SVG path (mirrored around the middle) for peaks in a width × height box. */
export function peaksPath(p: Float32Array, width: number, height: number): string {
  if (p.length === 0) return '';
  const mid = height / 2;
  const step = width / p.length;
  const top: string[] = [`M0,${mid}`];
  const bottom: string[] = [];
  for (let i = 0; i < p.length; i++) {
    const x = (i * step).toFixed(1);
    const h = p[i] * mid;
    top.push(`L${x},${(mid - h).toFixed(1)}`);
    bottom.push(`L${x},${(mid + h).toFixed(1)}`);
  }
  return `${top.join(' ')} L${width},${mid} ${bottom.reverse().join(' ')} Z`;
}
