/**
 * HLS text, as pure functions: the master playlist (ffmpeg's lacks subtitles, so dubd writes its own), the
 * WebVTT segment playlists and segments, and the few facts dubd reads back from ffmpeg's media playlists.
 */
import type { Cue } from '../../pipeline/outputs/subtitles.js';

export const AUDIO_GROUP = 'aud';
export const SUBTITLE_GROUP = 'subs';
/** AAC-LC, what the packager encodes. */
export const AAC_LC = 'mp4a.40.2';

export interface MasterVideo {
  uri: string;
  /** Peak bits per second of the video alone; the loudest audio rendition is added to it. */
  bandwidth: number;
  codecs: string;
  resolution?: { width: number; height: number };
}

export interface MasterAudio {
  lang: string;
  name: string;
  uri: string;
  default: boolean;
  /** Defaults to 128 kb/s and AAC-LC. */
  bandwidth?: number;
  codecs?: string;
  channels?: number;
}

export interface MasterSubtitles {
  lang: string;
  name: string;
  uri: string;
}

export interface MasterInput {
  video?: MasterVideo;
  audio: MasterAudio[];
  subtitles: MasterSubtitles[];
}

/** A language's name in that language ('es' → 'Español'), for NAME attributes; the tag itself when unknown. */
export function languageName(lang: string): string {
  try {
    const name = new Intl.DisplayNames([lang], { type: 'language' }).of(lang) ?? lang;
    return name.charAt(0).toLocaleUpperCase(lang) + name.slice(1);
  } catch {
    return lang;
  }
}

/** Attribute values are quoted-strings: no double quote, no line break (RFC 8216 4.2). */
function quoted(s: string): string {
  return `"${s.replace(/["\r\n]/g, ' ')}"`;
}

/**
 * The multivariant playlist. With video: one variant whose audio comes from the AUDIO group. Audio-only:
 * the same group, and one variant pointing at the default rendition's playlist (Apple's audio-only layout),
 * so players offer the languages as audio tracks, never as qualities to switch between.
 */
export function masterPlaylist(input: MasterInput): string {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:7', '#EXT-X-INDEPENDENT-SEGMENTS'];
  const audio = input.audio.some((a) => a.default) ? input.audio : input.audio.map((a, i) => ({ ...a, default: i === 0 }));
  for (const a of audio) {
    lines.push(
      `#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=${quoted(AUDIO_GROUP)},LANGUAGE=${quoted(a.lang)},NAME=${quoted(a.name)},` +
        `DEFAULT=${a.default ? 'YES' : 'NO'},AUTOSELECT=YES${a.channels ? `,CHANNELS="${a.channels}"` : ''},URI=${quoted(a.uri)}`,
    );
  }
  for (const s of input.subtitles) {
    lines.push(
      `#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID=${quoted(SUBTITLE_GROUP)},LANGUAGE=${quoted(s.lang)},NAME=${quoted(s.name)},` +
        `DEFAULT=NO,AUTOSELECT=YES,FORCED=NO,URI=${quoted(s.uri)}`,
    );
  }
  const audioBandwidth = Math.max(0, ...audio.map((a) => a.bandwidth ?? 128_000));
  const audioCodecs = [...new Set(audio.map((a) => a.codecs ?? AAC_LC))];
  const groups = (audio.length ? `,AUDIO=${quoted(AUDIO_GROUP)}` : '') + (input.subtitles.length ? `,SUBTITLES=${quoted(SUBTITLE_GROUP)}` : '');
  if (input.video) {
    const v = input.video;
    const res = v.resolution ? `,RESOLUTION=${v.resolution.width}x${v.resolution.height}` : '';
    const codecs = [v.codecs, ...audioCodecs].join(',');
    lines.push(`#EXT-X-STREAM-INF:BANDWIDTH=${Math.round(v.bandwidth + audioBandwidth)},CODECS=${quoted(codecs)}${res}${groups}`, v.uri);
  } else {
    const main = audio.find((a) => a.default);
    if (main) lines.push(`#EXT-X-STREAM-INF:BANDWIDTH=${Math.round(audioBandwidth)},CODECS=${quoted(audioCodecs.join(','))}${groups}`, main.uri);
  }
  return lines.join('\n') + '\n';
}

export interface VttPlaylistSegment {
  uri: string;
  durationMs: number;
  /** Wall-clock time of the segment's start (EXT-X-PROGRAM-DATE-TIME), so players align it with the media. */
  programDateTimeMs?: number;
}

export interface VttPlaylistInput {
  targetDurationS: number;
  /** Sequence number of the first listed segment. */
  mediaSequence: number;
  segments: VttPlaylistSegment[];
  ended: boolean;
}

/** A live (sliding-window) subtitle media playlist; `ended` closes it with EXT-X-ENDLIST. */
export function vttPlaylist(p: VttPlaylistInput): string {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:3', `#EXT-X-TARGETDURATION:${Math.ceil(p.targetDurationS)}`, `#EXT-X-MEDIA-SEQUENCE:${p.mediaSequence}`];
  for (const s of p.segments) {
    lines.push(`#EXTINF:${(s.durationMs / 1000).toFixed(3)},`);
    if (s.programDateTimeMs !== undefined) lines.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(s.programDateTimeMs).toISOString()}`);
    lines.push(s.uri);
  }
  if (p.ended) lines.push('#EXT-X-ENDLIST');
  return lines.join('\n') + '\n';
}

function stamp(ms: number): string {
  const t = Math.max(0, Math.round(ms));
  const h = Math.floor(t / 3_600_000);
  const m = Math.floor((t % 3_600_000) / 60_000);
  const s = Math.floor((t % 60_000) / 1000);
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}.${String(t % 1000).padStart(3, '0')}`;
}

/** MPEG-TS timestamps are 33 bits wide; players unwrap them. */
const MPEGTS_WRAP = 2 ** 33;

/**
 * One WebVTT segment starting at `startMs` on the source clock. Its local time 0 is the segment start, and
 * X-TIMESTAMP-MAP says where that is on the media timeline: `mpegtsOffset` (90 kHz ticks of source time 0
 * in the fMP4 segments) plus the segment start. Cues keep their full length even when they cross the
 * segment's edges; players drop the duplicate from the next segment.
 */
export function vttSegment(cues: Cue[], startMs: number, mpegtsOffset: number): string {
  const ticks = (((Math.round(mpegtsOffset + startMs * 90) % MPEGTS_WRAP) + MPEGTS_WRAP) % MPEGTS_WRAP).toString();
  const body = [...cues]
    .filter((c) => c.text.trim())
    .sort((a, b) => a.startMs - b.startMs)
    .map((c) => `${stamp(c.startMs - startMs)} --> ${stamp(Math.max(c.endMs, c.startMs + 1) - startMs)}\n${c.text.trim().replace(/\n{2,}/g, '\n')}\n`);
  return [`WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:${ticks},LOCAL:00:00:00.000\n`, ...body].join('\n');
}

/** Segments a cue shows in: every one it overlaps, from segment index `first` to `last` inclusive. */
export function cueSegments(cue: Cue, segmentMs: number): { first: number; last: number } {
  const first = Math.max(0, Math.floor(cue.startMs / segmentMs));
  const last = Math.max(first, Math.floor((Math.max(cue.endMs, cue.startMs + 1) - 1) / segmentMs));
  return { first, last };
}

export interface StitchedSegment {
  /** The packager generation it came from. */
  generation: string;
  uri: string;
  durationS: number;
  programDateTimeMs?: number;
  /** Its init section (EXT-X-MAP), relative to the public playlist. */
  map?: string;
  /** The first segment of a generation after another one. */
  discontinuity: boolean;
}

export interface StitchedPlaylistInput {
  targetDurationS: number;
  mediaSequence: number;
  discontinuitySequence: number;
  segments: StitchedSegment[];
  ended: boolean;
}

/** A live media playlist over several packager generations (see HlsStitcher). */
export function stitchedPlaylist(p: StitchedPlaylistInput): string {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:7', `#EXT-X-TARGETDURATION:${Math.ceil(p.targetDurationS)}`, `#EXT-X-MEDIA-SEQUENCE:${p.mediaSequence}`];
  if (p.discontinuitySequence > 0) lines.push(`#EXT-X-DISCONTINUITY-SEQUENCE:${p.discontinuitySequence}`);
  if (p.segments.some((s) => s.map)) lines.push('#EXT-X-INDEPENDENT-SEGMENTS');
  let map: string | undefined;
  for (const s of p.segments) {
    if (s.discontinuity) lines.push('#EXT-X-DISCONTINUITY');
    if (s.map && s.map !== map) lines.push(`#EXT-X-MAP:URI=${quoted(s.map)}`);
    map = s.map;
    lines.push(`#EXTINF:${s.durationS.toFixed(6)},`);
    if (s.programDateTimeMs !== undefined) lines.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(s.programDateTimeMs).toISOString()}`);
    lines.push(s.uri);
  }
  if (p.ended) lines.push('#EXT-X-ENDLIST');
  return lines.join('\n') + '\n';
}

export interface MediaPlaylistInfo {
  mediaSequence: number;
  segments: { uri: string; durationS: number; programDateTimeMs?: number }[];
  /** URI of the init section (EXT-X-MAP). */
  map?: string;
  ended: boolean;
}

/** The parts of one of ffmpeg's media playlists that dubd needs (segments, timing, init section). */
export function parseMediaPlaylist(text: string): MediaPlaylistInfo {
  const info: MediaPlaylistInfo = { mediaSequence: 0, segments: [], ended: false };
  let duration: number | undefined;
  let pdt: number | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#EXT-X-MEDIA-SEQUENCE:')) info.mediaSequence = Number(line.slice(22));
    else if (line.startsWith('#EXTINF:')) duration = Number.parseFloat(line.slice(8));
    else if (line.startsWith('#EXT-X-PROGRAM-DATE-TIME:')) pdt = Date.parse(line.slice(25));
    else if (line.startsWith('#EXT-X-MAP:')) info.map = /URI="([^"]+)"/.exec(line)?.[1];
    else if (line === '#EXT-X-ENDLIST') info.ended = true;
    else if (line && !line.startsWith('#') && duration !== undefined) {
      info.segments.push({ uri: line, durationS: duration, programDateTimeMs: Number.isNaN(pdt) ? undefined : pdt });
      duration = undefined;
      pdt = undefined;
    }
  }
  return info;
}
