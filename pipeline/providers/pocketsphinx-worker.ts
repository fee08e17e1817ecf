/**
 * Inference-worker module for pocketsphinx. A decoder holds one utterance at a time, so each open
 * stream owns a decoder from a pool; finished decoders go back to the pool because ps_init costs
 * about half a second (and ≈100 MB each, hence the small caps).
 *
 * Streams and whole-buffer transcribe() use separate pools: the first block-wise (streamed)
 * utterance switches a decoder from per-utterance (batch) CMN to live CMN for good, and batch CMN
 * is clearly better on whole buffers (librivox WER 0.21 vs 0.27). Live CMN carries the adapted
 * channel mean from one stream to the next; measured, that helps (resetting it to the model's
 * -cmninit raised WER to 0.39) and digital silence does not disturb it.
 * All times are ms from the start of the stream's (or buffer's) audio.
 */
import { serveWorker, type Handlers } from '../../gpu/worker-runtime.js';
import { DubdError } from '../errors.js';
import type { Word } from '../frames.js';
import {
  checkModel,
  floatToInt16,
  pocketsphinxVersion,
  PsDecoder,
  segmentsToWords,
  type PocketSphinxModel,
} from './pocketsphinx-ffi.js';

export interface PsHypothesis {
  text: string;
  words: Word[];
}
export interface PsOpenResult {
  version: string;
}

const SAMPLE_RATE = 16000;
type Kind = 'stream' | 'batch';
/** Idle decoders kept for reuse per kind; each holds its own copy of the models. */
const MAX_IDLE: Record<Kind, number> = { stream: 2, batch: 1 };

interface Stream {
  decoder: PsDecoder;
  samples: number;
}

let model: PocketSphinxModel | undefined;
const idle: Record<Kind, PsDecoder[]> = { stream: [], batch: [] };
const streams = new Map<string, Stream>();

function sameModel(a: PocketSphinxModel, b: PocketSphinxModel): boolean {
  return a.hmm === b.hmm && a.lm === b.lm && a.dict === b.dict;
}

function acquire(kind: Kind): PsDecoder {
  if (!model) throw new DubdError('INVALID_STATE', 'pocketsphinx worker: open() was not called');
  return idle[kind].pop() ?? PsDecoder.create(model);
}

function release(kind: Kind, decoder: PsDecoder): void {
  if (idle[kind].length < MAX_IDLE[kind]) idle[kind].push(decoder);
  else decoder.free();
}

function stream(id: string): Stream {
  const s = streams.get(id);
  if (!s) {
    throw new DubdError('INVALID_STATE', `pocketsphinx stream ${id} is not open (finished, cancelled or its worker restarted)`);
  }
  return s;
}

function toInt16(samples: Int16Array | Float32Array): Int16Array {
  return samples instanceof Int16Array ? samples : floatToInt16(samples);
}

function result(decoder: PsDecoder, samples: number): PsHypothesis {
  const audioMs = (samples * 1000) / SAMPLE_RATE;
  return { text: decoder.hypothesis(), words: segmentsToWords(decoder.segments(), audioMs) };
}

/** Runs `fn` on a stream's decoder; a decoder that failed is freed rather than reused. */
function withStream<T>(id: string, fn: (s: Stream) => T): T {
  const s = stream(id);
  try {
    return fn(s);
  } catch (err) {
    streams.delete(id);
    s.decoder.free();
    throw err;
  }
}

/** Frees every decoder: native memory outlives the thread otherwise. */
function dispose(): void {
  for (const s of streams.values()) s.decoder.free();
  streams.clear();
  for (const d of [...idle.stream.splice(0), ...idle.batch.splice(0)]) d.free();
}

const handlers: Handlers = {
  /** Loads (and checks) the model; keeps one warm decoder so the first stream starts at once. */
  open(config: PocketSphinxModel): PsOpenResult {
    checkModel(config);
    if (!model || !sameModel(model, config)) {
      for (const d of [...idle.stream.splice(0), ...idle.batch.splice(0)]) d.free();
      model = { hmm: config.hmm, lm: config.lm, dict: config.dict };
    }
    if (idle.stream.length === 0 && streams.size === 0) idle.stream.push(PsDecoder.create(model));
    return { version: pocketsphinxVersion() };
  },

  startStream(id: string): PsHypothesis {
    if (streams.has(id)) throw new DubdError('INVALID_ARGUMENT', `pocketsphinx stream ${id} is already open`);
    const decoder = acquire('stream');
    try {
      decoder.start();
    } catch (err) {
      decoder.free();
      throw err;
    }
    streams.set(id, { decoder, samples: 0 });
    return { text: '', words: [] };
  },

  accept(args: { id: string; samples: Int16Array | Float32Array }): PsHypothesis {
    return withStream(args.id, (s) => {
      const pcm = toInt16(args.samples);
      s.decoder.process(pcm);
      s.samples += pcm.length;
      return result(s.decoder, s.samples);
    });
  },

  finish(id: string): PsHypothesis {
    return withStream(id, (s) => {
      s.decoder.end();
      const hyp = result(s.decoder, s.samples);
      streams.delete(id);
      release('stream', s.decoder);
      return hyp;
    });
  },

  /** Idempotent: an unknown id (already finished, or lost in a restart) is not an error. */
  cancel(id: string): PsHypothesis {
    const s = streams.get(id);
    if (s) {
      streams.delete(id);
      try {
        s.decoder.end();
        release('stream', s.decoder);
      } catch {
        s.decoder.free();
      }
    }
    return { text: '', words: [] };
  },

  transcribe(samples: Int16Array | Float32Array): PsHypothesis {
    const pcm = toInt16(samples);
    const decoder = acquire('batch');
    try {
      decoder.start();
      decoder.process(pcm, true);
      decoder.end();
      const hyp = result(decoder, pcm.length);
      release('batch', decoder);
      return hyp;
    } catch (err) {
      decoder.free();
      throw err;
    }
  },
};

serveWorker(handlers, { dispose });
