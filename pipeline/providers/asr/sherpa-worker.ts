/**
 * Inference-worker module for sherpa-onnx recognisers: one recogniser per worker (offline or online),
 * shared by every stream the worker holds. Recognition blocks, so it runs here, never on the main thread.
 * The config arrives already checked (files found, and built once in a throwaway process: see
 * sherpa-preflight.ts), because a bad model aborts the process, not just this thread.
 * All times are ms from the start of the stream's (or buffer's) audio.
 */
import { createRequire } from 'node:module';
import { serveWorker, type Handlers } from '../../../gpu/worker-runtime.js';
import { DubdError } from '../../errors.js';
import type { AsrHypothesis } from '../types.js';
import { resultToHypothesis } from './sherpa-result.js';
import type { OfflineRecognizer, OnlineRecognizer, OnlineStream, RecognizerConfig, SherpaAsrModule } from './sherpa-types.js';
import { concatSamples } from '../../audio/samples.js';

const require = createRequire(import.meta.url);
const SAMPLE_RATE = 16_000;

export interface SherpaOpenArgs {
  rc: RecognizerConfig;
  /** Silence fed after an online utterance so the model emits its last words. */
  tailPaddingMs: number;
}
export interface SherpaOpenResult {
  version: string;
}

type Loaded = { kind: 'offline'; rec: OfflineRecognizer; key: string } | { kind: 'online'; rec: OnlineRecognizer; key: string };

interface Stream {
  stream: OnlineStream;
  /** Samples fed, to bound word timings. */
  samples: number;
  /** The audio is needed only when the model gives no timestamps; kept as chunks, dropped at finish. */
  chunks: Float32Array[];
}

let loaded: Loaded | undefined;
let tailPadding = new Float32Array(0);
const streams = new Map<string, Stream>();

function online(): OnlineRecognizer {
  if (loaded?.kind !== 'online') throw new DubdError('INVALID_STATE', 'sherpa worker: no streaming recogniser is open');
  return loaded.rec;
}

function stream(id: string): Stream {
  const s = streams.get(id);
  if (!s) throw new DubdError('INVALID_STATE', `sherpa stream ${id} is not open (finished, cancelled or its worker restarted)`);
  return s;
}


function onlineResult(rec: OnlineRecognizer, s: Stream): AsrHypothesis {
  return resultToHypothesis(rec.getResult(s.stream), { length: s.samples, read: () => concatSamples(s.chunks, s.samples) }, SAMPLE_RATE);
}

function decodeReady(rec: OnlineRecognizer, st: OnlineStream): void {
  while (rec.isReady(st)) rec.decode(st);
}

const handlers: Handlers = {
  open(args: SherpaOpenArgs): SherpaOpenResult {
    const sherpa = require('sherpa-onnx-node') as SherpaAsrModule;
    const key = JSON.stringify(args.rc);
    if (loaded?.key !== key) {
      streams.clear();
      loaded =
        args.rc.kind === 'offline'
          ? { kind: 'offline', rec: new sherpa.OfflineRecognizer(args.rc.config), key }
          : { kind: 'online', rec: new sherpa.OnlineRecognizer(args.rc.config), key };
    }
    tailPadding = new Float32Array(Math.round((SAMPLE_RATE * args.tailPaddingMs) / 1000));
    return { version: sherpa.version };
  },

  /** Whole-buffer recognition with either kind of recogniser. */
  transcribe(samples: Float32Array): AsrHypothesis {
    if (!loaded) throw new DubdError('INVALID_STATE', 'sherpa worker: open() was not called');
    if (loaded.kind === 'offline') {
      const st = loaded.rec.createStream();
      st.acceptWaveform({ samples, sampleRate: SAMPLE_RATE });
      loaded.rec.decode(st);
      return resultToHypothesis(loaded.rec.getResult(st), samples, SAMPLE_RATE);
    }
    const rec = loaded.rec;
    const st = rec.createStream();
    st.acceptWaveform({ samples, sampleRate: SAMPLE_RATE });
    if (tailPadding.length) st.acceptWaveform({ samples: tailPadding, sampleRate: SAMPLE_RATE });
    st.inputFinished();
    decodeReady(rec, st);
    return resultToHypothesis(rec.getResult(st), samples, SAMPLE_RATE);
  },

  startStream(id: string): AsrHypothesis {
    const rec = online();
    if (streams.has(id)) throw new DubdError('INVALID_ARGUMENT', `sherpa stream ${id} is already open`);
    streams.set(id, { stream: rec.createStream(), samples: 0, chunks: [] });
    return { text: '', words: [] };
  },

  accept(args: { id: string; samples: Float32Array }): AsrHypothesis {
    const rec = online();
    const s = stream(args.id);
    s.stream.acceptWaveform({ samples: args.samples, sampleRate: SAMPLE_RATE });
    s.samples += args.samples.length;
    s.chunks.push(args.samples);
    decodeReady(rec, s.stream);
    return onlineResult(rec, s);
  },

  finish(id: string): AsrHypothesis {
    const rec = online();
    const s = stream(id);
    streams.delete(id);
    if (tailPadding.length) s.stream.acceptWaveform({ samples: tailPadding, sampleRate: SAMPLE_RATE });
    s.stream.inputFinished();
    decodeReady(rec, s.stream);
    return onlineResult(rec, s);
  },

  /** Idempotent: an unknown id (finished, or lost in a restart) is not an error. */
  cancel(id: string): AsrHypothesis {
    streams.delete(id);
    return { text: '', words: [] };
  },
};

serveWorker(handlers, {
  dispose: () => {
    streams.clear();
    loaded = undefined;
  },
});
