// msedge-tts, unmodified, against a local WebSocket server speaking the Edge read-aloud protocol (reached through an agent, as a proxy would be).
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import https from 'node:https';
import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FfmpegProcess } from '../../media/ffmpeg.js';
import { medianF0 } from '../../audio/pitch.js';
import { InvalidStateError } from '../../errors.js';
import { EdgeTts, escapeXml, isEdgeVoice, prosodyRate } from './edge.js';
import { EdgeWireServer } from './testing/edge-server.js';

let server: EdgeWireServer;
const open: EdgeTts[] = [];

/** 0.6 s of a 220 Hz tone as 24 kHz MP3, the format the provider asks Edge for. */
async function mp3Tone(): Promise<Buffer> {
  const proc = new FfmpegProcess(['-f', 'lavfi', '-i', 'sine=frequency=220:duration=0.6:sample_rate=24000', '-ac', '1', '-c:a', 'libmp3lame', '-b:a', '48k', '-f', 'mp3', 'pipe:1']);
  const chunks: Buffer[] = [];
  proc.child.stdout?.on('data', (c: Buffer) => chunks.push(c));
  await proc.done;
  return Buffer.concat(chunks);
}

async function edge(opts: Parameters<typeof EdgeTts.load>[0] = {}): Promise<EdgeTts> {
  const tts = await EdgeTts.load({ agent: server.agent(), ...opts });
  open.push(tts);
  return tts;
}

beforeAll(async () => {
  server = await EdgeWireServer.start(await mp3Tone());
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
  server.behaviour = 'speak';
});
afterAll(async () => {
  await server?.close();
});

describe('EdgeTts (local server speaking the Edge read-aloud protocol)', () => {
  it('sends the speech config and SSML Edge expects and decodes the MP3 it sends back', async () => {
    const tts = await edge();
    const r = await tts.synthesize({ text: 'Hola, ¿qué tal?', lang: 'es' });
    expect(r).toMatchObject({ sampleRate: 24_000, provider: 'edge' });
    expect(r.samples.length / r.sampleRate).toBeGreaterThan(0.55);
    expect(r.samples.length / r.sampleRate).toBeLessThan(0.75);
    expect(medianF0(r.samples, r.sampleRate)).toBeCloseTo(220, -1);
    const [req] = server.requests.slice(-1);
    expect(req.headers.host).toBe('speech.platform.bing.com');
    expect(req.url).toContain('TrustedClientToken=');
    expect(req.config).toContain('"outputFormat": "audio-24khz-48kbitrate-mono-mp3"');
    expect(req.ssml).toContain('<voice name="es-ES-AlvaroNeural">');
    expect(req.ssml).toContain('xml:lang="es-ES"');
    expect(req.ssml).toContain('rate="+0%"');
    expect(req.ssml).toContain('Hola, ¿qué tal?');
  });

  it('escapes the text into the SSML and turns the rate into a percentage', async () => {
    const tts = await edge();
    await tts.synthesize({ text: 'a < b & "c"', lang: 'es', rate: 1.2 });
    const { ssml } = server.requests[server.requests.length - 1];
    expect(ssml).toContain('a &lt; b &amp; &quot;c&quot;');
    expect(ssml).toContain('rate="+20%"');
    expect(prosodyRate(0.9)).toBe('-10%');
    expect(escapeXml("<'>")).toBe('&lt;&apos;&gt;');
  });

  it('uses the voice asked for, else the first configured for the language', async () => {
    const tts = await edge({ voices: { 'pt-BR': ['pt-BR-FranciscaNeural'], es: ['es-ES-ElviraNeural'] } });
    await tts.synthesize({ text: 'olá', lang: 'pt-br' });
    await tts.synthesize({ text: 'hola', lang: 'es-419' });
    await tts.synthesize({ text: 'hola', lang: 'es', voice: 'es-MX-JorgeNeural' });
    expect(server.requests.slice(-3).map((r) => /voice name="([^"]+)"/.exec(r.ssml)?.[1])).toEqual(['pt-BR-FranciscaNeural', 'es-ES-ElviraNeural', 'es-MX-JorgeNeural']);
    await expect(tts.synthesize({ text: 'hola', lang: 'es', voice: 'es+f3' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(tts.synthesize({ text: 'hallo', lang: 'de' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(isEdgeVoice('zh-CN-shaanxi-XiaoniNeural')).toBe(true);
  });

  it('keeps one socket per voice across requests', async () => {
    const tts = await edge();
    const before = server.connections;
    await tts.synthesize({ text: 'uno', lang: 'es' });
    await tts.synthesize({ text: 'dos', lang: 'es' });
    await Promise.all([tts.synthesize({ text: 'tres', lang: 'es' }), tts.synthesize({ text: 'cuatro', lang: 'es' })]);
    expect(server.connections - before).toBe(1);
    await tts.synthesize({ text: 'cinco', lang: 'es', voice: 'es-ES-ElviraNeural' });
    expect(server.connections - before).toBe(2);
  });

  it('fails with ENGINE_FAILED naming the host when it cannot connect', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    class Refused extends https.Agent {
      override createConnection(): net.Socket {
        return net.connect(port, '127.0.0.1');
      }
    }
    const tts = await EdgeTts.load({ agent: new Refused(), connectTimeoutMs: 2000 });
    open.push(tts);
    await expect(tts.synthesize({ text: 'hola', lang: 'es' })).rejects.toMatchObject({
      code: 'ENGINE_FAILED',
      retryable: true,
      message: expect.stringContaining('speech.platform.bing.com) is unreachable') as unknown,
    });
  });

  it('gives up on a server that never answers, and the next request gets a fresh socket', async () => {
    const tts = await edge({ requestTimeoutMs: 300 });
    server.behaviour = 'silent';
    await expect(tts.synthesize({ text: 'hola', lang: 'es' })).rejects.toMatchObject({ code: 'ENGINE_FAILED', message: expect.stringContaining('did not finish') as unknown });
    server.behaviour = 'speak';
    const before = server.connections;
    const r = await tts.synthesize({ text: 'hola', lang: 'es' });
    expect(r.samples.length).toBeGreaterThan(0);
    expect(server.connections - before).toBe(1);
  });

  it('reports a socket closed without audio as ENGINE_FAILED', async () => {
    const tts = await edge();
    server.behaviour = 'close';
    await expect(tts.synthesize({ text: 'hola', lang: 'es' })).rejects.toMatchObject({ code: 'ENGINE_FAILED', message: expect.stringContaining('no audio') as unknown });
  });

  it('stops a request in flight when aborted', async () => {
    const tts = await edge();
    server.behaviour = 'silent';
    const ac = new AbortController();
    const pending = tts.synthesize({ text: 'hola', lang: 'es', signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    await expect(pending).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('refuses voice names that are not Edge voices at load', async () => {
    await expect(EdgeTts.load({ voices: { es: ['es'] } })).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
  });

  it('close() closes its sockets, is idempotent, and later calls throw InvalidStateError', async () => {
    const tts = await edge();
    await tts.synthesize({ text: 'hola', lang: 'es' });
    await Promise.all([tts.close(), tts.close()]);
    await expect(tts.synthesize({ text: 'hola', lang: 'es' })).rejects.toBeInstanceOf(InvalidStateError);
  });
});
