/**
 * Voice: hands the voice provider the source speaker's speech as the reference for each dub unit. The
 * reference is the segment's speech heard so far (early clauses are spoken before their segment ends),
 * or the whole segment once speech-end has passed. Only the last few segments are kept (bounded memory).
 */
import type { Frame } from '../frames.js';
import type { Stage } from '../stage.js';
import type { VoiceProvider } from '../providers/types.js';

const KEPT_SEGMENTS = 4;
/** Enough speech for a stable median F0; more adds cost, not accuracy. */
const MAX_REFERENCE_MS = 8000;

interface Reference {
  audio: Float32Array;
  length: number;
  sampleRate: number;
}

export function voiceStage(provider: VoiceProvider): Stage<Frame, Frame> {
  return async function* voice(input, ctx) {
    const references = new Map<string, Reference>();
    let current: Reference | undefined;
    for await (const frame of input) {
      switch (frame.kind) {
        case 'speech-start':
          current = undefined;
          break;
        case 'audio':
          if (!current) {
            current = { audio: new Float32Array((MAX_REFERENCE_MS * frame.sampleRate) / 1000), length: 0, sampleRate: frame.sampleRate };
          }
          if (current.length < current.audio.length) {
            const n = Math.min(frame.samples.length, current.audio.length - current.length);
            current.audio.set(frame.samples.subarray(0, n), current.length);
            current.length += n;
          }
          break;
        case 'speech-end': {
          const audio = frame.audio.subarray(0, Math.min(frame.audio.length, (MAX_REFERENCE_MS * frame.sampleRate) / 1000));
          references.set(frame.segmentId, { audio, length: audio.length, sampleRate: frame.sampleRate });
          if (references.size > KEPT_SEGMENTS) references.delete(references.keys().next().value as string);
          current = undefined;
          break;
        }
        case 'synth-audio': {
          const ref = references.get(frame.segmentId) ?? current;
          if (!ref || ref.length === 0) {
            frame.notes.push('voice unchanged (no reference speech)');
            break;
          }
          const result = await ctx.metrics.time('voice', () =>
            provider.convert({
              samples: frame.samples,
              sampleRate: frame.sampleRate,
              reference: ref.audio.subarray(0, ref.length),
              referenceSampleRate: ref.sampleRate,
            }),
          );
          frame.samples = result.samples;
          frame.sampleRate = result.sampleRate;
          frame.notes.push(result.note);
          break;
        }
      }
      yield frame;
    }
  };
}
