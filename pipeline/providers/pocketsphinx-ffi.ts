/**
 * koffi bindings to the Debian pocketsphinx 5prealpha C API (libpocketsphinx.so.3, libsphinxbase.so.3).
 * Calls are synchronous and CPU-bound: use them inside an inference worker, never on the main thread.
 * Signatures follow 5prealpha (checked against the shipped library): ps_start_utt(ps),
 * ps_get_hyp(ps, &score) and ps_seg_iter(ps) lost the uttid/score arguments 0.8 had.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import koffi from 'koffi';
import { DubdError } from '../errors.js';
import type { Word } from '../frames.js';

export const POCKETSPHINX_INSTALL_HINT = 'apt-get install pocketsphinx pocketsphinx-en-us';
/** Feature frames per second with the default -frate. */
export const FRAMES_PER_SECOND = 100;

export interface PocketSphinxModel {
  /** Acoustic model directory. */
  hmm: string;
  /** Language model (.lm.bin or .lm). */
  lm: string;
  /** Pronunciation dictionary. */
  dict: string;
}

/**
 * Search settings: a single fwdtree pass, and at most 3000 active HMMs / 5 word exits per frame. Measured on
 * the LibriVox test set (benchmarks/RESULTS.md): RTF 0.15–0.22 against 0.28–0.32 without the caps, same
 * word error rate (0.27); tighter caps (2000) or beams cost accuracy. No log chatter.
 */
const DECODER_ARGS = ['-fwdflat', 'no', '-bestpath', 'no', '-maxhmmpf', '3000', '-maxwpf', '5', '-logfn', '/dev/null'];

/** Opaque C pointer as koffi hands it over (an External), or null. */
type Ptr = object | null;

interface Lib {
  ps_args: () => Ptr;
  cmd_ln_parse_r: (cmdln: Ptr, defn: Ptr, argc: number, argv: string[], strict: number) => Ptr;
  cmd_ln_free_r: (cmdln: Ptr) => number;
  ps_init: (config: Ptr) => Ptr;
  ps_free: (ps: Ptr) => number;
  ps_start_stream: (ps: Ptr) => number;
  ps_start_utt: (ps: Ptr) => number;
  ps_process_raw: (ps: Ptr, data: Int16Array, n: number, noSearch: number, fullUtt: number) => number;
  ps_end_utt: (ps: Ptr) => number;
  ps_get_hyp: (ps: Ptr, score: number[]) => string | null;
  ps_seg_iter: (ps: Ptr) => Ptr;
  ps_seg_next: (seg: Ptr) => Ptr;
  ps_seg_word: (seg: Ptr) => string | null;
  ps_seg_frames: (seg: Ptr, sf: number[], ef: number[]) => void;
}

let lib: Lib | undefined;

function loadLib(): Lib {
  if (lib) return lib;
  let sb: koffi.IKoffiLib;
  let ps: koffi.IKoffiLib;
  try {
    sb = koffi.load('libsphinxbase.so.3');
    ps = koffi.load('libpocketsphinx.so.3');
  } catch (err) {
    throw new DubdError(
      'ENGINE_MISSING',
      `pocketsphinx library not found (libpocketsphinx.so.3); install it with: ${POCKETSPHINX_INSTALL_HINT}`,
      { cause: err },
    );
  }
  lib = {
    ps_args: ps.func('void *ps_args()'),
    cmd_ln_parse_r: sb.func('void *cmd_ln_parse_r(void *c, void *defn, int argc, const char **argv, int strict)'),
    cmd_ln_free_r: sb.func('int cmd_ln_free_r(void *c)'),
    ps_init: ps.func('void *ps_init(void *config)'),
    ps_free: ps.func('int ps_free(void *ps)'),
    ps_start_stream: ps.func('int ps_start_stream(void *ps)'),
    ps_start_utt: ps.func('int ps_start_utt(void *ps)'),
    ps_process_raw: ps.func('int ps_process_raw(void *ps, const int16_t *data, size_t n, int no_search, int full)'),
    ps_end_utt: ps.func('int ps_end_utt(void *ps)'),
    ps_get_hyp: ps.func('const char *ps_get_hyp(void *ps, _Out_ int32_t *score)'),
    ps_seg_iter: ps.func('void *ps_seg_iter(void *ps)'),
    ps_seg_next: ps.func('void *ps_seg_next(void *seg)'),
    ps_seg_word: ps.func('const char *ps_seg_word(void *seg)'),
    ps_seg_frames: ps.func('void ps_seg_frames(void *seg, _Out_ int *sf, _Out_ int *ef)'),
  };
  return lib;
}

/** Fails with ENGINE_MISSING before ps_init sees a bad path (ps_init would only return NULL). */
export function checkModel(model: PocketSphinxModel): void {
  const missing: string[] = [];
  if (!isDir(model.hmm) || !existsSync(join(model.hmm, 'mdef'))) missing.push(`acoustic model ${model.hmm}`);
  if (!isFile(model.lm)) missing.push(`language model ${model.lm}`);
  if (!isFile(model.dict)) missing.push(`dictionary ${model.dict}`);
  if (missing.length > 0) {
    throw new DubdError(
      'ENGINE_MISSING',
      `pocketsphinx model missing: ${missing.join(', ')}; install it with: ${POCKETSPHINX_INSTALL_HINT}`,
    );
  }
}

function isDir(p: string): boolean {
  return existsSync(p) && statSync(p).isDirectory();
}
function isFile(p: string): boolean {
  return existsSync(p) && statSync(p).isFile();
}

let version: string | undefined;

/** 5prealpha has no ps_get_version(): ask dpkg for the package version, else name the release. */
export function pocketsphinxVersion(): string {
  if (version) return version;
  try {
    version = execFileSync('dpkg-query', ['-W', '-f=${Version}', 'libpocketsphinx3'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 5000,
    }).trim();
  } catch {
    version = '';
  }
  version ||= '5prealpha';
  return version;
}

/** Raw segment as the decoder reports it: frames are inclusive, relative to the utterance start. */
export interface Segment {
  word: string;
  startFrame: number;
  endFrame: number;
}

/** `<s>`, `</s>`, `<sil>`, `[NOISE]`, `++GARBAGE++`: markers and fillers, not words. */
export function isFiller(word: string): boolean {
  return /^(<.*>|\[.*\]|\+\+.*\+\+)$/.test(word);
}

/** `for(2)` → `for`: the dictionary's alternate pronunciations share one spelling. */
export function baseWord(word: string): string {
  return word.replace(/\(\d+\)$/, '');
}

/** Real words with times in ms, clipped to the audio actually fed. */
export function segmentsToWords(segs: Segment[], audioMs: number): Word[] {
  const words: Word[] = [];
  for (const s of segs) {
    if (isFiller(s.word)) continue;
    const startMs = Math.min((s.startFrame * 1000) / FRAMES_PER_SECOND, audioMs);
    const endMs = Math.min(((s.endFrame + 1) * 1000) / FRAMES_PER_SECOND, audioMs);
    words.push({ text: baseWord(s.word), startMs, endMs });
  }
  return words;
}

/** Float32 [-1, 1] → the 16-bit PCM pocketsphinx reads; out-of-range samples are clipped. */
export function floatToInt16(samples: Float32Array): Int16Array {
  const out = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i++) {
    const x = Math.max(-1, Math.min(1, samples[i]));
    out[i] = Math.round(x < 0 ? x * 32768 : x * 32767);
  }
  return out;
}

/** Hypothesis text without markers or pronunciation suffixes. */
export function cleanHypothesis(hyp: string | null): string {
  if (!hyp) return '';
  return hyp
    .split(/\s+/)
    .filter((w) => w && !isFiller(w))
    .map(baseWord)
    .join(' ');
}

/** One pocketsphinx decoder: one utterance at a time. */
export class PsDecoder {
  private ps: Ptr;
  private readonly lib: Lib;
  private inUtt = false;

  private constructor(lib: Lib, ps: Ptr) {
    this.lib = lib;
    this.ps = ps;
  }

  static create(model: PocketSphinxModel, extraArgs: string[] = []): PsDecoder {
    checkModel(model);
    const l = loadLib();
    const argv = ['-hmm', model.hmm, '-lm', model.lm, '-dict', model.dict, ...DECODER_ARGS, ...extraArgs];
    const config = l.cmd_ln_parse_r(null, l.ps_args(), argv.length, argv, 1);
    if (!config) throw new DubdError('ENGINE_FAILED', `pocketsphinx rejected its arguments: ${argv.join(' ')}`);
    const ps = l.ps_init(config);
    // ps_init keeps its own reference to the config.
    l.cmd_ln_free_r(config);
    if (!ps) {
      throw new DubdError('ENGINE_FAILED', `pocketsphinx could not load the model in ${model.hmm} (corrupt or mismatched files?)`);
    }
    return new PsDecoder(l, ps);
  }

  get inUtterance(): boolean {
    return this.inUtt;
  }

  /** Starts an utterance; a new stream too, so segment frames count from this utterance's start. */
  start(): void {
    const ps = this.handle();
    if (this.inUtt) this.end();
    if (this.lib.ps_start_stream(ps) < 0 || this.lib.ps_start_utt(ps) < 0) {
      throw new DubdError('ENGINE_FAILED', 'pocketsphinx could not start an utterance');
    }
    this.inUtt = true;
  }

  /** Feeds 16 kHz 16-bit mono samples. `fullUtt` when this is the whole utterance in one call. */
  process(samples: Int16Array, fullUtt = false): void {
    if (!this.inUtt) throw new DubdError('INVALID_STATE', 'pocketsphinx: process() outside an utterance');
    if (samples.length === 0) return;
    if (this.lib.ps_process_raw(this.handle(), samples, samples.length, 0, fullUtt ? 1 : 0) < 0) {
      throw new DubdError('ENGINE_FAILED', 'pocketsphinx failed to process audio');
    }
  }

  end(): void {
    if (!this.inUtt) return;
    this.inUtt = false;
    if (this.lib.ps_end_utt(this.handle()) < 0) throw new DubdError('ENGINE_FAILED', 'pocketsphinx could not end the utterance');
  }

  /** Current best hypothesis (partial during an utterance, final after end()). */
  hypothesis(): string {
    return cleanHypothesis(this.lib.ps_get_hyp(this.handle(), [0]));
  }

  /** Word segments of the current best path, markers and fillers included. */
  segments(): Segment[] {
    const segs: Segment[] = [];
    const sf = [0];
    const ef = [0];
    // ps_seg_next frees the iterator when it returns NULL.
    for (let it = this.lib.ps_seg_iter(this.handle()); it; it = this.lib.ps_seg_next(it)) {
      const word = this.lib.ps_seg_word(it);
      this.lib.ps_seg_frames(it, sf, ef);
      if (word) segs.push({ word, startFrame: sf[0], endFrame: ef[0] });
    }
    return segs;
  }

  /** Idempotent. */
  free(): void {
    if (!this.ps) return;
    const ps = this.ps;
    this.ps = null;
    this.lib.ps_free(ps);
  }

  private handle(): object {
    if (!this.ps) throw new DubdError('INVALID_STATE', 'pocketsphinx decoder already freed');
    return this.ps;
  }
}
