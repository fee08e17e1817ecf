/**
 * End to end, live, when things go wrong: the real `dubd serve` binary while its HLS ffmpeg and its Apertium
 * pipeline are killed under it, and while the publisher drops and comes back within the grace period.
 * The session must go on (one session, HLS with discontinuities, dubs after the engine died).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import WebSocket from 'ws';
import { adminSession, publishFile, startServe, waitFor } from '../live-server.js';
import { makeSpeechSample, type Sample } from '../../pipeline/media/sample.js';
import { SileroVad } from '../../pipeline/providers/vad-silero.js';
import { decodeMono16k, speechRegions } from '../media.js';
import type { LiveEvent } from '../../realtime/events.js';

const execFileAsync = promisify(execFile);
const KEY = 'resilience-key-0123456789';



/** Descendants of `pid` whose command line matches `pattern`, as [pid, args]. */
async function descendants(pid: number, pattern: RegExp): Promise<[number, string][]> {
  const { stdout } = await execFileAsync('ps', ['-eo', 'pid=,ppid=,args=']);
  const rows = stdout.trim().split('\n').map((l) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(l)).filter((m): m is RegExpExecArray => m !== null);
  const family = new Set([pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [, p, pp] of rows) {
      if (family.has(Number(pp)) && !family.has(Number(p))) {
        family.add(Number(p));
        grew = true;
      }
    }
  }
  return rows.filter(([, p, , args]) => family.has(Number(p)) && Number(p) !== pid && pattern.test(args)).map(([, p, , args]) => [Number(p), args]);
}

describe('dubd serve (binary): a live session survives dead children and a reconnecting publisher', () => {
  let server: ChildProcess;
  let rtmpPort = 0;
  let httpPort = 0;
  let dir: string;
  let sample: Sample;
  const events: { at: number; e: LiveEvent }[] = [];
  let killedHls = 0;
  let killedApertiumAt = 0;
  let killedApertium = 0;
  let legsWhileSecond = 0;
  let sessionsWhileSecond = 0;
  const codes: number[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dubd-resilience-'));
    sample = await makeSpeechSample({ dir, video: true, backgroundDb: -30, sentences: ['good morning and welcome to the show', 'the house on the hill is red and the garden is green', 'thank you very much for watching', 'the weather is very nice today'] });
    const cfg = join(dir, 'dubd.json');
    writeFileSync(cfg, JSON.stringify({ dataDir: join(dir, 'data'), logLevel: 'warn', live: { host: '127.0.0.1', rtmpPort: 0, httpPort: 0, hlsListSize: 60, reconnectGraceMs: 6000, streams: [{ name: 'show', key: KEY, to: ['es'] }] } }));
    let stdout: () => string;
    ({ server, rtmpPort, httpPort, stdout } = await startServe(cfg));
    const base = `http://127.0.0.1:${httpPort}`;
    const auth = { authorization: `Bearer ${await adminSession(httpPort, stdout())}` };
    const serverPid = server.pid ?? 0;

    const first = publishFile(sample.path, rtmpPort, KEY);
    await waitFor('the master playlist', async () => ((await fetch(`${base}/live/show/index.m3u8`)).ok ? true : undefined), 40_000);
    const ws = new WebSocket(`ws://127.0.0.1:${httpPort}/live/show/events`, { headers: auth });
    ws.on('message', (m: Buffer) => events.push({ at: Date.now(), e: JSON.parse(m.toString()) as LiveEvent }));
    // The HLS packager dies mid-stream.
    await new Promise((r) => setTimeout(r, 2500));
    for (const [pid] of await descendants(serverPid, /ffmpeg .*-f hls/)) {
      process.kill(pid, 'SIGKILL');
      killedHls += 1;
    }
    codes.push(await first);

    // The publisher comes back within the grace period; its translation engine dies while it talks.
    await new Promise((r) => setTimeout(r, 1500));
    const second = publishFile(sample.path, rtmpPort, KEY);
    await new Promise((r) => setTimeout(r, 3000));
    const status = (await (await fetch(`${base}/api/status`, { headers: auth })).json()) as { sessions: { name: string; legs: number }[] };
    sessionsWhileSecond = status.sessions.length;
    legsWhileSecond = status.sessions[0]?.legs ?? 0;
    for (const [pid] of await descendants(serverPid, /apertium|lt-proc|cg-proc/)) {
      try {
        process.kill(pid, 'SIGKILL');
        killedApertium += 1;
      } catch {
        // already gone with its group
      }
    }
    killedApertiumAt = Date.now();
    codes.push(await second);
    await waitFor('the end of the es playlist', async () => ((await (await fetch(`${base}/live/show/audio_es/index.m3u8`)).text()).includes('#EXT-X-ENDLIST') ? true : undefined), 40_000);
    await waitFor('the session to say it ended', async () => (events.some(({ e }) => e.type === 'state' && e.state === 'ended') ? true : undefined), 10_000);
    ws.close();
  }, 150_000);

  afterAll(() => {
    if (server.exitCode === null) server.kill('SIGKILL');
  });

  it('restarts a killed HLS packager within the same session and says so on the event feed', () => {
    expect(codes).toEqual([0, 0]);
    expect(killedHls).toBeGreaterThan(0);
    expect(events.some(({ e }) => e.type === 'restart')).toBe(true);
  });

  it('keeps one session across the reconnect: reconnecting, then live again', () => {
    expect(sessionsWhileSecond).toBe(1);
    expect(legsWhileSecond).toBeGreaterThanOrEqual(3); // first connection, its restart, the reconnect
    const states = events.filter(({ e }) => e.type === 'state').map(({ e }) => (e as Extract<LiveEvent, { type: 'state' }>).state);
    const back = states.indexOf('reconnecting');
    expect(back).toBeGreaterThanOrEqual(0);
    expect(states.slice(back)).toContain('live');
    expect(states.at(-1)).toBe('ended');
  });

  it('continues one HLS playlist with discontinuities, with dubbed speech after each of them', async () => {
    const playlist = join(dir, 'data', 'live', 'show', 'audio_es', 'index.m3u8');
    const text = await (await fetch(`http://127.0.0.1:${httpPort}/live/show/audio_es/index.m3u8`)).text();
    expect(text.match(/#EXT-X-DISCONTINUITY\n/g)?.length ?? 0).toBeGreaterThanOrEqual(2);
    const wav = join(dir, 'es.wav');
    await execFileAsync('ffmpeg', ['-v', 'error', '-i', playlist, '-ac', '1', '-ar', '16000', '-y', wav]);
    const vad = await SileroVad.load();
    try {
      const audio = await decodeMono16k(wav);
      const durationMs = (audio.length / 16_000) * 1000;
      const regions = speechRegions(audio, (w) => vad.confidence(w) > 0.5);
      // Two publishes of the sample, less what the restarts cost.
      expect(durationMs).toBeGreaterThan(sample.durationMs * 1.4);
      expect(regions.some((r) => r.startMs > durationMs - sample.durationMs + 1000)).toBe(true);
    } finally {
      await vad.close();
    }
  });

  it('dubs again after its Apertium pipeline was killed', () => {
    expect(killedApertium).toBeGreaterThan(0);
    const after = events.filter(({ at, e }) => at > killedApertiumAt + 500 && e.type === 'translation' && e.text.trim());
    expect(after.length).toBeGreaterThan(0);
  });

  it('counts the reconnect and the restart in /metrics, and is still serving', async () => {
    const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
    expect(metrics).toMatch(/dubd_live_reconnects_total\{stream="show"\} 1/);
    expect(metrics).toMatch(/dubd_live_restarts_total\{stream="show",reason="leg"\} [1-9]/);
    expect((await fetch(`http://127.0.0.1:${httpPort}/healthz`)).status).toBe(200);
    expect(server.exitCode).toBeNull();
  });
});
