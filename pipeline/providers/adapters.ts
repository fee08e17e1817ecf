/**
 * Adapters that give weaker providers the shape the stages expect, instead of branches inside a stage.
 */
import type { AsrHypothesis, AsrProvider, AsrStream } from './types.js';

const EMPTY: AsrHypothesis = { text: '', words: [] };

/**
 * Utterance-at-a-time recognition: buffers the segment and transcribes it whole at finish(). This is how
 * batch engines run, and how the naive baseline of the latency benchmark uses a streaming engine.
 */
export function segmentedAsr(inner: AsrProvider): AsrProvider {
  return {
    info: { id: `${inner.info.id}+segmented`, version: inner.info.version },
    capabilities: { ...inner.capabilities, streaming: false },
    async createStream(): Promise<AsrStream> {
      const chunks: Float32Array[] = [];
      let length = 0;
      return {
        async accept(samples) {
          chunks.push(samples);
          length += samples.length;
          return EMPTY;
        },
        async finish() {
          const all = new Float32Array(length);
          let o = 0;
          for (const c of chunks) {
            all.set(c, o);
            o += c.length;
          }
          return inner.transcribe(all, { language: inner.capabilities.languages[0] ?? 'en' });
        },
        async cancel() {
          chunks.length = 0;
        },
      };
    },
    transcribe: (samples, opts) => inner.transcribe(samples, opts),
    close: () => inner.close(),
  };
}
