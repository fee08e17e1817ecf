/**
 * Incremental recognition with an engine that only transcribes whole buffers (whisper, moonshine,
 * sense-voice, a transcription endpoint): the utterance so far is re-recognised after every
 * `decodeIntervalMs` of new audio, and the stage's LocalAgreement makes the words that keep coming back
 * stable. The final pass runs at finish().
 *
 * accept() resolves with the previous hypothesis — the very same object — when it did not decode; a stage
 * must not count that as a new hypothesis (LocalAgreement would otherwise agree a hypothesis with itself).
 *
 * The window is bounded (`maxWindowMs`): when it is full, the oldest audio is cut at the end of a word the
 * last two decodes agreed on, and the words cut out stay in front of every later hypothesis.
 */
import type { Word } from '../../frames.js';
import { InvalidStateError } from '../../errors.js';
import type { AsrHypothesis, AsrStream } from '../types.js';

export interface GrowingWindowOptions {
  sampleRate: number;
  /** Re-recognise after at least this much new audio; 0 = only once, at finish(). */
  decodeIntervalMs: number;
  /** Audio kept; older audio is cut (at an agreed word when there is one). */
  maxWindowMs: number;
  /**
   * Wait for more audio while the previous decode took longer than the audio that arrived since: keeps the
   * engine's work at or below real time on a slow machine (fewer partials, never a growing backlog).
   */
  paceToAudio: boolean;
}

export type WindowDecoder = (window: Float32Array) => Promise<AsrHypothesis>;

/** The longest run of words, from the start, that two hypotheses share. */
function agreedPrefix(a: Word[], b: Word[]): Word[] {
  let n = 0;
  while (n < a.length && n < b.length && a[n].text === b[n].text) n++;
  return b.slice(0, n);
}

export class GrowingWindowStream implements AsrStream {
  private buf: Float32Array;
  private len = 0;
  /** Stream position (samples) of buf[0]. */
  private offset = 0;
  /** Words whose audio was cut out of the window. */
  private prefix: Word[] = [];
  /** Window words of the last decode, and those the last two decodes agreed on (absolute ms). */
  private lastWords: Word[] = [];
  private agreed: Word[] = [];
  private last: AsrHypothesis = { text: '', words: [] };
  private decoded = false;
  private undecoded = 0;
  private lastDecodeWallMs = 0;
  private done = false;
  private readonly maxSamples: number;

  constructor(
    private readonly decode: WindowDecoder,
    private readonly o: GrowingWindowOptions,
    private readonly name = 'asr stream',
  ) {
    this.maxSamples = Math.round((o.sampleRate * o.maxWindowMs) / 1000);
    this.buf = new Float32Array(Math.min(this.maxSamples, o.sampleRate));
  }

  /** Audio in the window now, in ms (for tests and metrics). */
  get windowMs(): number {
    return (this.len * 1000) / this.o.sampleRate;
  }

  async accept(samples: Float32Array): Promise<AsrHypothesis> {
    if (this.done) throw new InvalidStateError(`${this.name} is finished`);
    this.append(samples);
    this.undecoded += samples.length;
    const undecodedMs = (this.undecoded * 1000) / this.o.sampleRate;
    const due = this.o.decodeIntervalMs > 0 && undecodedMs >= this.o.decodeIntervalMs;
    const behind = this.o.paceToAudio && this.lastDecodeWallMs > undecodedMs;
    if (due && !behind) this.last = await this.run();
    return this.last;
  }

  async finish(): Promise<AsrHypothesis> {
    if (this.done) throw new InvalidStateError(`${this.name} is finished`);
    this.done = true;
    let hyp: AsrHypothesis;
    if (this.len === 0) hyp = { text: '', words: [] };
    // Nothing new since the last decode: its hypothesis already covers all the audio (a copy: a new result).
    else if (this.decoded && this.undecoded === 0) hyp = { ...this.last };
    else hyp = await this.run();
    this.release();
    return hyp;
  }

  async cancel(): Promise<void> {
    this.done = true;
    this.release();
  }

  private release(): void {
    this.buf = new Float32Array(0);
    this.len = 0;
  }

  private async run(): Promise<AsrHypothesis> {
    // A copy: cloning a view for a worker would copy its whole backing buffer anyway.
    const window = this.buf.slice(0, this.len);
    const offsetMs = (this.offset * 1000) / this.o.sampleRate;
    const started = performance.now();
    const hyp = await this.decode(window);
    this.lastDecodeWallMs = performance.now() - started;
    this.undecoded = 0;
    this.decoded = true;
    const words = hyp.words.map((w) => ({ text: w.text, startMs: w.startMs + offsetMs, endMs: w.endMs + offsetMs }));
    this.agreed = agreedPrefix(this.lastWords, words);
    this.lastWords = words;
    return this.full(words, hyp.text);
  }

  /** The cut-out words in front of the window's. */
  private full(words: Word[], text: string): AsrHypothesis {
    if (!this.prefix.length) return { text, words };
    return { text: [...this.prefix.map((w) => w.text), text].filter(Boolean).join(' '), words: [...this.prefix, ...words] };
  }

  private append(samples: Float32Array): void {
    if (samples.length >= this.maxSamples) {
      // One chunk larger than the whole window: keep its end.
      this.cut(this.len);
      samples = samples.subarray(samples.length - this.maxSamples);
    } else if (this.len + samples.length > this.maxSamples) {
      this.cut(this.len + samples.length - this.maxSamples);
    }
    if (this.len + samples.length > this.buf.length) {
      const grown = new Float32Array(Math.min(this.maxSamples, Math.max(this.len + samples.length, this.buf.length * 2)));
      grown.set(this.buf.subarray(0, this.len));
      this.buf = grown;
    }
    this.buf.set(samples, this.len);
    this.len += samples.length;
  }

  /** Drops at least `need` samples from the front, at the end of an agreed word when one is far enough in. */
  private cut(need: number): void {
    const rate = this.o.sampleRate;
    const toSample = (ms: number) => Math.round((ms * rate) / 1000) - this.offset;
    const at = this.agreed.findIndex((w) => toSample(w.endMs) >= need);
    let cut = need;
    let kept: Word[];
    if (at >= 0 && toSample(this.agreed[at].endMs) <= this.len) {
      cut = toSample(this.agreed[at].endMs);
      kept = this.agreed.slice(0, at + 1);
    } else {
      // No agreed word reaches far enough: keep the agreed words that end before the cut; words the cut
      // splits are lost (bounded memory wins over one word).
      kept = this.agreed.filter((w) => toSample(w.endMs) <= need);
    }
    cut = Math.max(0, Math.min(cut, this.len));
    this.prefix = [...this.prefix, ...kept];
    this.buf.copyWithin(0, cut, this.len);
    this.len -= cut;
    this.offset += cut;
    const startMs = (this.offset * 1000) / rate;
    this.agreed = this.agreed.filter((w) => w.startMs >= startMs);
    this.lastWords = this.lastWords.filter((w) => w.startMs >= startMs);
  }
}

/** `inner` as a stream its provider keeps in `open` until it is finished or cancelled (close() cancels the rest). */
export function trackedStream(inner: AsrStream, open: Set<AsrStream>): AsrStream {
  const stream: AsrStream = {
    accept: (samples) => inner.accept(samples),
    finish: () => {
      open.delete(stream);
      return inner.finish();
    },
    cancel: () => {
      open.delete(stream);
      return inner.cancel();
    },
  };
  open.add(stream);
  return stream;
}
