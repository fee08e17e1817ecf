/**
 * Glass-to-glass latency of the live server, measured from outside over real sockets: ffmpeg publishes real
 * speech over RTMP as OBS does (H.264 2-s GOP, AAC 48 kHz stereo); a reader polls the dubbed HLS rendition
 * and the event feed. Per dub unit: wall time from the end of its source utterance leaving the publisher
 * to the HLS segment holding the dub's first sample being listed, and to that sample reaching a WebRTC
 * viewer's feed (the session's per-viewer drop-oldest feed that the WHEP sender Opus-encodes and sends: the
 * loopback hop and the 20-ms Opus encode after it are not included).
 */
import { spawn } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import WebSocket from 'ws';
import { defaultConfig, type DubdConfig } from '../config/schema.js';
import { silentLogger } from '../config/logger.js';
import { DubdServer } from '../realtime/server.js';
import type { LiveEvent } from '../realtime/events.js';
import { summarize, type LagSummary } from '../pipeline/outputs/report.js';
import { realSpeechVideo } from './corpus.js';
import { benchmarkAuth } from './server-token.js';

const KEY = 'benchmark-key-0123456789';

export interface GlassResult {
  units: number;
  hlsListed: LagSummary;
  whepDelivered: LagSummary;
  dubLag: LagSummary;
  missed: number;
  shifted: number;
  dropped: number;
  avOffsetMs: number | undefined;
}

interface Segment { seq: number; startMs: number; endMs: number; listedAt: number }

export async function glassBenchmark(opts: { dir: string; durationS?: number; cfg?: DubdConfig; log?: (s: string) => void }): Promise<GlassResult> {
  const log = opts.log ?? (() => undefined);
  await mkdir(opts.dir, { recursive: true });
  const video = await realSpeechVideo(opts.dir, opts.durationS ?? 60);
  const dataDir = join(opts.dir, 'glass-data');
  await rm(dataDir, { recursive: true, force: true });
  const base = opts.cfg ?? defaultConfig;
  const cfg: DubdConfig = { ...base, dataDir, live: { ...base.live, host: '127.0.0.1', rtmpPort: 0, httpPort: 0, hlsListSize: 600, streams: [{ name: 'bench', key: KEY, to: ['es'] }] } };
  const server = await DubdServer.start(cfg, silentLogger);
  const headers = await benchmarkAuth(server).catch(async (err: unknown) => {
    await server.close();
    throw err;
  });
  const events: { at: number; e: LiveEvent }[] = [];
  const segments = new Map<number, Segment>();
  let publishAt = 0;
  try {
    const http = `http://127.0.0.1:${server.httpPort}/live/bench`;
    log(`glass: publishing ${video} over RTMP`);
    const publisher = spawn('ffmpeg', ['-v', 'error', '-re', '-i', video, '-c', 'copy', '-f', 'flv', `rtmp://127.0.0.1:${server.rtmpPort}/live/${KEY}`], { stdio: 'ignore' });
    publishAt = performance.now();
    const published = new Promise<void>((r) => publisher.on('close', () => r()));
    let ws: WebSocket | undefined;
    let ended = false;
    void published.then(() => (ended = true));
    // A viewer's feed of the Spanish mix, as WHEP gets it: when did each 20-ms frame come out?
    const fed: { ptsMs: number; at: number }[] = [];
    void (async () => {
      while (!ended && !server.sessions.get('bench')) await new Promise((r) => setTimeout(r, 20));
      const sub = server.sessions.get('bench')?.subscribe('es');
      if (!sub) return;
      for await (const f of sub) fed.push({ ptsMs: f.ptsMs, at: performance.now() });
    })();
    // Poll the playlist every 50 ms: note when each segment is first listed and what media time it covers.
    const giveUpAt = performance.now() + ((opts.durationS ?? 60) * 2 + 60) * 1000;
    let status: { sessions?: { avOffsetMs?: number }[] } = {};
    let statusAt = 0;
    for (;;) {
      const text = await fetch(`${http}/audio_es/index.m3u8`)
        .then((r) => (r.ok ? r.text() : ''))
        .catch(() => '');
      if (text) {
        parsePlaylist(text, segments, performance.now());
        if (!ws) {
          ws = new WebSocket(`ws://127.0.0.1:${server.httpPort}/live/bench/events`, { headers });
          ws.on('message', (m: Buffer) => events.push({ at: performance.now(), e: JSON.parse(m.toString()) as LiveEvent }));
          ws.on('error', () => undefined);
        }
      }
      if (performance.now() - statusAt > 1000) {
        statusAt = performance.now();
        // Kept while live: an ended session leaves /api/status.
        const st = (await (await fetch(`http://127.0.0.1:${server.httpPort}/api/status`, { headers })).json().catch(() => ({}))) as typeof status;
        if (st.sessions?.[0]) status = st;
      }
      if (ended && text.includes('#EXT-X-ENDLIST')) break;
      if (performance.now() > giveUpAt) throw new Error('glass: the dubbed HLS playlist never ended');
      await new Promise((r) => setTimeout(r, 50));
    }
    ws?.close();
    await writeFile(join(opts.dir, 'glass-events.json'), JSON.stringify({ publishAt, segments: [...segments.values()], events }, null, 1));
    // Counted from the event feed: the session's own record of what it skipped and started late.
    const count = (type: LiveEvent['type']): number => events.filter(({ e }) => e.type === type).length;
    const lastStats = events.map(({ e }) => e).filter((e): e is Extract<LiveEvent, { type: 'stats' }> => e.type === 'stats').at(-1);
    const ends = new Map<string, number>();
    for (const { e } of events) if (e.type === 'translation') ends.set(e.unitId, e.endMs);
    const listed: number[] = [];
    const delivered: number[] = [];
    const lags: number[] = [];
    for (const { e } of events) {
      if (e.type !== 'dub') continue;
      if (e.lagMs !== undefined) lags.push(e.lagMs);
      const seg = [...segments.values()].find((s) => e.placedStartMs >= s.startMs && e.placedStartMs < s.endMs);
      const endMs = ends.get(e.unitId);
      if (seg && endMs !== undefined) listed.push(Math.round(seg.listedAt - (publishAt + endMs)));
      const frame = fed.find((f) => e.placedStartMs >= f.ptsMs && e.placedStartMs < f.ptsMs + 20);
      if (frame && endMs !== undefined) delivered.push(Math.round(frame.at - (publishAt + endMs)));
    }
    return {
      units: listed.length,
      hlsListed: summarize(listed),
      whepDelivered: summarize(delivered),
      dubLag: summarize(lags),
      missed: count('missed'),
      shifted: count('shifted'),
      dropped: lastStats?.counters['ingest.dropped'] ?? 0,
      avOffsetMs: status.sessions?.[0]?.avOffsetMs,
    };
  } finally {
    await server.close();
  }
}

/** Media segments with cumulative start times (with -copyts the rendition starts at source time 0). */
function parsePlaylist(text: string, into: Map<number, Segment>, now: number): void {
  const lines = text.split('\n');
  let seq = Number(/#EXT-X-MEDIA-SEQUENCE:(\d+)/.exec(text)?.[1] ?? 0);
  let duration = 0;
  for (const line of lines) {
    if (line.startsWith('#EXTINF:')) duration = Number(line.slice(8).split(',')[0]) * 1000;
    else if (line && !line.startsWith('#')) {
      if (!into.has(seq)) {
        const prev = into.get(seq - 1);
        const startMs = prev ? prev.endMs : seq === 0 ? 0 : NaN;
        into.set(seq, { seq, startMs, endMs: startMs + duration, listedAt: now });
      }
      seq += 1;
    }
  }
}
