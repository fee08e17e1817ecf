/**
 * What the TTS providers of this folder take beyond the plain TtsRequest: who speaks, and a clip of them
 * for the providers that clone voices. Plus the small helpers every provider here shares.
 */
import { DubdError } from '../../errors.js';
import type { TtsRequest, TtsResult } from '../types.js';

/** The source speaker's speech (mono). */
export interface SpeakerReference {
  samples: Float32Array;
  sampleRate: number;
}

export interface ClonedTtsRequest extends TtsRequest {
  /** Stable id of the source speaker (from speaker identification); clones are cached per speaker. */
  speaker?: string;
  /** The speaker's speech, for providers that clone a voice from it. */
  reference?: SpeakerReference;
}

export interface SpokenResult extends TtsResult {
  /** Id of the provider that produced the audio (the fallback chain records which one spoke). */
  provider?: string;
}

/** 'pt_BR' / 'PT-br' → 'pt-br': the form voice lists are matched in. */
export function langKey(lang: string): string {
  return lang.trim().toLowerCase().replace(/_/g, '-');
}

/** The list configured for a language: exact key first, then its base language ('pt-br' → 'pt'). */
export function listFor<T>(lists: Record<string, T[]>, lang: string): T[] | undefined {
  const key = langKey(lang);
  const base = key.split('-')[0];
  const entries = Object.entries(lists).map(([k, v]) => [langKey(k), v] as const);
  return entries.find(([k]) => k === key)?.[1] ?? entries.find(([k]) => k === base)?.[1];
}

/** Control characters become spaces (a NUL would end a C string early; SSML and JSON want none), trimmed. */
export function cleanText(text: string): string {
  let out = '';
  for (const c of text) out += c.charCodeAt(0) < 0x20 || c === '\x7f' ? ' ' : c;
  return out.trim();
}

export function abortError(signal: AbortSignal): DubdError {
  return new DubdError('ABORTED', 'synthesis aborted', { cause: signal.reason });
}

export function checkRate(rate: number | undefined): number {
  const r = rate ?? 1;
  if (!(r > 0) || !Number.isFinite(r)) throw new DubdError('INVALID_ARGUMENT', `rate must be a positive number, got ${rate}`);
  return r;
}

/** Little-endian 16-bit PCM → Float32 in [-1, 1); an odd trailing byte is dropped. */
export function pcm16ToFloat(bytes: Uint8Array): Float32Array {
  const n = bytes.length >> 1;
  const view = new DataView(bytes.buffer, bytes.byteOffset, n * 2);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = view.getInt16(i * 2, true) / 32768;
  return out;
}
