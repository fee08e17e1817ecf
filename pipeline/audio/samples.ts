/** Small helpers on PCM sample arrays. */

/** The parts one after another; a single part is returned as it is (no copy). */
export function concatSamples(parts: Float32Array[], length = parts.reduce((n, p) => n + p.length, 0)): Float32Array {
  if (parts.length === 1 && parts[0].length === length) return parts[0];
  const out = new Float32Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
