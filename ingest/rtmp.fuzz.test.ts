/**
 * Robustness: 10,000 malformed connections against a real RtmpIngest on 127.0.0.1 (random bytes, garbage and
 * truncated handshakes, chunk-header storms, forged chunk sizes, and truncated / bit-flipped / spliced
 * replays of a real ffmpeg publish captured through a proxy), then a valid publish must still work.
 * Seeded: set DUBD_FUZZ_SEED to replay a run.
 */
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { RtmpIngest } from './rtmp.js';
import { captureLog, ffprobeStreams, nextEvent, publish, tcpHandles } from './rtmp-testing.js';

const CONNECTIONS = 10_000;
const CONCURRENCY = 32;
const HANDSHAKE_BYTES = 1 + 1536 + 1536;

/** mulberry32: small, seedable, good enough to pick bytes. */
function rng(seed: number): { next: () => number; int: (lo: number, hi: number) => number; bytes: (n: number) => Buffer } {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number): number => lo + Math.floor(next() * (hi - lo + 1));
  const bytes = (n: number): Buffer => {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = int(0, 255);
    return b;
  };
  return { next, int, bytes };
}

/**
 * Records what a real ffmpeg sends while publishing `key` for a second, through a proxy in front of `port`.
 * `publishEnd` is where the publish command ends (ffmpeg then waits for NetStream.Publish.Start).
 */
async function captureSession(port: number, key: string): Promise<{ bytes: Buffer; publishEnd: number }> {
  const recorded: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const proxy = net.createServer((client) => {
    const upstream = net.connect(port, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
    client.on('data', (d: Buffer) => recorded.push(Buffer.from(d)));
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const { port: proxyPort } = proxy.address() as net.AddressInfo;
  await publish(`rtmp://127.0.0.1:${proxyPort}/live/${key}`, { seconds: 1 }).exited;
  await new Promise<void>((resolve) => {
    proxy.close(() => resolve());
    for (const s of sockets) s.destroy();
  });
  const bytes = Buffer.concat(recorded);
  const lastKey = bytes.lastIndexOf(key);
  let publishEnd = 0;
  for (const chunk of recorded) if ((publishEnd += chunk.length) > lastKey) break;
  return { bytes, publishEnd };
}

/** `then` is sent once the server has said NetStream.Publish.Start. */
type Case = { kind: string; data: Buffer; then?: Buffer };

function makeCase(i: number, r: ReturnType<typeof rng>, session: { bytes: Buffer; publishEnd: number }): Case {
  const capture = session.bytes;
  const handshake = (): Buffer => Buffer.concat([Buffer.from([3]), r.bytes(1536), r.bytes(1536)]);
  const prefix = (max: number): Buffer => capture.subarray(0, r.int(1, Math.min(capture.length, max)));
  switch (i % 9) {
    case 0:
      return { kind: 'random bytes', data: r.bytes(r.int(1, 2048)) };
    case 1:
      return { kind: 'truncated handshake', data: Buffer.concat([Buffer.from([3]), r.bytes(r.int(0, 1600))]) };
    case 2:
      return { kind: 'handshake + random chunks', data: Buffer.concat([handshake(), r.bytes(r.int(1, 4096))]) };
    case 3:
      return { kind: 'truncated real session', data: prefix(64 * 1024) };
    case 4: {
      const data = Buffer.from(prefix(48 * 1024));
      for (let n = r.int(1, 32); n > 0; n--) {
        const at = r.int(Math.min(HANDSHAKE_BYTES, data.length - 1), data.length - 1);
        data[at] = r.next() < 0.5 ? data[at] ^ (1 << r.int(0, 7)) : r.int(0, 255);
      }
      return { kind: 'bit-flipped real session', data };
    }
    case 5: {
      const base = prefix(48 * 1024);
      const at = r.int(Math.min(HANDSHAKE_BYTES, base.length), base.length);
      return { kind: 'spliced real session', data: Buffer.concat([base.subarray(0, at), r.bytes(r.int(1, 512)), base.subarray(at)]) };
    }
    case 6: {
      // Chunk headers with random chunk-stream ids, lengths up to 16 MB and message types: allocation pressure.
      const parts = [handshake()];
      for (let n = r.int(1, 64); n > 0; n--) {
        const cid = [0, 1, r.int(2, 63)][r.int(0, 2)];
        const basic = cid === 0 ? [0x00, r.int(0, 255)] : cid === 1 ? [0x01, r.int(0, 255), r.int(0, 255)] : [(r.int(0, 3) << 6) | cid];
        const type = [1, 2, 3, 4, 5, 6, 8, 9, 15, 17, 18, 20, 22, r.int(0, 255)][r.int(0, 13)];
        const header = Buffer.alloc(11);
        header.writeUIntBE(r.next() < 0.1 ? 0xffffff : r.int(0, 0xfffffe), 0, 3);
        header.writeUIntBE(r.int(0, 0xffffff), 3, 3);
        header[6] = type;
        header.writeUInt32LE(r.int(0, 3), 7);
        parts.push(Buffer.from(basic), header, r.bytes(r.int(0, 200)));
      }
      return { kind: 'chunk header storm', data: Buffer.concat(parts) };
    }
    case 7: {
      // An authorized publish (its own key, so they do not refuse each other) followed by damaged media.
      const key = `fz${i.toString(36).padStart(5, '0')}`;
      const data = Buffer.from(capture.subarray(0, session.publishEnd).toString('latin1').replaceAll('fuzzkey', key), 'latin1');
      const media = Buffer.from(capture.subarray(session.publishEnd, session.publishEnd + r.int(1, 64 * 1024)));
      if (r.next() < 0.2) return { kind: 'authorized + random bytes', data, then: r.bytes(r.int(1, 4096)) };
      for (let n = r.int(0, 16); n > 0; n--) media[r.int(0, media.length - 1)] = r.int(0, 255);
      return { kind: 'authorized + damaged media', data, then: media };
    }
    default: {
      // A forged Set Chunk Size (0, 1, huge) before the real session's commands and media.
      const size = [0, 1, 2, 0x7fffffff, 0xffffffff][r.int(0, 4)];
      const setChunkSize = Buffer.from('020000000000040100000000' + size.toString(16).padStart(8, '0'), 'hex');
      const rest = capture.subarray(HANDSHAKE_BYTES, HANDSHAKE_BYTES + r.int(0, 32 * 1024));
      return { kind: 'forged chunk size', data: Buffer.concat([handshake(), setChunkSize, rest]) };
    }
  }
}

/**
 * Writes `data` in 1–4 pieces (then `then`, once the publish is started), half-closes, and waits for the server
 * to close (or gives up after 2 s).
 */
function throwAt(port: number, { data, then }: Case, r: ReturnType<typeof rng>): Promise<'closed' | 'timeout'> {
  const cuts = Array.from({ length: r.int(0, 3) }, () => r.int(0, data.length)).sort((x, y) => x - y);
  const pieces = [0, ...cuts, data.length].slice(1).map((end, k, ends) => data.subarray(k === 0 ? 0 : ends[k - 1], end));
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const timer = setTimeout(() => {
      socket.destroy();
      resolve('timeout');
    }, 2_000);
    socket.on('error', () => {});
    let received = '';
    socket.on('data', (d: Buffer) => {
      if (then === undefined) return;
      received += d.toString('latin1');
      if (received.includes('NetStream.Publish.Start')) {
        socket.end(then);
        then = undefined;
      }
    });
    socket.once('close', () => {
      clearTimeout(timer);
      resolve('closed');
    });
    socket.once('connect', () => {
      for (const piece of pieces) if (piece.length > 0 && socket.writable) socket.write(piece);
      if (then === undefined) socket.end();
    });
  });
}

describe('RtmpIngest under fuzz', () => {
  it('survives 10,000 malformed connections and still takes a valid publish afterwards', async () => {
    const seed = Number(process.env.DUBD_FUZZ_SEED ?? Date.now() % 2 ** 32);
    const r = rng(seed);
    const handlesBefore = tcpHandles();
    const { log, lines } = captureLog('debug');
    const ingest = await RtmpIngest.start({
      port: 0,
      host: '127.0.0.1',
      log,
      authorize: (key) => (key === 'fuzzkey' || /^fz[0-9a-z]{5}$/.test(key) ? { name: key } : undefined),
      publishTimeoutMs: 3_000,
      idleTimeoutMs: 3_000,
    });
    let publishes = 0;
    let unpublishes = 0;
    ingest.on('publish', (p) => {
      publishes++;
      p.flv.resume();
    });
    ingest.on('unpublish', () => unpublishes++);

    const capture = await captureSession(ingest.port, 'fuzzkey');
    expect(capture.bytes.length).toBeGreaterThan(HANDSHAKE_BYTES + 10_000);
    expect(capture.publishEnd).toBeGreaterThan(HANDSHAKE_BYTES);
    publishes = 0;
    unpublishes = 0;

    const rssBefore = process.memoryUsage().rss;
    let peakRss = rssBefore;
    const outcomes: Record<string, number> = {};
    let bytes = 0;
    let next = 0;
    const t0 = Date.now();
    const worker = async (): Promise<void> => {
      while (next < CONNECTIONS) {
        const c = makeCase(next++, r, capture);
        bytes += c.data.length;
        const outcome = await throwAt(ingest.port, c, r);
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
        if (next % 500 === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const elapsedMs = Date.now() - t0;

    const reasons: Record<string, number> = {};
    for (const line of lines()) {
      const entry = JSON.parse(line) as { msg: string; reason?: string };
      if (entry.msg === 'rtmp connection dropped' || entry.msg === 'rtmp publish refused') {
        const key = `${entry.msg === 'rtmp publish refused' ? 'refused: ' : ''}${entry.reason}`;
        reasons[key] = (reasons[key] ?? 0) + 1;
      }
    }
    console.log(JSON.stringify({ seed, connections: CONNECTIONS, bytes, elapsedMs, outcomes, publishes, unpublishes, rssBeforeMb: Math.round(rssBefore / 2 ** 20), peakRssMb: Math.round(peakRss / 2 ** 20), reasons }, null, 1));

    expect(outcomes.closed).toBe(CONNECTIONS); // the server answered every one by closing: nothing hung
    expect(elapsedMs).toBeLessThan(60_000);
    expect(publishes).toBeGreaterThan(100); // the damaged-media cases did reach the FLV tap
    expect(unpublishes).toBe(publishes);
    expect(peakRss - rssBefore).toBeLessThan(512 * 2 ** 20);

    // Still alive and still useful: a real publish works and decodes.
    ingest.removeAllListeners('publish'); // its resume() would start the flow before ffprobe is attached
    const publisher = publish(`rtmp://127.0.0.1:${ingest.port}/live/fuzzkey`, { seconds: 2 });
    const [p] = await nextEvent(ingest, 'publish');
    expect(p).toMatchObject({ name: 'fuzzkey', hasVideo: true, hasAudio: true });
    const probed = await ffprobeStreams(p.flv);
    expect(probed.streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
    p.flv.resume();
    expect(await publisher.exited).toBe(0);

    await ingest.close();
    expect(tcpHandles()).toBe(handlesBefore);
  }, 150_000);
});
