/**
 * ASR that keeps recognising when its engine fails at run time (a transcription server going down, a
 * crashed model worker): the configured provider first, then each loaded fallback.
 *
 * A stream keeps the utterance's audio (bounded by `maxUtteranceMs`); when its engine fails, the next
 * entry gets a new stream, is fed the audio so far, and carries on — the utterance is recognised once,
 * not lost. A failed entry rests for `cooldownMs` (new utterances start on the next entry meanwhile) and is
 * then tried again, so a server that comes back is used again.
 */
import { DubdError, InvalidStateError, isAbortError, userMessage } from '../../errors.js';
import type { AsrCapabilities, AsrHypothesis, AsrProvider, AsrStream, EngineInfo } from '../types.js';
import { concatSamples } from '../../audio/samples.js';

export interface FallbackAsrOptions {
  /** How long a failed entry is skipped before it is tried again. */
  cooldownMs: number;
  /** Audio kept per utterance for a hand-over (older audio is not replayed). */
  maxUtteranceMs: number;
  /** Told of every hand-over (the server logs it). */
  onFallback?: (e: { from: string; to: string; reason: string }) => void;
  now?: () => number;
}

const DEFAULTS: FallbackAsrOptions = { cooldownMs: 30_000, maxUtteranceMs: 30_000 };

/** Failures another engine may not have; aborts and use-after-close are the caller's, not the engine's. */
function engineFailure(err: unknown): boolean {
  return !isAbortError(err) && !(err instanceof InvalidStateError);
}

export class FallbackAsr implements AsrProvider {
  readonly info: EngineInfo;
  readonly capabilities: AsrCapabilities;
  private readonly o: FallbackAsrOptions;
  private readonly restingUntil = new Map<AsrProvider, number>();
  private closed = false;

  constructor(
    private readonly entries: AsrProvider[],
    opts: Partial<FallbackAsrOptions> = {},
  ) {
    if (entries.length === 0) throw new DubdError('INVALID_CONFIG', 'the asr fallback chain is empty');
    const rate = entries[0].capabilities.sampleRate;
    const odd = entries.find((e) => e.capabilities.sampleRate !== rate);
    if (odd) throw new DubdError('INVALID_CONFIG', `asr fallback ${odd.info.id} takes ${odd.capabilities.sampleRate} Hz audio, ${entries[0].info.id} ${rate} Hz`);
    this.o = { ...DEFAULTS, ...opts };
    this.info = { id: entries.map((e) => e.info.id).join('>'), version: entries.map((e) => `${e.info.id} ${e.info.version}`).join(', ') };
    this.capabilities = { ...entries[0].capabilities, languages: [...new Set(entries.flatMap((e) => e.capabilities.languages))] };
  }

  /** Entries in the order to try now: those not resting first, resting ones after (better late than nothing). */
  order(): AsrProvider[] {
    const now = this.now();
    const ready = this.entries.filter((e) => (this.restingUntil.get(e) ?? 0) <= now);
    return [...ready, ...this.entries.filter((e) => !ready.includes(e))];
  }

  /** Records a failure; returns the next entry to try after `failed` in `order`, if any. */
  failed(failed: AsrProvider, err: unknown, order: AsrProvider[]): AsrProvider | undefined {
    this.restingUntil.set(failed, this.now() + this.o.cooldownMs);
    const next = order[order.indexOf(failed) + 1];
    if (next) this.o.onFallback?.({ from: failed.info.id, to: next.info.id, reason: userMessage(err) });
    return next;
  }

  async createStream(opts: { language: string }): Promise<AsrStream> {
    this.assertOpen();
    const order = this.order();
    let lastErr: unknown;
    for (let entry: AsrProvider | undefined = order[0]; entry; ) {
      try {
        const stream = await entry.createStream(opts);
        return new FallbackStream(this, order, entry, stream, opts, Math.round((this.o.maxUtteranceMs * this.capabilities.sampleRate) / 1000));
      } catch (err) {
        if (!engineFailure(err)) throw err;
        lastErr = err;
        entry = this.failed(entry, err, order);
      }
    }
    throw this.exhausted(lastErr);
  }

  async transcribe(samples: Float32Array, opts: { language: string }): Promise<AsrHypothesis> {
    this.assertOpen();
    const order = this.order();
    let lastErr: unknown;
    for (let entry: AsrProvider | undefined = order[0]; entry; ) {
      try {
        return await entry.transcribe(samples, opts);
      } catch (err) {
        if (!engineFailure(err)) throw err;
        lastErr = err;
        entry = this.failed(entry, err, order);
      }
    }
    throw this.exhausted(lastErr);
  }

  exhausted(lastErr: unknown): DubdError {
    return new DubdError('ENGINE_FAILED', `every ASR engine failed (${this.info.id}): ${userMessage(lastErr)}`, { retryable: true, cause: lastErr });
  }

  /** Idempotent; closes every entry. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled(this.entries.map((e) => e.close()));
  }

  private now(): number {
    return (this.o.now ?? (() => performance.now()))();
  }

  private assertOpen(): void {
    if (this.closed) throw new InvalidStateError('asr: used after close()');
  }
}

/** One utterance on the current entry, with its audio kept for a hand-over. */
class FallbackStream implements AsrStream {
  private kept: Float32Array[] = [];
  private keptSamples = 0;

  constructor(
    private readonly owner: FallbackAsr,
    private readonly order: AsrProvider[],
    private entry: AsrProvider,
    private stream: AsrStream,
    private readonly opts: { language: string },
    private readonly maxSamples: number,
  ) {}

  async accept(samples: Float32Array): Promise<AsrHypothesis> {
    this.keep(samples);
    return this.run('accept', samples);
  }

  async finish(): Promise<AsrHypothesis> {
    return this.run('finish');
  }

  cancel(): Promise<void> {
    this.kept = [];
    return this.stream.cancel();
  }

  private keep(samples: Float32Array): void {
    this.kept.push(samples);
    this.keptSamples += samples.length;
    while (this.keptSamples - this.kept[0].length >= this.maxSamples) this.keptSamples -= this.kept.shift()!.length;
  }

  /**
   * accept()/finish() on the current stream. On an engine failure the utterance moves to the next entry:
   * a new stream is fed all the audio kept (which includes this accept's samples) and, for finish(),
   * finished. A failure there moves it on again.
   */
  private async run(op: 'accept' | 'finish', samples?: Float32Array): Promise<AsrHypothesis> {
    let replay = false;
    for (;;) {
      try {
        let hyp: AsrHypothesis | undefined;
        if (replay && this.keptSamples > 0) hyp = await this.stream.accept(concatSamples(this.kept, this.keptSamples));
        else if (op === 'accept') hyp = await this.stream.accept(samples ?? new Float32Array(0));
        return op === 'finish' ? await this.stream.finish() : (hyp ?? { text: '', words: [] });
      } catch (err) {
        if (!engineFailure(err)) throw err;
        await this.stream.cancel().catch(() => undefined);
        await this.handOver(err);
        replay = true;
      }
    }
  }

  /** The next entry that opens a stream becomes the current one. */
  private async handOver(err: unknown): Promise<void> {
    for (;;) {
      const next = this.owner.failed(this.entry, err, this.order);
      if (!next) throw this.owner.exhausted(err);
      this.entry = next;
      try {
        this.stream = await next.createStream(this.opts);
        return;
      } catch (e) {
        if (!engineFailure(e)) throw e;
        err = e;
      }
    }
  }
}

