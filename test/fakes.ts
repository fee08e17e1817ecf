/**
 * Scriptable fakes for stage tests: frames in, frames out, no engines. Integration tests use the real ones.
 */
import type {
  AsrHypothesis, AsrProvider, AsrStream, MtProvider, MtRequest, TtsProvider, TtsRequest, TtsResult, VadProvider, VoiceProvider, VoiceRequest, VoiceResult,
} from '../pipeline/providers/types.js';
import type { AudioFrame, Frame, Word } from '../pipeline/frames.js';
import { PipelineMetrics } from '../pipeline/metrics.js';
import { VirtualClock, type Clock } from '../pipeline/clock.js';
import { defaultConfig } from '../config/schema.js';
import { silentLogger } from '../config/logger.js';
import type { StageContext } from '../pipeline/stage.js';

/** Speech wherever the window is loud. */
export class LoudnessVad implements VadProvider {
  readonly info = { id: 'fake-vad', version: '0' };
  readonly capabilities = { sampleRate: 16_000, windowSize: 512 };
  confidence(w: Float32Array): number {
    let s = 0;
    for (const x of w) s += x * x;
    return Math.sqrt(s / w.length) > 0.05 ? 1 : 0;
  }
  reset(): void {}
  async close(): Promise<void> {}
}

/** Hears one word per `msPerWord` of audio fed: 'w1 w2 …', with word timings. */
export class CountingAsr implements AsrProvider {
  readonly info = { id: 'fake-asr', version: '0' };
  readonly capabilities = { sampleRate: 16_000, streaming: true, wordTimestamps: true, languages: ['en'] };
  streams = 0;
  constructor(private readonly msPerWord = 400) {}
  async createStream(): Promise<AsrStream> {
    this.streams += 1;
    let fed = 0;
    const hyp = (): AsrHypothesis => {
      const n = Math.floor((fed / 16) / this.msPerWord);
      const words: Word[] = Array.from({ length: n }, (_, i) => ({ text: `w${i + 1}`, startMs: i * this.msPerWord, endMs: i * this.msPerWord + this.msPerWord - 200 }));
      return { text: words.map((w) => w.text).join(' '), words };
    };
    return {
      accept: async (s) => {
        fed += s.length;
        return hyp();
      },
      finish: async () => hyp(),
      cancel: async () => undefined,
    };
  }
  async transcribe(s: Float32Array): Promise<AsrHypothesis> {
    const st = await this.createStream();
    await st.accept(s);
    return st.finish();
  }
  async close(): Promise<void> {}
}

export class PrefixMt implements MtProvider {
  readonly info = { id: 'fake-mt', version: '0' };
  readonly capabilities = { pairs: ['en-es', 'en-pt'], usesContext: true, streaming: false };
  readonly requests: MtRequest[] = [];
  async translate(req: MtRequest): Promise<string> {
    this.requests.push(req);
    return `${req.to}:${req.text}`;
  }
  async close(): Promise<void> {}
}

/** Speaks `msPerChar` of a 200 Hz tone per character (faster with `rate`). */
export class ToneTts implements TtsProvider {
  readonly info = { id: 'fake-tts', version: '0' };
  readonly capabilities = { sampleRate: 16_000, languages: ['es', 'pt'], rate: true };
  constructor(private readonly msPerChar = 40) {}
  async synthesize(req: TtsRequest): Promise<TtsResult> {
    const n = Math.round((req.text.length * this.msPerChar * 16) / (req.rate ?? 1));
    return { samples: tone(n, 16_000, 200, 0.3), sampleRate: 16_000 };
  }
  async close(): Promise<void> {}
}

export class NoteVoice implements VoiceProvider {
  readonly info = { id: 'fake-voice', version: '0' };
  references: number[] = [];
  async convert(req: VoiceRequest): Promise<VoiceResult> {
    this.references.push(req.reference.length);
    return { samples: req.samples, sampleRate: req.sampleRate, note: 'fake voice' };
  }
  async close(): Promise<void> {}
}

export function tone(n: number, rate: number, hz: number, amp: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 1) out[i] = amp * Math.sin((2 * Math.PI * hz * i) / rate);
  return out;
}

/** Audio frames of `frameMs` from a list of [ms, loud?] spans. */
export function spans(list: [number, boolean][], frameMs = 20, rate = 16_000): AudioFrame[] {
  const total = list.reduce((a, [ms]) => a + ms, 0);
  const all = new Float32Array((total * rate) / 1000);
  let o = 0;
  for (const [ms, loud] of list) {
    const n = (ms * rate) / 1000;
    if (loud) all.set(tone(n, rate, 220, 0.4), o);
    o += n;
  }
  const frames: AudioFrame[] = [];
  const per = (frameMs * rate) / 1000;
  for (let i = 0; i < all.length; i += per) {
    frames.push({ kind: 'audio', ptsMs: (i * 1000) / rate, sampleRate: rate, channels: 1, samples: all.slice(i, i + per), arrivedAtMs: 0 });
  }
  return frames;
}

export function testContext(clock: Clock = new VirtualClock()): StageContext {
  return { signal: new AbortController().signal, clock, log: silentLogger, metrics: new PipelineMetrics(), settings: defaultConfig };
}

export async function* from<T>(items: T[]): AsyncGenerator<T> {
  for (const x of items) yield x;
}

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

export function kinds(frames: Frame[]): string[] {
  return frames.map((f) => f.kind);
}
