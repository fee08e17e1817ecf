/**
 * Streaming recognisers whose decoder state lives on an InferenceHost worker (PocketSphinx, sherpa-onnx
 * online models): each stream is pinned to the least busy worker when it starts, and its calls keep their
 * order (same worker, same queue lane). The worker module answers 'startStream', 'accept', 'finish' and
 * 'cancel' with the stream id.
 */
import type { InferenceHost, Priority } from '../../gpu/host.js';
import { InvalidStateError } from '../errors.js';
import type { AsrHypothesis, AsrStream } from './types.js';

/** One utterance on one worker. */
export class HostedStream implements AsrStream {
  private done = false;

  constructor(
    private readonly label: string,
    private readonly id: string,
    private readonly workerIndex: number,
    private readonly host: InferenceHost,
    private readonly priority: Priority,
    private readonly onDone: () => void,
  ) {}

  async accept(samples: Float32Array): Promise<AsrHypothesis> {
    if (this.done) throw new InvalidStateError(`${this.label} stream ${this.id} is finished`);
    return this.host.call<AsrHypothesis>('accept', { id: this.id, samples }, this.callOpts());
  }

  async finish(): Promise<AsrHypothesis> {
    if (this.done) throw new InvalidStateError(`${this.label} stream ${this.id} is finished`);
    this.detach();
    return this.host.call<AsrHypothesis>('finish', this.id, this.callOpts());
  }

  async cancel(): Promise<void> {
    if (this.done) return;
    this.detach();
    // Best effort: a closed host or a restarted worker has no decoder left to free.
    await this.host.call('cancel', this.id, this.callOpts()).catch(() => undefined);
  }

  /** Marks the stream finished and releases its slot in the provider. */
  detach(): void {
    if (this.done) return;
    this.done = true;
    this.onDone();
  }

  private callOpts(): { workerIndex: number; priority: Priority } {
    return { workerIndex: this.workerIndex, priority: this.priority };
  }
}

/** The streams of one provider: which worker each lives on, and which are still open. */
export class HostedStreams {
  private readonly perWorker: number[];
  private readonly open = new Map<string, HostedStream>();
  private next = 1;

  constructor(
    private readonly label: string,
    private readonly host: InferenceHost,
    private readonly priority: Priority,
  ) {
    this.perWorker = new Array<number>(host.size).fill(0);
  }

  /** A new stream on the least busy worker; `closed()` is asked again once the worker has set it up. */
  async start(closed: () => boolean): Promise<AsrStream> {
    const id = `${this.label}-${this.next++}`;
    const workerIndex = this.perWorker.indexOf(Math.min(...this.perWorker));
    this.perWorker[workerIndex]++;
    const stream = new HostedStream(this.label, id, workerIndex, this.host, this.priority, () => {
      this.open.delete(id);
      this.perWorker[workerIndex]--;
    });
    try {
      await this.host.call<AsrHypothesis>('startStream', id, { workerIndex, priority: this.priority });
    } catch (err) {
      this.perWorker[workerIndex]--;
      throw err;
    }
    if (closed()) {
      // close() ran while the decoder was being set up: give it back rather than leak it.
      await stream.cancel();
      throw new InvalidStateError(`${this.label} ASR is closed`);
    }
    this.open.set(id, stream);
    return stream;
  }

  /** Streams still open (close() detaches them once their worker is gone). */
  list(): HostedStream[] {
    return [...this.open.values()];
  }
}
