import { describe, expect, it } from 'vitest';
import { cueSegments, languageName, masterPlaylist, parseMediaPlaylist, vttPlaylist, vttSegment } from './playlist.js';

const audio = [
  { lang: 'es', name: 'Español', uri: 'audio_es/index.m3u8', default: true },
  { lang: 'pt', name: 'Português', uri: 'audio_pt/index.m3u8', default: false, bandwidth: 140_000 },
  { lang: 'en', name: 'English (original)', uri: 'audio_orig/index.m3u8', default: false, codecs: 'mp4a.40.5' },
];
const subtitles = [{ lang: 'es', name: 'Español', uri: 'subs_es/index.m3u8' }];

describe('masterPlaylist', () => {
  it('lists the video variant with its audio and subtitle groups', () => {
    const text = masterPlaylist({ video: { uri: 'video/index.m3u8', bandwidth: 1_000_000, codecs: 'avc1.64001f', resolution: { width: 1280, height: 720 } }, audio, subtitles });
    const lines = text.trimEnd().split('\n');
    expect(lines.slice(0, 3)).toEqual(['#EXTM3U', '#EXT-X-VERSION:7', '#EXT-X-INDEPENDENT-SEGMENTS']);
    expect(lines).toContain('#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",LANGUAGE="es",NAME="Español",DEFAULT=YES,AUTOSELECT=YES,URI="audio_es/index.m3u8"');
    expect(lines).toContain('#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",LANGUAGE="pt",NAME="Português",DEFAULT=NO,AUTOSELECT=YES,URI="audio_pt/index.m3u8"');
    expect(lines).toContain('#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",LANGUAGE="es",NAME="Español",DEFAULT=NO,AUTOSELECT=YES,FORCED=NO,URI="subs_es/index.m3u8"');
    // Bandwidth = video + the loudest audio; CODECS names every audio format of the group.
    expect(lines.slice(-2)).toEqual([
      '#EXT-X-STREAM-INF:BANDWIDTH=1140000,CODECS="avc1.64001f,mp4a.40.2,mp4a.40.5",RESOLUTION=1280x720,AUDIO="aud",SUBTITLES="subs"',
      'video/index.m3u8',
    ]);
  });

  it('points an audio-only variant at the default rendition', () => {
    const text = masterPlaylist({ audio: audio.slice(0, 2), subtitles: [] });
    expect(text).not.toContain('SUBTITLES=');
    expect(text.trimEnd().split('\n').slice(-2)).toEqual(['#EXT-X-STREAM-INF:BANDWIDTH=140000,CODECS="mp4a.40.2",AUDIO="aud"', 'audio_es/index.m3u8']);
  });

  it('makes the first audio the default when none is, and keeps quotes out of names', () => {
    const text = masterPlaylist({ audio: [{ lang: 'es', name: 'Dub "beta"\nx', uri: 'a.m3u8', default: false }], subtitles: [] });
    expect(text).toContain('NAME="Dub  beta  x",DEFAULT=YES');
  });
});

describe('languageName', () => {
  it('names a language in itself', () => {
    expect(['es', 'pt', 'en', 'pt-BR'].map(languageName)).toEqual(['Español', 'Português', 'English', 'Português (Brasil)']);
    expect(languageName('xx-')).toBe('xx-');
  });
});

describe('vttPlaylist', () => {
  it('writes a sliding window with program dates, and ENDLIST once ended', () => {
    const segments = [
      { uri: 'seg_00003.vtt', durationMs: 1000, programDateTimeMs: Date.UTC(2025, 0, 1, 0, 0, 3) },
      { uri: 'seg_00004.vtt', durationMs: 1000 },
    ];
    expect(vttPlaylist({ targetDurationS: 1, mediaSequence: 3, segments, ended: false })).toBe(
      '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:3\n' +
        '#EXTINF:1.000,\n#EXT-X-PROGRAM-DATE-TIME:2025-01-01T00:00:03.000Z\nseg_00003.vtt\n#EXTINF:1.000,\nseg_00004.vtt\n',
    );
    expect(vttPlaylist({ targetDurationS: 1.5, mediaSequence: 0, segments: [], ended: true })).toContain('#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-ENDLIST\n');
  });
});

describe('vttSegment', () => {
  it('times cues from the segment start and maps that start onto the media timeline', () => {
    const text = vttSegment(
      [
        { startMs: 2500, endMs: 3400, text: 'second' },
        { startMs: 1800, endMs: 2300, text: 'first, from the previous segment' },
        { startMs: 2600, endMs: 2700, text: '  ' },
      ],
      2000,
      1920,
    );
    expect(text).toBe(
      'WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:181920,LOCAL:00:00:00.000\n\n' +
        '00:00:00.000 --> 00:00:00.300\nfirst, from the previous segment\n\n00:00:00.500 --> 00:00:01.400\nsecond\n',
    );
  });

  it('wraps MPEG-TS ticks at 33 bits and writes an empty segment as just the header', () => {
    expect(vttSegment([], 1000, 2 ** 33 - 90_000)).toBe('WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00:00.000\n');
  });
});

describe('cueSegments', () => {
  it('covers every segment a cue overlaps, ends exclusive', () => {
    expect(cueSegments({ startMs: 1200, endMs: 2600, text: '' }, 1000)).toEqual({ first: 1, last: 2 });
    expect(cueSegments({ startMs: 1000, endMs: 2000, text: '' }, 1000)).toEqual({ first: 1, last: 1 });
    expect(cueSegments({ startMs: 500, endMs: 500, text: '' }, 1000)).toEqual({ first: 0, last: 0 });
  });
});

describe('parseMediaPlaylist', () => {
  it("reads ffmpeg's live fMP4 playlists", () => {
    const text = [
      '#EXTM3U',
      '#EXT-X-VERSION:7',
      '#EXT-X-TARGETDURATION:1',
      '#EXT-X-MEDIA-SEQUENCE:3',
      '#EXT-X-MAP:URI="init_1.mp4"',
      '#EXTINF:1.002667,',
      '#EXT-X-PROGRAM-DATE-TIME:2026-11-24T06:47:28.296+0000',
      'seg_00003.m4s',
      '#EXTINF:0.981333,',
      'seg_00004.m4s',
      '#EXT-X-ENDLIST',
    ].join('\n');
    expect(parseMediaPlaylist(text)).toEqual({
      mediaSequence: 3,
      map: 'init_1.mp4',
      ended: true,
      segments: [
        { uri: 'seg_00003.m4s', durationS: 1.002667, programDateTimeMs: Date.UTC(2026, 10, 24, 6, 47, 28, 296) },
        { uri: 'seg_00004.m4s', durationS: 0.981333, programDateTimeMs: undefined },
      ],
    });
    expect(parseMediaPlaylist('')).toEqual({ mediaSequence: 0, segments: [], ended: false });
  });
});
