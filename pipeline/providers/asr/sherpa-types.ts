/**
 * The recogniser side of sherpa-onnx-node that the ASR providers use (the package ships no declarations;
 * shapes follow its non-streaming-asr.js, streaming-asr.js and types.js at 1.13.8).
 */

export interface FeatureConfig {
  sampleRate: number;
  featureDim: number;
}

export interface OfflineModelConfig {
  whisper?: { encoder: string; decoder: string; language: string; task: string; tailPaddings: number };
  moonshine?: { preprocessor: string; encoder: string; uncachedDecoder: string; cachedDecoder: string };
  senseVoice?: { model: string; language: string; useInverseTextNormalization: number };
  tokens: string;
  numThreads: number;
  provider: string;
  debug: number;
}
export interface OfflineRecognizerConfig {
  featConfig: FeatureConfig;
  modelConfig: OfflineModelConfig;
  decodingMethod: string;
}

export interface OnlineModelConfig {
  transducer?: { encoder: string; decoder: string; joiner: string };
  paraformer?: { encoder: string; decoder: string };
  tokens: string;
  numThreads: number;
  provider: string;
  debug: number;
}
export interface OnlineRecognizerConfig {
  featConfig: FeatureConfig;
  modelConfig: OnlineModelConfig;
  decodingMethod: string;
  maxActivePaths: number;
  /** 0: the VAD stage ends utterances, not the recogniser. */
  enableEndpoint: number;
}

export type RecognizerConfig = { kind: 'offline'; config: OfflineRecognizerConfig } | { kind: 'online'; config: OnlineRecognizerConfig };

/** What getResult() returns as JSON; fields vary by model (whisper and moonshine give no timestamps). */
export interface SherpaResult {
  text: string;
  tokens?: string[];
  /** Seconds from the start of the stream, one per token, when the model gives them. */
  timestamps?: number[];
  /** Seconds, one per token (some models only). */
  durations?: number[];
  lang?: string;
}

export interface Waveform {
  samples: Float32Array;
  sampleRate: number;
}

export interface OfflineStream {
  acceptWaveform(w: Waveform): void;
}
export interface OfflineRecognizer {
  createStream(): OfflineStream;
  decode(stream: OfflineStream): void;
  getResult(stream: OfflineStream): SherpaResult;
}

export interface OnlineStream {
  acceptWaveform(w: Waveform): void;
  inputFinished(): void;
}
export interface OnlineRecognizer {
  createStream(): OnlineStream;
  isReady(stream: OnlineStream): boolean;
  decode(stream: OnlineStream): void;
  getResult(stream: OnlineStream): SherpaResult;
}

export interface SherpaAsrModule {
  OfflineRecognizer: new (config: OfflineRecognizerConfig) => OfflineRecognizer;
  OnlineRecognizer: new (config: OnlineRecognizerConfig) => OnlineRecognizer;
  version: string;
}
