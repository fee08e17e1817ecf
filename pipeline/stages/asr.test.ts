import { describe, expect, it } from 'vitest';
import { asrStage } from './asr.js';
import { chunker } from './chunker.js';
import { vadStage } from './vad.js';
import { CountingAsr, collect, from, LoudnessVad, spans, testContext } from '../../test/fakes.js';
import { defaultConfig } from '../../config/schema.js';
import { DubdError } from '../errors.js';
import type { AsrStream, AsrHypothesis } from '../providers/types.js';
import type { Frame, TranscriptFrame } from '../frames.js';

/** Crashes (retryable, like a dead worker) after `okChunks` chunks of its first stream. */
class CrashingAsr extends CountingAsr {
  constructor(private readonly okChunks: number) {
    super(400);
  }
  override async createStream(): Promise<AsrStream> {
    const inner = await super.createStream();
    let n = 0;
    const first = this.streams === 1;
    return {
      accept: async (s: Float32Array): Promise<AsrHypothesis> => {
        if (first && ++n > this.okChunks) throw new DubdError('ENGINE_FAILED', 'worker died', { retryable: true });
        return inner.accept(s);
      },
      finish: () => inner.finish(),
      cancel: () => inner.cancel(),
    };
  }
}

async function transcripts(asr: CountingAsr, list: [number, boolean][]): Promise<TranscriptFrame[]> {
  const ctx = testContext();
  const frames: Frame[] = [...spans(list), { kind: 'eos', ptsMs: 99_999 }];
  const out = await collect(asrStage(asr, defaultConfig.asr)(vadStage(new LoudnessVad(), defaultConfig.vad)(chunker(512)(from(frames), ctx), ctx), ctx));
  return out.filter((f): f is TranscriptFrame => f.kind === 'transcript');
}

describe('asrStage', () => {
  it('emits growing partials with a monotonic stable prefix, then one final per segment', async () => {
    const ts = await transcripts(new CountingAsr(400), [[300, false], [2500, true], [800, false]]);
    const partials = ts.filter((t) => !t.isFinal);
    expect(partials.length).toBeGreaterThan(5);
    for (let i = 1; i < partials.length; i += 1) expect(partials[i].stable.startsWith(partials[i - 1].stable)).toBe(true);
    expect(partials.map((t) => t.revision)).toEqual(partials.map((_, i) => i + 1));
    const finals = ts.filter((t) => t.isFinal);
    expect(finals).toHaveLength(1);
    expect(finals[0].stable).toBe(finals[0].text);
    expect(finals[0].stable.startsWith(partials.at(-1)!.stable)).toBe(true);
  });

  it('a crashed engine ends the segment with its stable words, and the next segment recovers', async () => {
    const asr = new CrashingAsr(12);
    const ts = await transcripts(asr, [[300, false], [3000, true], [800, false], [2000, true], [800, false]]);
    const finals = ts.filter((t) => t.isFinal);
    expect(finals).toHaveLength(2);
    expect(finals[0].stable.split(' ').length).toBeGreaterThan(0);
    expect(finals[1].text.split(' ').length).toBeGreaterThanOrEqual(3);
  });

  it('a non-retryable engine error fails the stage', async () => {
    class Broken extends CountingAsr {
      override async createStream(): Promise<AsrStream> {
        return { accept: () => Promise.reject(new DubdError('INVALID_ARGUMENT', 'bad audio')), finish: () => Promise.resolve({ text: '', words: [] }), cancel: async () => undefined };
      }
    }
    await expect(transcripts(new Broken(), [[300, false], [1500, true], [500, false]])).rejects.toThrow('bad audio');
  });
});
