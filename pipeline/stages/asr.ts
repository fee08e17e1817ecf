/**
 * Incremental ASR: one recogniser stream per speech segment, fed in chunks; every partial hypothesis goes
 * through the stability policy and out as a transcript frame; speech-end finalises.
 */
import type { Frame, TranscriptFrame, Word } from '../frames.js';
import type { Stage } from '../stage.js';
import type { AsrHypothesis, AsrProvider, AsrStream } from '../providers/types.js';
import type { AsrConfig } from '../../config/schema.js';
import { LocalAgreement, wordsText } from './stability.js';
import { DubdError } from '../errors.js';
import { concatSamples } from '../audio/samples.js';

export function asrStage(provider: AsrProvider, cfg: AsrConfig): Stage<Frame, Frame> {
  return async function* asr(input, ctx) {
    const chunkSamples = Math.round((provider.capabilities.sampleRate * cfg.chunkMs) / 1000);
    let stream: AsrStream | undefined;
    let policy = new LocalAgreement(cfg.agreement);
    let segmentId = '';
    let segmentStartMs = 0;
    let audioStartMs = 0;
    let fedSamples = 0;
    let revision = 0;
    let pending: Float32Array[] = [];
    let pendingLen = 0;
    let lastArrival: number | undefined;
    let failed = false;

    const absolute = (words: Word[]): Word[] =>
      words.map((w) => ({ text: w.text, startMs: audioStartMs + w.startMs, endMs: audioStartMs + w.endMs }));
    const transcript = (text: string, stable: Word[], isFinal: boolean, endMs: number): TranscriptFrame => ({
      kind: 'transcript',
      ptsMs: endMs,
      segmentId,
      revision: ++revision,
      text,
      stable: wordsText(stable),
      stableWords: stable,
      isFinal,
      startMs: segmentStartMs,
      endMs,
      audioEndMs: audioStartMs + (fedSamples * 1000) / provider.capabilities.sampleRate,
      arrivedAtMs: lastArrival,
    });
    /**
     * A crashed engine (retryable) costs the rest of this segment, not the session: the segment ends with
     * the words already committed, and the next segment opens a fresh stream.
     */
    const engineFailed = (err: unknown): undefined => {
      if (!(err instanceof DubdError && err.retryable)) throw err;
      ctx.log.warn({ err: err.message, segmentId }, 'asr engine failed; segment ends with its stable words');
      ctx.metrics.count('asr.engineFailures');
      failed = true;
      stream = undefined;
      return undefined;
    };
    let lastHyp: AsrHypothesis | undefined;
    const feed = async (): Promise<TranscriptFrame | undefined> => {
      if (!stream || pendingLen === 0) return undefined;
      const chunk = concatSamples(pending, pendingLen);
      pending = [];
      pendingLen = 0;
      const s = stream;
      const hyp = await ctx.metrics.time('asr', () => s.accept(chunk)).catch((err: unknown) => engineFailed(err));
      if (!hyp) return undefined;
      fedSamples += chunk.length;
      // Windowed engines return the same hypothesis object until they decode again: not new evidence.
      if (hyp === lastHyp) return undefined;
      lastHyp = hyp;
      const words = absolute(hyp.words);
      const stable = policy.update(words);
      return transcript(hyp.text, stable, false, audioStartMs + (fedSamples * 1000) / provider.capabilities.sampleRate);
    };

    for await (const frame of input) {
      switch (frame.kind) {
        case 'speech-start':
          await stream?.cancel();
          stream = await provider.createStream({ language: cfg.language });
          lastHyp = undefined;
          failed = false;
          policy = new LocalAgreement(cfg.agreement);
          segmentId = frame.segmentId;
          segmentStartMs = frame.ptsMs;
          audioStartMs = Number.NaN;
          fedSamples = 0;
          revision = 0;
          yield frame;
          break;
        case 'audio':
          if (!stream) break; // audio outside a segment is not ours to recognise
          if (Number.isNaN(audioStartMs)) audioStartMs = frame.ptsMs;
          pending.push(frame.samples);
          pendingLen += frame.samples.length;
          lastArrival = frame.arrivedAtMs;
          yield frame; // downstream stages (voice) use the speech audio too
          if (pendingLen >= chunkSamples) {
            const t = await feed();
            if (t) yield t;
          }
          break;
        case 'speech-end': {
          yield frame;
          const partial = await feed();
          if (partial) yield partial;
          if (!stream && !failed) break;
          const s = stream;
          stream = undefined;
          const start = performance.now();
          const hyp = s ? await s.finish().catch((err: unknown) => engineFailed(err)) : undefined;
          ctx.metrics.record('asr.finalise', performance.now() - start);
          const words = hyp ? policy.finish(absolute(hyp.words)) : policy.stable;
          const final = transcript(hyp?.text ?? wordsText(words), words, true, frame.endMs);
          final.arrivedAtMs = frame.lastSampleArrivedAtMs;
          final.audioEndMs = frame.endMs;
          yield final;
          break;
        }
        case 'interrupt':
          await stream?.cancel();
          stream = undefined;
          yield frame;
          break;
        default:
          yield frame;
      }
    }
    await stream?.cancel();
  };
}

