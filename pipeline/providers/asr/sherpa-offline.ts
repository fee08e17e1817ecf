/**
 * sherpa-onnx offline recognisers given a model folder: whisper, moonshine, sense-voice. They recognise whole
 * buffers on inference workers; createStream() drives them incrementally over the growing utterance
 * (growing-window.ts) so the stage's stability policy gets partial hypotheses.
 */
import type { Device, InferenceHost, Priority } from '../../../gpu/host.js';
import { DubdError, InvalidStateError } from '../../errors.js';
import type { AsrCapabilities, AsrHypothesis, AsrProvider, AsrStream, EngineInfo } from '../types.js';
import { GrowingWindowStream, trackedStream } from './growing-window.js';
import { loadSherpa } from './sherpa-load.js';

export type OfflineFamily = 'whisper' | 'moonshine' | 'sense-voice';

export interface SherpaOfflineOptions {
  family: OfflineFamily;
  modelDir: string;
  numThreads: number;
  preferInt8: boolean;
  /** Recognition language ('en', 'pt-BR', ...): whisper multilingual and sense-voice use it. */
  language: string;
  /** sense-voice: inverse text normalisation. */
  useItn: boolean;
  decodeIntervalMs: number;
  maxWindowMs: number;
  /** Fewer partials rather than a backlog when decoding is slower than the audio arrives. */
  paceToAudio: boolean;
  workers: number;
  device: Device;
  priority: Priority;
  hint?: string;
}

export const defaultSherpaOfflineOptions: Readonly<Omit<SherpaOfflineOptions, 'family' | 'modelDir'>> = {
  numThreads: 2,
  preferInt8: true,
  language: 'en',
  useItn: true,
  decodeIntervalMs: 1000,
  maxWindowMs: 20_000,
  paceToAudio: true,
  workers: 1,
  device: 'cpu',
  priority: 'live',
};

const SAMPLE_RATE = 16_000;

export class SherpaOfflineAsr implements AsrProvider {
  readonly info: EngineInfo;
  readonly capabilities: AsrCapabilities;
  private readonly open = new Set<AsrStream>();
  private nextStream = 1;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly host: InferenceHost,
    private readonly o: SherpaOfflineOptions,
    version: string,
    languages: string[],
  ) {
    this.info = { id: `sherpa-${o.family}`, version };
    this.capabilities = {
      sampleRate: SAMPLE_RATE,
      streaming: o.decodeIntervalMs > 0,
      // Only sense-voice gives token timestamps; whisper and moonshine words are spread by length.
      wordTimestamps: o.family === 'sense-voice',
      languages,
    };
  }

  /** MODEL_NOT_FOUND for a missing or incomplete folder; ENGINE_FAILED for files sherpa cannot load. */
  static async load(opts: Partial<SherpaOfflineOptions> & Pick<SherpaOfflineOptions, 'family' | 'modelDir'>): Promise<SherpaOfflineAsr> {
    const o: SherpaOfflineOptions = { ...defaultSherpaOfflineOptions, ...opts };
    const loaded = await loadSherpa(o.family, o);
    return new SherpaOfflineAsr(loaded.host, o, loaded.version, loaded.languages);
  }

  async createStream(opts: { language: string }): Promise<AsrStream> {
    this.assertOpen();
    this.assertLanguage(opts.language);
    const name = `${this.info.id} stream ${this.nextStream++}`;
    const inner = new GrowingWindowStream((w) => this.decode(w), { sampleRate: SAMPLE_RATE, ...this.o }, name);
    return trackedStream(inner, this.open);
  }

  async transcribe(samples: Float32Array, opts: { language: string }): Promise<AsrHypothesis> {
    this.assertOpen();
    this.assertLanguage(opts.language);
    return this.decode(samples);
  }

  /** Idempotent: drops open streams and stops the workers. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    await Promise.all([...this.open].map((s) => s.cancel()));
    this.open.clear();
    await this.host.close();
  }

  private decode(samples: Float32Array): Promise<AsrHypothesis> {
    if (this.closing) return Promise.reject(new InvalidStateError(`${this.info.id} ASR is closed`));
    return this.host.call<AsrHypothesis>('transcribe', samples, { priority: this.o.priority });
  }

  private assertOpen(): void {
    if (this.closing) throw new InvalidStateError(`${this.info.id} ASR is closed`);
  }

  private assertLanguage(language: string): void {
    const base = language.split('-')[0].toLowerCase();
    if (!this.capabilities.languages.includes(base)) {
      throw new DubdError('INVALID_ARGUMENT', `${this.info.id} recognises ${this.capabilities.languages.join(', ')}, not '${language}'`);
    }
  }
}
