/**
 * Makes a sample recording: English sentences (spoken by espeak-ng, or real recordings) with pauses between
 * them, over a quiet background tone, optionally with a test-pattern video. The demo and the tests use it.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { mkdir, writeFile } from 'node:fs/promises';
import { FfmpegProcess } from './ffmpeg.js';

const execFileAsync = promisify(execFile);

export const DEMO_SENTENCES = [
  'good morning and welcome to the show',
  'today we are going to talk about the weather in the city',
  'the house on the hill is red and the garden is green',
  'thank you very much for watching',
];

/** Real read speech with reference transcripts, from Debian's pocketsphinx-testdata (LibriVox, public domain). */
export const LIBRIVOX_DIR = '/usr/share/pocketsphinx/test/data/librivox';
export const LIBRIVOX: { file: string; text: string }[] = [
  { file: 'sense_and_sensibility_01_austen_64kb-0880.wav', text: 'he was not an ill disposed young man' },
  { file: 'sense_and_sensibility_01_austen_64kb-0890.wav', text: 'unless to be rather cold hearted and rather selfish is to be ill disposed' },
  { file: 'sense_and_sensibility_01_austen_64kb-0930.wav', text: 'he might even have been made amiable himself' },
  { file: 'sense_and_sensibility_01_austen_64kb-0920.wav', text: 'had he married a more amiable woman he might have been made still more respectable than he was' },
];

export interface SampleOptions {
  dir: string;
  name?: string;
  /** Sentences espeak-ng speaks (the default when no recordings are given). */
  sentences?: string[];
  /** Recordings to use instead of synthetic speech. */
  recordings?: { file: string; text: string }[];
  gapMs?: number;
  /** Leading silence before the first sentence. */
  leadMs?: number;
  video?: boolean;
  /** Background tone level in dBFS; undefined = none. */
  backgroundDb?: number;
  voice?: string;
}

export interface Sample {
  path: string;
  /** Where each sentence was placed, in ms. */
  sentences: { text: string; startMs: number; endMs: number }[];
  durationMs: number;
}

export async function makeSpeechSample(opts: SampleOptions): Promise<Sample> {
  const recordings = opts.recordings;
  const sentences = recordings ? recordings.map((r) => r.text) : (opts.sentences ?? DEMO_SENTENCES);
  const gapMs = opts.gapMs ?? 1200;
  const leadMs = opts.leadMs ?? 800;
  await mkdir(opts.dir, { recursive: true });
  const parts: string[] = [];
  const placed: Sample['sentences'] = [];
  let t = leadMs;
  for (const [i, text] of sentences.entries()) {
    const wav = recordings ? recordings[i].file : join(opts.dir, `part${i}.wav`);
    if (!recordings) await execFileAsync('espeak-ng', ['-v', opts.voice ?? 'en-us', '-s', '165', '-w', wav, text]);
    const { stdout } = await execFileAsync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', wav]);
    const ms = Math.round(Number(stdout.trim()) * 1000);
    placed.push({ text, startMs: t, endMs: t + ms });
    parts.push(wav);
    t += ms + gapMs;
  }
  const durationMs = t - gapMs + leadMs;
  // adelay places each sentence at its start; amix sums them (normalize=0 keeps levels).
  const inputs = parts.flatMap((p) => ['-i', p]);
  const delays = parts.map((_, i) => `[${i}:a]aresample=48000,adelay=${placed[i].startMs}:all=1[d${i}]`);
  const mixIn = parts.map((_, i) => `[d${i}]`).join('');
  let filter = `${delays.join(';')};${mixIn}amix=inputs=${parts.length}:normalize=0:duration=longest,apad=whole_dur=${durationMs / 1000}[speech]`;
  const bg = opts.backgroundDb !== undefined;
  if (bg) filter += `;sine=frequency=110:sample_rate=48000:duration=${durationMs / 1000},volume=${opts.backgroundDb}dB[bg];[speech][bg]amix=inputs=2:normalize=0:duration=first[aout]`;
  const audioLabel = bg ? '[aout]' : '[speech]';
  const name = opts.name ?? (opts.video ? 'sample.mp4' : 'sample.wav');
  const path = join(opts.dir, name);
  const args = [...inputs];
  if (opts.video) args.push('-f', 'lavfi', '-i', `testsrc2=size=320x240:rate=25:duration=${durationMs / 1000}`);
  args.push('-filter_complex', filter, '-map', audioLabel);
  if (opts.video) args.push('-map', `${parts.length}:v`, '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-pix_fmt', 'yuv420p');
  args.push(...(name.endsWith('.wav') ? ['-c:a', 'pcm_s16le'] : ['-c:a', 'aac', '-b:a', '128k']), '-t', String(durationMs / 1000), '-y', path);
  await new FfmpegProcess(args).done;
  await writeFile(join(opts.dir, `${name}.sentences.json`), JSON.stringify(placed, null, 2));
  return { path, sentences: placed, durationMs };
}
