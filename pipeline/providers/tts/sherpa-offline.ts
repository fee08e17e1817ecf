/**
 * sherpa-onnx OfflineTts (piper/vits, kokoro, matcha) given a model folder. The model runs on an
 * inference host: generate() blocks for the whole utterance. Speaker id and speed are the engine's own
 * controls; `voice` picks the speaker ('3', 'sid:3' or a kokoro voice name such as 'ef_dora').
 */
import { InferenceHost, type Device, type Priority } from '../../../gpu/host.js';
import { DubdError, InvalidStateError } from '../../errors.js';
import type { EngineInfo, TtsCapabilities, TtsProvider } from '../types.js';
import { abortError, checkRate, cleanText, langKey, type ClonedTtsRequest, type SpokenResult } from './request.js';
import { resolveSherpaModel, type ResolvedSherpaModel, type SherpaKind } from './sherpa-config.js';
import type { SherpaGenerated, SherpaGenerateArgs, SherpaLoadArgs, SherpaLoadResult } from './sherpa-worker.js';

export interface SherpaTtsOptions {
  /** The model folder. */
  model: string;
  kind: 'auto' | SherpaKind;
  vocoder: string;
  /** Kokoro's espeak language. */
  lang: string;
  /** Languages the model speaks; empty = what its files say. */
  languages: string[];
  /** Speaker used when the request names none. */
  sid: number;
  numThreads: number;
  workers: number;
  device: Device;
  priority: Priority;
  /** A host already running `sherpaTtsWorkerModule`; shared, and left open on close(). */
  host?: InferenceHost;
}

export const defaultSherpaTtsOptions: Readonly<Omit<SherpaTtsOptions, 'host'>> = {
  model: '',
  kind: 'auto',
  vocoder: '',
  lang: '',
  languages: [],
  sid: 0,
  numThreads: 2,
  workers: 1,
  device: 'cpu',
  priority: 'live',
};

export const sherpaTtsWorkerModule = new URL('./sherpa-worker.js', import.meta.url);

export class SherpaTts implements TtsProvider {
  readonly info: EngineInfo;
  readonly capabilities: TtsCapabilities;
  readonly model: ResolvedSherpaModel;
  private readonly o: Omit<SherpaTtsOptions, 'host'>;
  private readonly host: InferenceHost;
  private readonly ownsHost: boolean;
  private readonly key: string;
  private closing: Promise<void> | undefined;

  private constructor(o: SherpaTtsOptions, model: ResolvedSherpaModel, host: InferenceHost, key: string, loaded: SherpaLoadResult, languages: string[]) {
    this.o = o;
    this.model = model;
    this.host = host;
    this.ownsHost = !o.host;
    this.key = key;
    this.info = { id: 'sherpa', version: `${model.kind} (sherpa-onnx ${loaded.version})` };
    this.capabilities = { sampleRate: loaded.sampleRate, languages, rate: true };
  }

  /** Checks the model folder, then loads the model in every worker. */
  static async load(opts: Partial<SherpaTtsOptions> = {}): Promise<SherpaTts> {
    const o = { ...defaultSherpaTtsOptions, ...opts };
    const model = await resolveSherpaModel({ folder: o.model, kind: o.kind, vocoder: o.vocoder, lang: o.lang, numThreads: o.numThreads, device: o.device });
    const languages = o.languages.length ? o.languages : model.languages;
    if (!languages.length) {
      throw new DubdError('INVALID_CONFIG', `cannot tell which language ${model.folder} speaks: set tts.sherpa.languages`);
    }
    if (o.sid >= model.numSpeakers) {
      throw new DubdError('INVALID_CONFIG', `tts.sherpa.sid ${o.sid} is out of range: the model has ${model.numSpeakers} speaker(s)`);
    }
    const host = o.host ?? new InferenceHost({ module: sherpaTtsWorkerModule, workers: o.workers, device: o.device, name: 'sherpa-tts' });
    const key = `${model.kind}:${model.folder}`;
    try {
      // initEach: a worker that crashes and restarts loads the model again before it takes requests.
      const [loaded] = await host.initEach<SherpaLoadResult>('load', { key, config: model.config } satisfies SherpaLoadArgs);
      return new SherpaTts(o, model, host, key, loaded, languages);
    } catch (err) {
      if (!o.host) await host.close();
      throw err;
    }
  }

  async synthesize(req: ClonedTtsRequest): Promise<SpokenResult> {
    if (this.closing) throw new InvalidStateError('synthesize() after close()');
    const speed = checkRate(req.rate);
    this.checkLanguage(req.lang);
    const sid = this.sidFor(req.voice);
    if (req.signal?.aborted) throw abortError(req.signal);
    const text = cleanText(req.text);
    if (!text) return { samples: new Float32Array(0), sampleRate: this.capabilities.sampleRate, provider: this.info.id };
    const args: SherpaGenerateArgs = { key: this.key, text, sid, speed };
    const out = await this.host.call<SherpaGenerated>('generate', args, { priority: this.o.priority });
    // The worker cannot be interrupted mid-utterance: an abort that came meanwhile drops the result.
    if (req.signal?.aborted) throw abortError(req.signal);
    return { samples: out.samples, sampleRate: out.sampleRate, provider: this.info.id };
  }

  /** Idempotent. Closes the host when the provider started it; a shared host only unloads the model. */
  close(): Promise<void> {
    this.closing ??= this.ownsHost ? this.host.close() : this.host.initEach('unload', this.key).then(() => undefined, () => undefined);
    return this.closing;
  }

  /** '3', 'sid:3', or a speaker name the model lists; empty = the configured default. */
  private sidFor(voice: string | undefined): number {
    if (!voice) return this.o.sid;
    const m = /^(?:sid:)?(\d+)$/.exec(voice.trim());
    const sid = m ? Number(m[1]) : this.model.speakerNames.indexOf(voice.trim());
    if (sid < 0 || sid >= this.model.numSpeakers) {
      const names = this.model.speakerNames.length ? ` or one of ${this.model.speakerNames.slice(0, 8).join(', ')}…` : '';
      throw new DubdError('INVALID_ARGUMENT', `sherpa voice '${voice}' is not a speaker of this model (0–${this.model.numSpeakers - 1}${names})`);
    }
    return sid;
  }

  private checkLanguage(lang: string): void {
    const key = langKey(lang);
    const ok = this.capabilities.languages.some((l) => langKey(l) === key || langKey(l) === key.split('-')[0]);
    if (!ok) throw new DubdError('INVALID_ARGUMENT', `the sherpa model speaks ${this.capabilities.languages.join(', ')}, not '${lang}'`);
  }
}
