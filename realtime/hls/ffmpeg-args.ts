/**
 * The one ffmpeg command line that writes every media rendition of a live session on one timeline: the
 * FLV on stdin (video copied, original audio), each dubbed PCM track on its own pipe (fd 3, 4, …).
 */
import { join } from 'node:path';
import { iso639_2 } from '../../pipeline/media/mux.js';
import { SAMPLE_RATE } from './inputs.js';

const AUDIO_BITRATE = '128k';

export interface HlsArgsOptions {
  flvInput: boolean;
  hasVideo: boolean;
  pcmCount: number;
  /** The 'audio_orig' rendition comes from the FLV's own audio. */
  origFromFlv: boolean;
  /** The FLV's audio is AAC (copied, not re-encoded). */
  aacInFlv: boolean;
  /** Where the dubbed tracks start on the FLV's clock (its first audio tag). */
  anchorMs: number;
  audio: { dir: string; lang?: string }[];
  maxLagMs: number;
  segmentSeconds: number;
  listSize: number;
  dir: string;
}

export function hlsFfmpegArgs(o: HlsArgsOptions): string[] {
  const a = ['-nostats', '-copyts'];
  // Half a second of probing (not 5): the ingest's header flags are right and its sequence headers come first.
  if (o.flvInput) a.push('-analyzeduration', '500000', '-thread_queue_size', '1024', '-f', 'flv', '-i', 'pipe:0');
  const first = o.flvInput ? 1 : 0;
  for (let i = 0; i < o.pcmCount; i += 1) {
    a.push('-thread_queue_size', '1024', '-itsoffset', (o.anchorMs / 1000).toFixed(3), '-f', 'f32le', '-ar', String(SAMPLE_RATE), '-ac', '2', '-i', `pipe:${3 + i}`);
  }
  const streamMap: string[] = [];
  if (o.hasVideo) {
    a.push('-map', '0:v:0', '-c:v', 'copy');
    streamMap.push('v:0,name:video');
  }
  o.audio.forEach((r, i) => {
    const fromFlv = r.dir === 'audio_orig' && o.origFromFlv;
    a.push('-map', fromFlv ? '0:a:0' : `${first + i}:a:0`);
    if (fromFlv && o.aacInFlv) a.push(`-c:a:${i}`, 'copy');
    else a.push(`-c:a:${i}`, 'aac', `-b:a:${i}`, AUDIO_BITRATE, `-ar:a:${i}`, String(SAMPLE_RATE), `-ac:a:${i}`, '2');
    a.push(`-metadata:s:a:${i}`, `language=${iso639_2(r.lang ?? 'und')}`);
    streamMap.push(`a:${i},name:${r.dir}`);
  });
  a.push('-max_interleave_delta', String((o.maxLagMs + 2000) * 1000), '-max_muxing_queue_size', '4096');
  a.push('-f', 'hls', '-hls_time', String(o.segmentSeconds), '-hls_list_size', String(o.listSize));
  a.push('-hls_flags', 'delete_segments+independent_segments+program_date_time+temp_file', '-hls_segment_type', 'fmp4');
  // frag_discont: each rendition's first tfdt is its real start on the shared timeline. Without it every
  // rendition starts at 0 and an edit list carries the offset, which hls.js ignores (42 ms A/V error measured).
  a.push('-hls_segment_options', 'movflags=+frag_discont');
  a.push('-hls_fmp4_init_filename', 'init.mp4', '-hls_segment_filename', join(o.dir, '%v', 'seg_%05d.m4s'));
  a.push('-var_stream_map', streamMap.join(' '), join(o.dir, '%v', 'index.m3u8'));
  return a;
}
