/**
 * espeak-ng in-process through koffi and libespeak-ng.so.1 (5–18 ms a sentence; a process per sentence
 * costs far more). The library is process-global and not re-entrant, so every provider instance in the
 * process shares one engine and one queue, kept until the process ends (see close()).
 *
 * Synthesis runs as a koffi async call on a worker thread so the event loop stays free; espeak's audio
 * callback is then queued back to the main thread by koffi (the worker waits for it).
 */
import koffi from 'koffi';
import { DubdError, InvalidStateError } from '../errors.js';
import type { EngineInfo, TtsCapabilities, TtsProvider, TtsRequest, TtsResult } from './types.js';

export interface EspeakOptions {
  /** Shared library to load. */
  library: string;
  /** espeak-ng-data directory; empty = the library's built-in path. */
  dataPath: string;
  /**
   * Voice per language, as espeak-ng names them ('es', 'pt-br', 'roa/es-419', 'Spanish (Spain)'). Other
   * languages get espeak's best voice for them.
   */
  voices: Record<string, string>;
  /** Words per minute at rate 1. */
  wordsPerMinute: number;
  /** Bounds of the rate chosen to fit targetDurationMs, relative to normal. */
  fitMinRate: number;
  fitMaxRate: number;
  /** Samples quieter than this (|x|, full scale 1) at either end are trimmed. */
  trimThreshold: number;
  /** Kept before the first and after the last loud sample, so onsets and decays are not cut. */
  trimPadMs: number;
}

export const defaultEspeakOptions: EspeakOptions = {
  library: 'libespeak-ng.so.1',
  dataPath: '',
  voices: { es: 'es', 'es-419': 'es-419', pt: 'pt-br', en: 'en-us' },
  wordsPerMinute: 175,
  fitMinRate: 0.85,
  fitMaxRate: 1.3,
  trimThreshold: 0.01,
  trimPadMs: 15,
};

// speak_lib.h constants.
const AUDIO_OUTPUT_SYNCHRONOUS = 2;
const ESPEAK_INITIALIZE_DONT_EXIT = 0x8000;
const ESPEAK_RATE = 1;
const POS_CHARACTER = 1;
const ESPEAK_CHARS_UTF8 = 1;
const EE_OK = 0;
const RATE_MIN_WPM = 80;
const RATE_MAX_WPM = 450;
/** espeak_Initialize buffer length in ms: one callback per second of audio keeps the round trips few. */
const BUFFER_MS = 1000;

type Fn = ReturnType<koffi.IKoffiLib['func']>;
interface Engine {
  synth: Fn;
  setVoice: Fn;
  setParam: Fn;
  callback: ReturnType<typeof koffi.register>;
  sampleRate: number;
  version: string;
  /** Language code (lowercase) → voice identifier with the best priority for it. */
  languages: Map<string, string>;
}

let lib: koffi.IKoffiLib | undefined;
/** koffi type names are process-wide: the callback prototype is declared once. */
let callbackType: ReturnType<typeof koffi.proto> | undefined;
let engine: Engine | undefined;
/** Every espeak call goes through this queue: the library keeps one global state. */
let queue: Promise<unknown> = Promise.resolve();
/** Where the audio callback puts samples during the current synthesis. */
let sink: { chunks: Int16Array[]; abort: AbortSignal | undefined } | undefined;

function enqueue<T>(job: () => Promise<T> | T): Promise<T> {
  const run = queue.then(job);
  queue = run.catch(() => undefined);
  return run;
}

function openEngine(o: EspeakOptions): Engine {
  try {
    lib ??= koffi.load(o.library);
  } catch (err) {
    const message = `espeak-ng library ${o.library} not found (apt-get install espeak-ng)`;
    throw new DubdError('ENGINE_MISSING', message, { cause: err });
  }
  const initialize = lib.func('int espeak_Initialize(int output, int buflength, const char *path, int options)');
  const info = lib.func('const char *espeak_Info(void *pathData)');
  const listVoices = lib.func('void *espeak_ListVoices(void *spec)');
  // DONT_EXIT: without it a missing data directory makes espeak call exit() on the whole server.
  const dataPath = o.dataPath || null;
  const sampleRate = initialize(AUDIO_OUTPUT_SYNCHRONOUS, BUFFER_MS, dataPath, ESPEAK_INITIALIZE_DONT_EXIT) as number;
  if (sampleRate <= 0) {
    throw new DubdError('ENGINE_MISSING', `espeak-ng failed to initialise (data missing? apt-get install espeak-ng)`);
  }
  callbackType ??= koffi.proto('int dubd_espeak_synth_cb(int16_t *wav, int numsamples, void *events)');
  const callback = koffi.register((wav: unknown, numSamples: number): number => {
    if (!sink) return 1;
    if (numSamples > 0 && wav) sink.chunks.push(koffi.decode(wav, 'int16_t', numSamples) as Int16Array);
    // Returning 1 stops the synthesis: an aborted request does not run to the end.
    return sink.abort?.aborted ? 1 : 0;
  }, koffi.pointer(callbackType));
  lib.func('void espeak_SetSynthCallback(dubd_espeak_synth_cb *cb)')(callback);
  return {
    synth: lib.func(
      'int espeak_Synth(const char *text, size_t size, unsigned int position, int posType, ' +
        'unsigned int endPosition, unsigned int flags, void *uid, void *userData)',
    ),
    setVoice: lib.func('int espeak_SetVoiceByName(const char *name)'),
    setParam: lib.func('int espeak_SetParameter(int param, int value, int relative)'),
    callback,
    sampleRate,
    version: String(info(null)),
    languages: readLanguages(listVoices(null)),
  };
}

/**
 * Walks espeak_ListVoices' NULL-terminated array of espeak_VOICE*. Each voice's `languages` is a run of
 * (priority byte, NUL-terminated code) ended by a zero byte; lower priority numbers are better matches.
 */
function readLanguages(list: unknown): Map<string, string> {
  const best = new Map<string, { id: string; priority: number }>();
  const ptrSize = koffi.sizeof('void *');
  for (let i = 0; ; i++) {
    const voice = koffi.decode(list, i * ptrSize, 'void *') as unknown;
    if (!voice) break;
    const langs = koffi.decode(voice, ptrSize, 'void *') as unknown;
    const id = koffi.decode(voice, 2 * ptrSize, 'const char *') as string;
    // mbrola voices need the separate mbrola program and voices.
    if (!langs || id.startsWith('mb/')) continue;
    const byte = (at: number): number => koffi.decode(langs, at, 'uint8_t') as number;
    for (let off = 0, priority = byte(0); priority !== 0; priority = byte(off)) {
      let code = '';
      for (off++; byte(off) !== 0; off++) code += String.fromCharCode(byte(off));
      off++;
      const prev = best.get(code.toLowerCase());
      if (!prev || priority < prev.priority) best.set(code.toLowerCase(), { id, priority });
    }
  }
  return new Map([...best].sort(([a], [b]) => a.localeCompare(b)).map(([code, v]) => [code, v.id]));
}

/** Control characters become spaces (a NUL would end the C string early). */
function stripControls(text: string): string {
  let out = '';
  for (const c of text) out += c.charCodeAt(0) < 0x20 || c === '\x7f' ? ' ' : c;
  return out;
}

/** BCP 47 casing for espeak's lowercase codes: 'pt-br' → 'pt-BR', 'es-419' stays. */
export function bcp47(code: string): string {
  return code
    .split('-')
    .map((part, i) => {
      if (i > 0 && part.length === 2) return part.toUpperCase();
      if (i > 0 && part.length === 4) return part.charAt(0).toUpperCase() + part.slice(1);
      return part;
    })
    .join('-');
}

function abortError(signal: AbortSignal): DubdError {
  return new DubdError('ABORTED', 'synthesis aborted', { cause: signal.reason });
}

/** Drops what is quieter than the threshold at both ends, keeping a little padding. */
export function trimSilence(samples: Float32Array, threshold: number, padSamples: number): Float32Array {
  let first = 0;
  while (first < samples.length && Math.abs(samples[first] ?? 0) < threshold) first++;
  if (first === samples.length) return new Float32Array(0);
  let last = samples.length - 1;
  while (last > first && Math.abs(samples[last] ?? 0) < threshold) last--;
  return samples.slice(Math.max(0, first - padSamples), Math.min(samples.length, last + 1 + padSamples));
}

export class EspeakTts implements TtsProvider {
  readonly info: EngineInfo;
  readonly capabilities: TtsCapabilities;
  private readonly opts: EspeakOptions;
  private readonly engine: Engine;
  private closed = false;

  private constructor(opts: EspeakOptions, e: Engine) {
    this.opts = opts;
    this.engine = e;
    this.info = { id: 'espeak-ng', version: e.version };
    const langs = new Set([...e.languages.keys(), ...Object.keys(opts.voices).map((l) => l.toLowerCase())]);
    this.capabilities = { sampleRate: e.sampleRate, languages: [...langs].sort().map(bcp47), rate: true };
  }

  /** Opens (or shares) the process-wide engine. The first load's library and dataPath win. */
  static async load(opts: Partial<EspeakOptions> = {}): Promise<EspeakTts> {
    const o = { ...defaultEspeakOptions, ...opts, voices: { ...defaultEspeakOptions.voices, ...opts.voices } };
    return enqueue(() => {
      engine ??= openEngine(o);
      return new EspeakTts(o, engine);
    });
  }

  /** Empty (or blank) text gives empty audio: nothing to say is not an error. */
  async synthesize(req: TtsRequest): Promise<TtsResult> {
    if (this.closed) throw new InvalidStateError('synthesize() after close()');
    const voice = this.voiceFor(req);
    const text = stripControls(req.text).trim();
    const rate = req.rate ?? 1;
    if (!(rate > 0)) throw new DubdError('INVALID_ARGUMENT', `rate must be a positive number, got ${req.rate}`);
    if (req.signal?.aborted) throw abortError(req.signal);
    const sampleRate = this.engine.sampleRate;
    if (!text) return { samples: new Float32Array(0), sampleRate };

    return enqueue(async () => {
      if (this.closed) throw new InvalidStateError('synthesize() after close()');
      let samples = await this.run(text, voice, rate, req.signal);
      const target = req.targetDurationMs;
      if (target && target > 0 && samples.length > 0) {
        // Duration scales about inversely with the rate; one more pass lands close to the slot.
        const durationMs = (samples.length / sampleRate) * 1000;
        const fitted = Math.min(this.opts.fitMaxRate, Math.max(this.opts.fitMinRate, (rate * durationMs) / target));
        if (Math.abs(fitted - rate) / rate > 0.05) samples = await this.run(text, voice, fitted, req.signal);
      }
      return { samples, sampleRate };
    });
  }

  /**
   * Idempotent. The engine itself stays initialised for the life of the process: in espeak-ng 1.51 an
   * espeak_Terminate after a re-initialisation deadlocks (it waits forever on its event thread), so a
   * later load() could never close again. It holds a few megabytes and no thread that does work.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Wait for this instance's queued work, which now rejects, to pass.
    await enqueue(() => undefined);
  }

  private voiceFor(req: TtsRequest): string {
    if (req.voice) return req.voice;
    const lang = req.lang.trim().toLowerCase().replace('_', '-');
    const base = lang.split('-')[0] ?? lang;
    const langs = this.engine.languages;
    const voice = this.configured(lang) ?? langs.get(lang) ?? this.configured(base) ?? langs.get(base);
    if (!voice) {
      throw new DubdError(
        'INVALID_ARGUMENT',
        `espeak-ng has no voice for language '${req.lang}'; available: ${this.capabilities.languages.join(', ')}`,
      );
    }
    return voice;
  }

  /** The configured voice for a language, matching keys case-insensitively ('pt-BR' = 'pt-br'). */
  private configured(lang: string): string | undefined {
    const entry = Object.entries(this.opts.voices).find(([key]) => key.toLowerCase().replace('_', '-') === lang);
    return entry?.[1];
  }

  /** One synthesis, called inside the queue. */
  private async run(text: string, voice: string, rate: number, signal?: AbortSignal): Promise<Float32Array> {
    const e = this.engine;
    if (signal?.aborted) throw abortError(signal);
    if (e.setVoice(voice) !== EE_OK) {
      const message = `espeak-ng voice '${voice}' not found (voices are named like es, pt-br, roa/es-419)`;
      throw new DubdError('INVALID_ARGUMENT', message);
    }
    // Set after the voice: selecting a voice may reset the speed.
    const wpm = Math.round(Math.min(RATE_MAX_WPM, Math.max(RATE_MIN_WPM, this.opts.wordsPerMinute * rate)));
    e.setParam(ESPEAK_RATE, wpm, 0);
    const chunks: Int16Array[] = [];
    sink = { chunks, abort: signal };
    let status: number;
    try {
      status = await new Promise<number>((resolve, reject) => {
        const size = Buffer.byteLength(text) + 1;
        e.synth.async(text, size, 0, POS_CHARACTER, 0, ESPEAK_CHARS_UTF8, null, null, (err: unknown, res: number) => {
          if (err) reject(err instanceof Error ? err : new Error('koffi async call failed'));
          else resolve(res);
        });
      });
    } catch (err) {
      throw new DubdError('ENGINE_FAILED', 'espeak-ng synthesis failed', { retryable: true, cause: err });
    } finally {
      sink = undefined;
    }
    if (signal?.aborted) throw abortError(signal);
    if (status !== EE_OK) {
      throw new DubdError('ENGINE_FAILED', `espeak-ng synthesis failed (error ${status})`, { retryable: true });
    }
    return this.toFloat(chunks);
  }

  private toFloat(chunks: Int16Array[]): Float32Array {
    const total = chunks.reduce((n, c) => n + c.length, 0);
    const out = new Float32Array(total);
    let at = 0;
    for (const c of chunks) {
      for (let i = 0; i < c.length; i++) out[at + i] = (c[i] ?? 0) / 32768;
      at += c.length;
    }
    const pad = Math.round((this.opts.trimPadMs / 1000) * this.engine.sampleRate);
    return trimSilence(out, this.opts.trimThreshold, pad);
  }
}
