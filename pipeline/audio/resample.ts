/**
 * Sample-rate conversion with a Kaiser-windowed sinc (polyphase). The ratio is kept as an exact fraction
 * L/M, so a stream resampled in chunks gives the same samples as the one-shot call. When downsampling the
 * kernel's cutoff drops to the new Nyquist (anti-alias low-pass).
 */
import { DubdError } from '../errors.js';

/** Zero crossings of the sinc on each side (at the output rate): sets transition width and cost. */
const ZERO_CROSSINGS = 16;
/** Cutoff as a fraction of the lower Nyquist: leaves room for the transition band. */
const ROLLOFF = 0.9;
const KAISER_BETA = 7;
/** Up to this many phases the table is exact; above it, phases are interpolated linearly. */
const MAX_EXACT_PHASES = 512;
const INTERP_PHASES = 512;
const CACHE_LIMIT = 16;

interface Kernel {
  /** Interpolation factor and decimation factor: output position n sits at input n * m / l. */
  l: number;
  m: number;
  /** Half the taps; tap k of the output at input position i + f reads input i - half + 1 + k. */
  half: number;
  taps: number;
  /** Rows in the table (one per phase, plus one for interpolation). */
  phases: number;
  exact: boolean;
  table: Float32Array;
}

const kernels = new Map<string, Kernel>();

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** Modified Bessel function of the first kind, order 0 (series; converges fast for beta <= 10). */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 50; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-12) break;
  }
  return sum;
}

function kernelFor(fromRate: number, toRate: number): Kernel {
  const g = gcd(fromRate, toRate);
  const l = toRate / g;
  const m = fromRate / g;
  const key = `${l}/${m}`;
  const cached = kernels.get(key);
  if (cached) {
    // Re-insert: the Map's order then makes the eviction below least-recently-used.
    kernels.delete(key);
    kernels.set(key, cached);
    return cached;
  }

  const cutoff = ROLLOFF * Math.min(1, l / m); // as a fraction of the input Nyquist
  const reach = ZERO_CROSSINGS / cutoff; // kernel half-width in input samples
  // Even half => taps a multiple of 4, for the unrolled dot products below (extra taps are zeros).
  const half = 2 * Math.ceil(reach / 2);
  const taps = 2 * half;
  const exact = l <= MAX_EXACT_PHASES;
  const phases = exact ? l : INTERP_PHASES;
  const table = new Float32Array((phases + 1) * taps);
  const i0Beta = besselI0(KAISER_BETA);
  for (let p = 0; p <= phases; p++) {
    const frac = p / phases;
    const row = p * taps;
    let sum = 0;
    for (let k = 0; k < taps; k++) {
      const x = frac + half - 1 - k;
      const r = x / reach;
      if (r <= -1 || r >= 1) continue;
      const u = Math.PI * cutoff * x;
      const sinc = u === 0 ? 1 : Math.sin(u) / u;
      const v = sinc * (besselI0(KAISER_BETA * Math.sqrt(1 - r * r)) / i0Beta);
      table[row + k] = v;
      sum += v;
    }
    // Unit DC gain in every phase: no ripple on constant input.
    for (let k = 0; k < taps; k++) table[row + k] /= sum;
  }
  const kernel: Kernel = { l, m, half, taps, phases, exact, table };
  if (kernels.size >= CACHE_LIMIT) kernels.delete(kernels.keys().next().value as string);
  kernels.set(key, kernel);
  return kernel;
}

function checkRate(name: string, rate: number): void {
  if (!Number.isInteger(rate) || rate <= 0) {
    throw new DubdError('INVALID_ARGUMENT', `${name} must be a positive integer sample rate, got ${rate}`);
  }
}

/**
 * Streaming resampler: feed chunks with process(), end the stream with flush(). The concatenated output
 * equals resample() of the whole input. The filter looks `half` input samples ahead, so each process()
 * call holds back that much.
 */
export class Resampler {
  readonly fromRate: number;
  readonly toRate: number;
  private readonly kernel: Kernel | undefined;
  /** Pending input; buf[0] is absolute input index bufStart (negative indices are the zero lead-in). */
  private buf = new Float32Array(0);
  private bufLen = 0;
  private bufStart = 0;
  /** Next output's input position: pos + frac / l. */
  private pos = 0;
  private frac = 0;
  private inCount = 0;
  private outCount = 0;

  constructor(fromRate: number, toRate: number) {
    checkRate('fromRate', fromRate);
    checkRate('toRate', toRate);
    this.fromRate = fromRate;
    this.toRate = toRate;
    this.kernel = fromRate === toRate ? undefined : kernelFor(fromRate, toRate);
    this.reset();
  }

  /** Resamples the next chunk of the stream; may return fewer samples than the ratio suggests (look-ahead). */
  process(chunk: Float32Array): Float32Array {
    if (!this.kernel) return chunk.slice();
    this.append(chunk, chunk.length);
    this.inCount += chunk.length;
    return this.produce(this.countReady(this.inCount - 1));
  }

  /** Ends the stream: returns the held-back tail and resets for a new stream. */
  flush(): Float32Array {
    const k = this.kernel;
    if (!k) return new Float32Array(0);
    const total = Math.ceil((this.inCount * k.l) / k.m);
    // Zeros after the end let the last outputs see a full kernel.
    this.append(undefined, k.half + 1);
    const out = this.produce(Math.max(0, total - this.outCount));
    this.reset();
    return out;
  }

  private reset(): void {
    const half = this.kernel?.half ?? 0;
    // Zeros before the start: the first output is centred on input 0.
    this.buf = new Float32Array(Math.max(1024, 2 * half));
    this.bufLen = Math.max(0, half - 1);
    this.bufStart = -this.bufLen;
    this.pos = 0;
    this.frac = 0;
    this.inCount = 0;
    this.outCount = 0;
  }

  /** Appends samples (or zeros when `chunk` is undefined), dropping input no future output needs. */
  private append(chunk: Float32Array | undefined, length: number): void {
    const half = this.kernel!.half;
    const keepFrom = Math.min(this.pos - half + 1, this.bufStart + this.bufLen) - this.bufStart;
    if (keepFrom > 0) {
      this.buf.copyWithin(0, keepFrom, this.bufLen);
      this.bufLen -= keepFrom;
      this.bufStart += keepFrom;
    }
    const need = this.bufLen + length;
    if (need > this.buf.length) {
      const grown = new Float32Array(Math.max(need, this.buf.length * 2));
      grown.set(this.buf.subarray(0, this.bufLen));
      this.buf = grown;
    }
    if (chunk) this.buf.set(chunk, this.bufLen);
    else this.buf.fill(0, this.bufLen, need);
    this.bufLen = need;
  }

  /** How many outputs can be computed when input up to absolute index `last` is present. */
  private countReady(last: number): number {
    const { l, m, half } = this.kernel!;
    const maxPos = last - half; // the output's kernel must not reach past `last`
    if (maxPos < this.pos) return 0;
    return Math.floor(((maxPos + 1) * l - 1 - (this.pos * l + this.frac)) / m) + 1;
  }

  private produce(count: number): Float32Array {
    const { l, m, half, taps, phases, exact, table } = this.kernel!;
    const out = new Float32Array(count);
    const buf = this.buf;
    let pos = this.pos;
    let frac = this.frac;
    const lead = half - 1 + this.bufStart;
    for (let o = 0; o < count; o++) {
      const s = pos - lead;
      let acc: number;
      // Four (or two pairs of) independent accumulators: V8 does not vectorise, this breaks the add chain.
      if (exact) {
        const row = frac * taps;
        let a0 = 0;
        let a1 = 0;
        let a2 = 0;
        let a3 = 0;
        for (let k = 0; k < taps; k += 4) {
          a0 += buf[s + k] * table[row + k];
          a1 += buf[s + k + 1] * table[row + k + 1];
          a2 += buf[s + k + 2] * table[row + k + 2];
          a3 += buf[s + k + 3] * table[row + k + 3];
        }
        acc = a0 + a1 + a2 + a3;
      } else {
        // Linear interpolation between the two nearest tabulated phases.
        const fp = (frac * phases) / l;
        const p = Math.floor(fp);
        const w = fp - p;
        const r0 = p * taps;
        const r1 = r0 + taps;
        let a0 = 0;
        let a1 = 0;
        let b0 = 0;
        let b1 = 0;
        for (let k = 0; k < taps; k += 2) {
          const x0 = buf[s + k];
          const x1 = buf[s + k + 1];
          a0 += x0 * table[r0 + k];
          a1 += x1 * table[r0 + k + 1];
          b0 += x0 * table[r1 + k];
          b1 += x1 * table[r1 + k + 1];
        }
        acc = a0 + a1;
        acc += w * (b0 + b1 - acc);
      }
      out[o] = acc;
      frac += m;
      if (frac >= l) {
        const q = Math.floor(frac / l);
        pos += q;
        frac -= q * l;
      }
    }
    this.pos = pos;
    this.frac = frac;
    this.outCount += count;
    return out;
  }
}

/** One-shot resampling; output length is ceil(input * toRate / fromRate). */
export function resample(samples: Float32Array, fromRate: number, toRate: number): Float32Array {
  const r = new Resampler(fromRate, toRate);
  if (fromRate === toRate) return samples.slice();
  const head = r.process(samples);
  const tail = r.flush();
  if (tail.length === 0) return head;
  const out = new Float32Array(head.length + tail.length);
  out.set(head);
  out.set(tail, head.length);
  return out;
}
