/**
 * PocketSphinx streaming ASR (English). The decoder runs on an inference host, never on the main
 * thread: each stream is pinned to one worker, where it owns a pooled decoder for its lifetime.
 * Float32 samples cross to the worker as they are and become 16-bit PCM there, so the main thread
 * does no per-sample work.
 */
import { InferenceHost, type Device, type Priority } from '../../gpu/host.js';
import { defaultConfig } from '../../config/schema.js';
import { DubdError, InvalidStateError } from '../errors.js';
import type { PocketSphinxModel } from './pocketsphinx-ffi.js';
import type { PsHypothesis, PsOpenResult } from './pocketsphinx-worker.js';
import type { AsrCapabilities, AsrHypothesis, AsrProvider, AsrStream, EngineInfo } from './types.js';
import { HostedStreams } from './hosted-streams.js';

export interface PocketSphinxOptions extends PocketSphinxModel {
  /** Worker threads of the provider's own host. */
  workers: number;
  device: Device;
  /** Queue lane on the host: 'live' for sessions, 'batch' for project jobs sharing a host. */
  priority: Priority;
  /**
   * A host already running `pocketsphinxWorkerModule`; the provider then shares it and leaves it
   * open on close(). Without it the provider starts (and closes) its own.
   */
  host?: InferenceHost;
}

export const defaultPocketSphinxOptions: Readonly<Omit<PocketSphinxOptions, 'host'>> = {
  ...defaultConfig.asr.pocketsphinx,
  workers: 1,
  device: 'cpu',
  priority: 'live',
};

/** The worker module to give an InferenceHost that PocketSphinxAsr should share. */
export const pocketsphinxWorkerModule = new URL('./pocketsphinx-worker.js', import.meta.url);

const SAMPLE_RATE = 16000;

export class PocketSphinxAsr implements AsrProvider {
  readonly info: EngineInfo;
  readonly capabilities: AsrCapabilities = {
    sampleRate: SAMPLE_RATE,
    streaming: true,
    wordTimestamps: true,
    languages: ['en'],
  };

  private readonly host: InferenceHost;
  private readonly ownsHost: boolean;
  private readonly priority: Priority;
  /** Open streams per worker, to place a new stream on the least loaded one. */
  private readonly streams: HostedStreams;
  private closing: Promise<void> | undefined;

  private constructor(host: InferenceHost, ownsHost: boolean, priority: Priority, version: string) {
    this.host = host;
    this.ownsHost = ownsHost;
    this.priority = priority;
    this.streams = new HostedStreams('pocketsphinx', host, priority);
    this.info = { id: 'pocketsphinx', version };
  }

  /** Starts the workers and loads the model in each; ENGINE_MISSING when library or model is absent. */
  static async load(opts: Partial<PocketSphinxOptions> = {}): Promise<PocketSphinxAsr> {
    const o = { ...defaultPocketSphinxOptions, ...opts };
    const model: PocketSphinxModel = { hmm: o.hmm, lm: o.lm, dict: o.dict };
    const host =
      o.host ??
      new InferenceHost({ module: pocketsphinxWorkerModule, workers: o.workers, device: o.device, name: 'pocketsphinx' });
    try {
      // initEach: a worker that crashes and restarts reloads the model before taking streams.
      const [first] = await host.initEach<PsOpenResult>('open', model);
      return new PocketSphinxAsr(host, !o.host, o.priority, first.version);
    } catch (err) {
      if (!o.host) await host.close();
      throw err;
    }
  }

  async createStream(opts: { language: string }): Promise<AsrStream> {
    this.assertOpen();
    this.assertLanguage(opts.language);
    return this.streams.start(() => this.closing !== undefined);
  }

  async transcribe(samples: Float32Array, opts: { language: string }): Promise<AsrHypothesis> {
    this.assertOpen();
    this.assertLanguage(opts.language);
    return this.host.call<PsHypothesis>('transcribe', samples, { priority: this.priority });
  }

  /** Idempotent. Cancels open streams; closes the host only when the provider started it. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const streams = this.streams.list();
    if (this.ownsHost) {
      await this.host.close();
    } else {
      // A shared host lives on: give the decoders back to its pools.
      await Promise.all(streams.map((s) => s.cancel()));
    }
    for (const s of streams) s.detach();
  }

  private assertOpen(): void {
    if (this.closing) throw new InvalidStateError('pocketsphinx ASR is closed');
  }

  private assertLanguage(language: string): void {
    if (language.split('-')[0].toLowerCase() !== 'en') {
      throw new DubdError('INVALID_ARGUMENT', `pocketsphinx recognises English only, not '${language}'`);
    }
  }
}

/** One utterance on one worker. Calls keep their order: same worker, same queue lane. */
