/**
 * Mixes one language's track, again only where something changed. The program audio is decoded frame by
 * frame (always: it is the clock); a frame that meets a dirty region is mixed (the original ducked under
 * every dub that reaches it, as the batch mixer does); any other frame is copied from the previous
 * generation's track, byte for byte. Only dubs that reach a mixed frame are read from disk. Memory is a
 * frame plus the dubs overlapping it, whatever the length of the media.
 */
import { createWriteStream } from 'node:fs';
import { open, readFile, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { MixConfig } from '../../config/schema.js';
import { resample } from '../../pipeline/audio/resample.js';
import { decodeWav } from '../../pipeline/audio/wav.js';
import { VirtualClock } from '../../pipeline/clock.js';
import { decodeFile } from '../../pipeline/media/decode.js';
import { DubMix } from '../../pipeline/mix/mixer.js';
import { overlaps, reach, type DubPlacement, type Region } from './placements.js';

export interface MixTrackOptions {
  /** The source media (the program audio). */
  program: string;
  sampleRate: number;
  channels: number;
  placements: DubPlacement[];
  /** 'all' = mix every frame (no previous track, or the program changed). */
  dirty: Region[] | 'all';
  /** The previous generation's track (s16le, same rate and channels), copied where clean. */
  previous?: string;
  mix: MixConfig;
  /** Resolves a placement's relative path. */
  resolve: (rel: string) => string;
  durationMs: number;
  onProgress?: (fraction: number) => void;
  signal: AbortSignal;
}

export interface MixTrackResult {
  /** Dubs read and mixed. */
  dubsMixed: number;
  /** Program time mixed again (the rest was copied). */
  mixedMs: number;
  totalMs: number;
}

const FADE_MS = 15;

async function loadDub(p: DubPlacement, rate: number, resolvePath: (rel: string) => string): Promise<Float32Array> {
  const wav = decodeWav(await readFile(resolvePath(p.path)));
  const mono = wav.channels === 1 ? wav.samples : downmix(wav.samples, wav.channels);
  let samples = wav.sampleRate === rate ? mono : resample(mono, wav.sampleRate, rate);
  if (p.maxSamples !== null && samples.length > p.maxSamples) {
    // Cut before the next segment, with a short fade (align's last resort).
    samples = samples.slice(0, p.maxSamples);
    const n = Math.min(samples.length, Math.floor((FADE_MS * rate) / 1000));
    for (let i = 0; i < n; i += 1) samples[samples.length - n + i] *= 1 - (i + 1) / n;
  }
  return samples;
}

function downmix(x: Float32Array, channels: number): Float32Array {
  const out = new Float32Array(x.length / channels);
  for (let i = 0; i < out.length; i += 1) {
    let s = 0;
    for (let c = 0; c < channels; c += 1) s += x[i * channels + c];
    out[i] = s / channels;
  }
  return out;
}

/** Little-endian hosts only (x86, ARM): an Int16Array's bytes are already s16le. */
function toS16(x: Float32Array): Buffer {
  const out = new Int16Array(x.length);
  for (let i = 0; i < x.length; i += 1) {
    const s = x[i];
    out[i] = s >= 1 ? 32767 : s <= -1 ? -32768 : Math.round(s * 32767);
  }
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
}

/** Writes the track as s16le to `out`. */
export async function mixTrack(opts: MixTrackOptions, out: string): Promise<MixTrackResult> {
  const { sampleRate: rate, channels } = opts;
  const mixer = new DubMix(rate, opts.mix);
  const dirty = opts.dirty;
  const cursor = { i: 0 };
  let prev: FileHandle | undefined = dirty === 'all' || !opts.previous ? undefined : await open(opts.previous, 'r').catch(() => undefined);
  let next = 0;
  let dubsMixed = 0;
  let mixedSamples = 0;
  let totalSamples = 0;

  async function* frames(): AsyncGenerator<Buffer> {
    const program = decodeFile(opts.program, { sampleRate: rate, channels, frameMs: 100, clock: new VirtualClock(), signal: opts.signal });
    for await (const frame of program) {
      const first = mixer.firstSample(frame);
      const n = frame.samples.length / channels;
      const end = first + n;
      totalSamples += n;
      if (opts.durationMs > 0) opts.onProgress?.(frame.ptsMs / opts.durationMs);
      let copied: Buffer | undefined;
      if (prev && !overlaps(dirty as Region[], first, end, cursor)) {
        const bytes = Buffer.alloc(frame.samples.length * 2);
        const { bytesRead } = await prev.read(bytes, 0, bytes.length, first * channels * 2);
        // A short previous track (it should not be): mix this frame instead.
        if (bytesRead === bytes.length) copied = bytes;
      }
      if (copied) {
        // Dubs behind us that nothing will mix again can go.
        for (let k = mixer.active.length - 1; k >= 0; k -= 1) {
          const d = mixer.active[k];
          if (d.startSample + d.samples.length + mixer.release < first) mixer.active.splice(k, 1);
        }
        yield copied;
        continue;
      }
      // Every dub that reaches this frame, read now: the ones that ended before it are skipped unread.
      while (next < opts.placements.length && opts.placements[next].startSample - mixer.attack < end) {
        const p = opts.placements[next++];
        if (reach(p, mixer.attack, mixer.release).end <= first) continue;
        mixer.active.push({ startSample: p.startSample, samples: await loadDub(p, rate, opts.resolve) });
        dubsMixed += 1;
      }
      mixedSamples += n;
      yield toS16(mixer.mix(frame).samples);
    }
  }

  try {
    await pipeline(Readable.from(frames()), createWriteStream(out, { flags: 'wx' }), { signal: opts.signal });
  } finally {
    await prev?.close();
    prev = undefined;
  }
  return { dubsMixed, mixedMs: Math.round((mixedSamples * 1000) / rate), totalMs: Math.round((totalSamples * 1000) / rate) };
}
