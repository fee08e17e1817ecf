/**
 * Puts the dubbed audio tracks next to the source's video (copied, never re-encoded) and the original audio,
 * with language tags; the first dubbed track is the default.
 */
import { extname } from 'node:path';
import { DubdError } from '../errors.js';
import { FfmpegProcess } from './ffmpeg.js';

/** ISO 639-2/B codes as containers want them. */
const ISO639_2: Record<string, string> = { en: 'eng', es: 'spa', pt: 'por', fr: 'fre', de: 'ger', it: 'ita', ca: 'cat', gl: 'glg' };

export function iso639_2(lang: string): string {
  return ISO639_2[lang.split('-')[0].toLowerCase()] ?? 'und';
}

export const OUTPUT_FORMATS = ['.mp4', '.m4a', '.mov', '.mkv'] as const;

export function checkOutputFormat(output: string): void {
  const ext = extname(output).toLowerCase();
  if (!(OUTPUT_FORMATS as readonly string[]).includes(ext)) {
    throw new DubdError('INVALID_ARGUMENT', `unsupported output format '${ext || output}'; use ${OUTPUT_FORMATS.join(', ')}`);
  }
}

export interface MuxOptions {
  input: string;
  hasVideo: boolean;
  sourceLanguage: string;
  tracks: { path: string; lang: string }[];
  output: string;
  signal: AbortSignal;
}

export async function muxDubbed(opts: MuxOptions): Promise<void> {
  const args: string[] = ['-i', opts.input];
  for (const t of opts.tracks) args.push('-i', t.path);
  if (opts.hasVideo) args.push('-map', '0:v:0', '-c:v', 'copy');
  opts.tracks.forEach((_, i) => args.push('-map', `${i + 1}:a:0`));
  args.push('-map', '0:a:0');
  opts.tracks.forEach((t, i) => {
    args.push(`-c:a:${i}`, 'copy', `-metadata:s:a:${i}`, `language=${iso639_2(t.lang)}`, `-metadata:s:a:${i}`, `title=Dubbed (${t.lang})`);
    args.push(`-disposition:a:${i}`, i === 0 ? 'default' : '0');
  });
  const orig = opts.tracks.length;
  args.push(`-c:a:${orig}`, 'aac', `-b:a:${orig}`, '160k', `-metadata:s:a:${orig}`, `language=${iso639_2(opts.sourceLanguage)}`);
  args.push(`-metadata:s:a:${orig}`, 'title=Original', `-disposition:a:${orig}`, '0');
  // Stop at the source's length: a dub never makes the output longer than the input.
  args.push('-map_metadata', '0', '-movflags', '+faststart', '-y', opts.output);
  await new FfmpegProcess(args, { signal: opts.signal }).done;
}
