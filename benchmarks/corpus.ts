/**
 * Benchmark inputs built from real recordings: Debian's pocketsphinx-testdata (LibriVox readings and the
 * CMU test utterances), joined with pauses as a talk would have them.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { FfmpegProcess, probeMedia } from '../pipeline/media/ffmpeg.js';
import { DubdError } from '../pipeline/errors.js';

const DATA = '/usr/share/pocketsphinx/test/data';
const RECORDINGS = [
  'librivox/sense_and_sensibility_01_austen_64kb-0870.wav',
  'librivox/sense_and_sensibility_01_austen_64kb-0880.wav',
  'librivox/sense_and_sensibility_01_austen_64kb-0890.wav',
  'librivox/sense_and_sensibility_01_austen_64kb-0920.wav',
  'librivox/sense_and_sensibility_01_austen_64kb-0930.wav',
];
/** Raw 16 kHz s16le utterances. */
const RAW = ['goforward.raw', 'numbers.raw', 'something.raw'];

export async function realSpeech(dir: string, opts: { minDurationS: number; gapS?: number; name: string }): Promise<string> {
  const out = join(dir, opts.name);
  if (existsSync(out)) return out;
  if (!existsSync(join(DATA, RECORDINGS[0]))) {
    throw new DubdError('ENGINE_MISSING', 'pocketsphinx-testdata is not installed (apt-get install pocketsphinx-testdata)');
  }
  await mkdir(dir, { recursive: true });
  const gap = opts.gapS ?? 1.5;
  const inputs: string[] = [];
  for (const r of RECORDINGS) inputs.push('-i', join(DATA, r));
  for (const r of RAW) inputs.push('-f', 's16le', '-ar', '16000', '-ac', '1', '-i', join(DATA, r));
  const n = RECORDINGS.length + RAW.length;
  const parts = Array.from({ length: n }, (_, i) => `[${i}:a]aresample=16000,apad=pad_dur=${gap}[p${i}]`);
  const once = join(dir, `once-${opts.name}.wav`);
  await new FfmpegProcess([...inputs, '-filter_complex', `${parts.join(';')};${parts.map((_, i) => `[p${i}]`).join('')}concat=n=${n}:v=0:a=1[a]`, '-map', '[a]', '-y', once]).done;
  const onceMs = (await probeMedia(once)).durationMs;
  const loops = Math.max(0, Math.ceil((opts.minDurationS * 1000) / onceMs) - 1);
  await new FfmpegProcess(['-stream_loop', String(loops), '-i', once, '-c:a', 'pcm_s16le', '-y', out]).done;
  return out;
}

/** The real-speech replay over a test-pattern video, encoded as OBS sends it (H.264 2-s GOP, AAC 48 kHz stereo). */
export async function realSpeechVideo(dir: string, durationS: number): Promise<string> {
  const speech = await realSpeech(dir, { minDurationS: durationS, name: `replay-${durationS}s.wav` });
  const video = join(dir, `replay-${durationS}s.mp4`);
  if (existsSync(video)) return video;
  await new FfmpegProcess(['-i', speech, '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25', '-shortest', '-map', '1:v', '-map', '0:a', '-c:v', 'libx264', '-preset', 'veryfast', '-g', '50', '-c:a', 'aac', '-ar', '48000', '-ac', '2', '-y', video]).done;
  return video;
}
