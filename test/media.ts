/** Test helpers that read media back with the real ffmpeg/ffprobe. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';

const execFileAsync = promisify(execFile);

export interface ProbedStream {
  codec_type: string;
  codec_name: string;
  tags?: { language?: string; title?: string };
  disposition?: { default?: number };
}

export async function probe(path: string): Promise<{ durationMs: number; streams: ProbedStream[] }> {
  const { stdout } = await execFileAsync('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_streams', '-show_format', path]);
  const j = JSON.parse(stdout) as { streams: ProbedStream[]; format: { duration: string } };
  return { durationMs: Number(j.format.duration) * 1000, streams: j.streams };
}

/** Decodes one audio stream to 16 kHz mono Float32. */
export async function decodeMono16k(path: string, audioIndex = 0): Promise<Float32Array> {
  const { stdout } = await execFileAsync('ffmpeg', ['-v', 'error', '-i', path, '-map', `0:a:${audioIndex}`, '-ac', '1', '-ar', '16000', '-f', 'f32le', 'pipe:1'], {
    encoding: 'buffer',
    maxBuffer: 512 * 1024 * 1024,
  });
  return new Float32Array(stdout.buffer.slice(stdout.byteOffset, stdout.byteOffset + stdout.byteLength));
}

/** Speech regions found by a VAD function over 512-sample windows, merged across short gaps. */
export function speechRegions(samples: Float32Array, isSpeech: (w: Float32Array) => boolean, mergeGapMs = 400): { startMs: number; endMs: number }[] {
  const regions: { startMs: number; endMs: number }[] = [];
  for (let i = 0; i + 512 <= samples.length; i += 512) {
    if (!isSpeech(samples.subarray(i, i + 512))) continue;
    const startMs = (i * 1000) / 16000;
    const endMs = ((i + 512) * 1000) / 16000;
    const last = regions.at(-1);
    if (last && startMs - last.endMs <= mergeGapMs) last.endMs = endMs;
    else regions.push({ startMs, endMs });
  }
  return regions;
}

export function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

export const SPANISH_WORDS = ['el', 'la', 'los', 'las', 'de', 'y', 'en', 'que', 'es', 'un', 'una', 'del', 'al', 'por', 'para', 'con', 'casa', 'muchas', 'gracias', 'hoy', 'buenos'];
export const PORTUGUESE_WORDS = ['o', 'a', 'os', 'as', 'de', 'e', 'em', 'que', 'é', 'um', 'uma', 'do', 'da', 'no', 'na', 'para', 'com', 'casa', 'obrigado', 'muito', 'hoje', 'bom'];

export function shareOfWords(text: string, lexicon: string[]): number {
  const words = text.toLowerCase().split(/[^\p{L}]+/u).filter(Boolean);
  if (words.length === 0) return 0;
  return words.filter((w) => lexicon.includes(w)).length / words.length;
}
