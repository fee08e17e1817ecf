/**
 * Reading ffmpeg's HLS output back: media playlists, and the few fMP4 facts the master playlist and the
 * subtitle timeline need (init: timescale, H.264 codec string and size; fragment: decode time).
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseMediaPlaylist, type MediaPlaylistInfo } from './playlist.js';

export async function readPlaylist(dir: string): Promise<MediaPlaylistInfo | undefined> {
  const text = await readFile(join(dir, 'index.m3u8'), 'utf8').catch(() => undefined);
  return text === undefined ? undefined : parseMediaPlaylist(text);
}

/** Media time (ms) of a rendition's first fragment: its tfdt over the init's timescale. */
export async function firstFragmentMs(dir: string, info: MediaPlaylistInfo): Promise<number | undefined> {
  const seg = info.segments[0];
  if (!info.map || !seg || info.mediaSequence !== 0) return undefined;
  const [init, first] = await Promise.all([readFile(join(dir, info.map)), readFile(join(dir, seg.uri))]).catch(() => [undefined, undefined]);
  const timescale = init && mp4Init(init).timescale;
  const tfdt = first && mp4Tfdt(first);
  return timescale && tfdt !== undefined ? (tfdt * 1000) / timescale : undefined;
}

/** Bits per second of a rendition's newest segment, with 10 % headroom (BANDWIDTH is a peak). */
export async function measureBandwidth(dir: string, info: MediaPlaylistInfo): Promise<number> {
  const seg = info.segments.at(-1);
  if (!seg || seg.durationS <= 0) return 128_000;
  const { size } = await stat(join(dir, seg.uri));
  return Math.round(((size * 8) / seg.durationS) * 1.1);
}

/** Offset of box type `type` (its 4-character code) at or after `from`, or -1. */
function box(buf: Buffer, type: string, from = 0): number {
  const at = buf.indexOf(type, from, 'latin1');
  return at >= 4 ? at : -1;
}

export interface Mp4InitInfo {
  timescale?: number;
  codecs?: string;
  resolution?: { width: number; height: number };
}

/** From an fMP4 init segment with one track: its timescale and, for H.264, the RFC 6381 codec and size. */
export function mp4Init(init: Buffer): Mp4InitInfo {
  const info: Mp4InitInfo = {};
  const mdhd = box(init, 'mdhd');
  if (mdhd > 0 && mdhd + 28 <= init.length) info.timescale = init.readUInt32BE(mdhd + (init[mdhd + 4] === 1 ? 24 : 16));
  const avc1 = box(init, 'avc1', Math.max(0, box(init, 'stsd')));
  if (avc1 > 0 && avc1 + 32 <= init.length) info.resolution = { width: init.readUInt16BE(avc1 + 28), height: init.readUInt16BE(avc1 + 30) };
  const avcC = box(init, 'avcC');
  if (avcC > 0 && avcC + 8 <= init.length) {
    info.codecs = `avc1.${[5, 6, 7].map((i) => init[avcC + i].toString(16).padStart(2, '0')).join('')}`;
  }
  return info;
}

/** baseMediaDecodeTime of a fragment's first track fragment, in its track's timescale. */
export function mp4Tfdt(fragment: Buffer): number | undefined {
  const at = box(fragment, 'tfdt');
  if (at < 0 || at + 16 > fragment.length) return undefined;
  return fragment[at + 4] === 1 ? Number(fragment.readBigUInt64BE(at + 8)) : fragment.readUInt32BE(at + 8);
}
