/**
 * sherpa-onnx results → hypotheses with word timings (ms from the start of the audio given). Token timestamps
 * become word timings where the model gives them (transducers, sense-voice); whisper and moonshine give text
 * only, so their words are spread over the voiced part of the audio by length — an estimate, which is why
 * those providers report `wordTimestamps: false`.
 */
import type { Word } from '../../frames.js';
import type { AsrHypothesis } from '../types.js';
import type { SherpaResult } from './sherpa-types.js';

/** How long a word lasts after its last token starts, when the model gives no durations. */
const TOKEN_TAIL_MS = 200;
/** Frame used to find the voiced span of the audio. */
const FRAME_MS = 20;

const isCjk = (s: string): boolean => /^[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\u3040-\u30ff]/.test(s);

/** ALL-CAPS engines (LibriSpeech zipformers) read as shouting downstream; mixed case is kept as it is. */
function normaliseCase(text: string): string {
  return /[A-Z]/.test(text) && !/[a-z]/.test(text) ? text.toLowerCase() : text;
}

function cleanText(text: string): string {
  return normaliseCase(text.replace(/\s+/g, ' ').trim());
}

interface Piece {
  text: string;
  startMs: number;
  lastTokenMs: number;
  lastDurationMs: number | undefined;
}

/** Joins BPE pieces ('▁HE' 'LLO'), paraformer pieces ('hel@@' 'lo') and splits CJK characters into words. */
function tokensToPieces(tokens: string[], timestamps: number[], durations: number[] | undefined): Piece[] {
  const pieces: Piece[] = [];
  // BPE vocabularies mark word starts ('▁HE' 'LLO'); paraformer marks continuations ('hel@@' 'lo') instead.
  const bpe = tokens.some((t) => /^[\s▁]/.test(t));
  let joinNext = false;
  for (let i = 0; i < tokens.length; i++) {
    let tok = tokens[i];
    const ms = timestamps[i] * 1000;
    const dur = durations && durations.length === tokens.length ? durations[i] * 1000 : undefined;
    const startsWord = /^[\s▁]/.test(tok);
    tok = tok.replace(/^[\s▁]+/, '');
    const continues = tok.endsWith('@@');
    if (continues) tok = tok.slice(0, -2);
    if (!tok) {
      if (startsWord) joinNext = false;
      continue;
    }
    const last = pieces[pieces.length - 1];
    const cjk = isCjk(tok);
    const joins = bpe ? !startsWord : joinNext;
    if (last && joins && !cjk && !isCjk(last.text)) {
      last.text += tok;
      last.lastTokenMs = ms;
      last.lastDurationMs = dur;
    } else {
      pieces.push({ text: tok, startMs: ms, lastTokenMs: ms, lastDurationMs: dur });
    }
    joinNext = continues;
  }
  return pieces;
}

/** Words from token timestamps; each ends at its last token (plus its duration) but never after the next starts. */
export function timedWords(tokens: string[], timestamps: number[], durations: number[] | undefined, audioMs: number): Word[] {
  const pieces = tokensToPieces(tokens, timestamps, durations);
  return pieces.map((p, i) => {
    const next = pieces[i + 1]?.startMs ?? audioMs;
    const end = Math.min(next, audioMs, p.lastTokenMs + (p.lastDurationMs ?? TOKEN_TAIL_MS));
    const startMs = Math.max(0, Math.min(p.startMs, audioMs));
    return { text: normaliseCase(p.text), startMs, endMs: Math.max(end, startMs + 1) };
  });
}

/** First and last ms of the audio that are clearly louder than its quietest part. */
export function voicedSpan(samples: Float32Array, sampleRate: number): { startMs: number; endMs: number } {
  const frame = Math.max(1, Math.round((sampleRate * FRAME_MS) / 1000));
  const frames = Math.ceil(samples.length / frame);
  const rms = new Float32Array(frames);
  let peak = 0;
  for (let f = 0; f < frames; f++) {
    let s = 0;
    const end = Math.min(samples.length, (f + 1) * frame);
    for (let i = f * frame; i < end; i++) s += samples[i] * samples[i];
    rms[f] = Math.sqrt(s / Math.max(1, end - f * frame));
    peak = Math.max(peak, rms[f]);
  }
  const totalMs = (samples.length * 1000) / sampleRate;
  const threshold = Math.max(0.005, peak * 0.1);
  const first = rms.findIndex((r) => r >= threshold);
  if (first < 0) return { startMs: 0, endMs: totalMs };
  let last = frames - 1;
  while (last > first && rms[last] < threshold) last--;
  return { startMs: first * FRAME_MS, endMs: Math.min(totalMs, (last + 1) * FRAME_MS) };
}

/** Words of a text spread over the voiced span, each in proportion to its length. */
export function estimatedWords(text: string, samples: Float32Array, sampleRate: number): Word[] {
  const words = cleanText(text).split(' ').filter(Boolean);
  if (!words.length) return [];
  const span = voicedSpan(samples, sampleRate);
  const weights = words.map((w) => w.length + 1);
  const total = weights.reduce((a, b) => a + b, 0);
  const msPerUnit = (span.endMs - span.startMs) / total;
  let at = span.startMs;
  return words.map((w, i) => {
    const startMs = at;
    at += weights[i] * msPerUnit;
    return { text: w, startMs: Math.round(startMs), endMs: Math.round(Math.max(at, startMs + 1)) };
  });
}

/** The audio a result covers; `read` is called only when timings must be estimated from it. */
export type AudioRef = Float32Array | { length: number; read: () => Float32Array };

/** A sherpa result over the audio as a hypothesis (timings relative to its first sample). */
export function resultToHypothesis(r: SherpaResult, audio: AudioRef, sampleRate: number): AsrHypothesis {
  const text = cleanText(r.text ?? '');
  if (!text) return { text: '', words: [] };
  const audioMs = (audio.length * 1000) / sampleRate;
  const tokens = r.tokens ?? [];
  const ts = r.timestamps ?? [];
  if (tokens.length > 0 && ts.length === tokens.length) {
    const words = timedWords(tokens, ts, r.durations, audioMs);
    if (words.length) return { text: words.map((w) => w.text).join(' '), words };
  }
  const samples = audio instanceof Float32Array ? audio : audio.read();
  return { text, words: estimatedWords(text, samples, sampleRate) };
}
