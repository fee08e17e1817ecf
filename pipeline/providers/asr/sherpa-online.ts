/**
 * sherpa-onnx streaming recognisers given a model folder: transducers (zipformer) and paraformers. They are
 * natively incremental: every accepted chunk is decoded on the stream's worker and gives a partial result.
 * Each stream is pinned to one worker, where its decoder state lives.
 */
import type { Device, InferenceHost, Priority } from '../../../gpu/host.js';
import { DubdError, InvalidStateError } from '../../errors.js';
import type { AsrCapabilities, AsrHypothesis, AsrProvider, AsrStream, EngineInfo } from '../types.js';
import { loadSherpa } from './sherpa-load.js';

export interface SherpaOnlineOptions {
  modelDir: string;
  numThreads: number;
  preferInt8: boolean;
  /** The language the model recognises (a streaming folder does not say). */
  language: string;
  tailPaddingMs: number;
  workers: number;
  device: Device;
  priority: Priority;
  hint?: string;
}

export const defaultSherpaOnlineOptions: Readonly<Omit<SherpaOnlineOptions, 'modelDir'>> = {
  numThreads: 2,
  preferInt8: true,
  language: 'en',
  tailPaddingMs: 500,
  workers: 1,
  device: 'cpu',
  priority: 'live',
};

const SAMPLE_RATE = 16_000;

export class SherpaOnlineAsr implements AsrProvider {
  readonly info: EngineInfo;
  readonly capabilities: AsrCapabilities;
  private readonly streamsPerWorker: number[];
  private readonly open = new Map<string, SherpaOnlineStream>();
  private nextStream = 1;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly host: InferenceHost,
    private readonly priority: Priority,
    version: string,
    languages: string[],
    transducer: boolean,
  ) {
    this.info = { id: 'sherpa-online', version: `${version} (${transducer ? 'transducer' : 'paraformer'})` };
    // Transducers give token timestamps; paraformers do not (their words are spread by length).
    this.capabilities = { sampleRate: SAMPLE_RATE, streaming: true, wordTimestamps: transducer, languages };
    this.streamsPerWorker = new Array<number>(host.size).fill(0);
  }

  static async load(opts: Partial<SherpaOnlineOptions> & Pick<SherpaOnlineOptions, 'modelDir'>): Promise<SherpaOnlineAsr> {
    const o: SherpaOnlineOptions = { ...defaultSherpaOnlineOptions, ...opts };
    const loaded = await loadSherpa('online', o);
    return new SherpaOnlineAsr(loaded.host, o.priority, loaded.version, loaded.languages, 'joiner' in loaded.files.files);
  }

  async createStream(opts: { language: string }): Promise<AsrStream> {
    this.assertOpen();
    this.assertLanguage(opts.language);
    const id = `so-${this.nextStream++}`;
    const workerIndex = this.streamsPerWorker.indexOf(Math.min(...this.streamsPerWorker));
    this.streamsPerWorker[workerIndex]++;
    const stream = new SherpaOnlineStream(id, workerIndex, this.host, this.priority, () => {
      this.open.delete(id);
      this.streamsPerWorker[workerIndex]--;
    });
    try {
      await this.host.call<AsrHypothesis>('startStream', id, { workerIndex, priority: this.priority });
    } catch (err) {
      this.streamsPerWorker[workerIndex]--;
      throw err;
    }
    if (this.closing) {
      await stream.cancel();
      throw new InvalidStateError('sherpa-online ASR is closed');
    }
    this.open.set(id, stream);
    return stream;
  }

  async transcribe(samples: Float32Array, opts: { language: string }): Promise<AsrHypothesis> {
    this.assertOpen();
    this.assertLanguage(opts.language);
    return this.host.call<AsrHypothesis>('transcribe', samples, { priority: this.priority });
  }

  /** Idempotent: stops the workers (and with them every stream's state). */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const streams = [...this.open.values()];
    await this.host.close();
    for (const s of streams) s.detach();
  }

  private assertOpen(): void {
    if (this.closing) throw new InvalidStateError('sherpa-online ASR is closed');
  }

  private assertLanguage(language: string): void {
    const base = language.split('-')[0].toLowerCase();
    if (!this.capabilities.languages.includes(base)) {
      throw new DubdError('INVALID_ARGUMENT', `sherpa-online model recognises ${this.capabilities.languages.join(', ')}, not '${language}'`);
    }
  }
}

/** One utterance on one worker; calls keep their order (same worker, same queue lane). */
class SherpaOnlineStream implements AsrStream {
  private done = false;

  constructor(
    private readonly id: string,
    private readonly workerIndex: number,
    private readonly host: InferenceHost,
    private readonly priority: Priority,
    private readonly onDone: () => void,
  ) {}

  async accept(samples: Float32Array): Promise<AsrHypothesis> {
    if (this.done) throw new InvalidStateError(`sherpa stream ${this.id} is finished`);
    return this.host.call<AsrHypothesis>('accept', { id: this.id, samples }, this.callOpts());
  }

  async finish(): Promise<AsrHypothesis> {
    if (this.done) throw new InvalidStateError(`sherpa stream ${this.id} is finished`);
    this.detach();
    return this.host.call<AsrHypothesis>('finish', this.id, this.callOpts());
  }

  async cancel(): Promise<void> {
    if (this.done) return;
    this.detach();
    await this.host.call('cancel', this.id, this.callOpts()).catch(() => undefined);
  }

  detach(): void {
    if (this.done) return;
    this.done = true;
    this.onDone();
  }

  private callOpts(): { workerIndex: number; priority: Priority } {
    return { workerIndex: this.workerIndex, priority: this.priority };
  }
}
