/**
 * sherpa-onnx streaming recognisers given a model folder: transducers (zipformer) and paraformers. They are
 * natively incremental: every accepted chunk is decoded on the stream's worker and gives a partial result.
 * Each stream is pinned to one worker, where its decoder state lives.
 */
import type { Device, InferenceHost, Priority } from '../../../gpu/host.js';
import { DubdError, InvalidStateError } from '../../errors.js';
import type { AsrCapabilities, AsrHypothesis, AsrProvider, AsrStream, EngineInfo } from '../types.js';
import { loadSherpa } from './sherpa-load.js';
import { HostedStreams } from '../hosted-streams.js';

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
  private readonly streams: HostedStreams;
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
    this.streams = new HostedStreams('sherpa-online', host, priority);
  }

  static async load(opts: Partial<SherpaOnlineOptions> & Pick<SherpaOnlineOptions, 'modelDir'>): Promise<SherpaOnlineAsr> {
    const o: SherpaOnlineOptions = { ...defaultSherpaOnlineOptions, ...opts };
    const loaded = await loadSherpa('online', o);
    return new SherpaOnlineAsr(loaded.host, o.priority, loaded.version, loaded.languages, 'joiner' in loaded.files.files);
  }

  async createStream(opts: { language: string }): Promise<AsrStream> {
    this.assertOpen();
    this.assertLanguage(opts.language);
    return this.streams.start(() => this.closing !== undefined);
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
    const streams = this.streams.list();
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
