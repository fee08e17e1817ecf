// XttsTts against a local HTTP server speaking the coqui-ai/xtts-streaming-server wire format.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { medianF0 } from '../../audio/pitch.js';
import { decodeWav } from '../../audio/wav.js';
import { InvalidStateError } from '../../errors.js';
import { XttsTts, xttsLanguage, type XttsOptions } from './xtts.js';
import { startXttsServer, type XttsWireServer } from './testing/xtts-server.js';
import { formData, tone } from './testing/wire.js';

let server: XttsWireServer;
const open: XttsTts[] = [];

async function xtts(o: Partial<XttsOptions> = {}): Promise<XttsTts> {
  const tts = await XttsTts.load({ baseUrl: server.url, retries: 2, ...o });
  open.push(tts);
  return tts;
}

const clip = (hz: number, ms = 3000) => ({ samples: tone(hz, ms, 16_000), sampleRate: 16_000 });

beforeAll(async () => {
  server = await startXttsServer({ 'Ana Florence': 200 });
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
  server.failNext.length = 0;
  server.requests.length = 0;
  server.clonedPitches.length = 0;
});
afterAll(async () => {
  await server?.close();
});

describe('XttsTts (local server speaking the xtts-streaming-server wire format)', () => {
  it('clones the source speaker from their clip and speaks in that voice', async () => {
    const tts = await xtts();
    const r = await tts.synthesize({ text: 'Hola a todos', lang: 'es-419', speaker: 'S1', reference: clip(170) });
    expect(r).toMatchObject({ sampleRate: 24_000, provider: 'xtts' });
    expect(medianF0(r.samples, r.sampleRate)).toBeCloseTo(170, -1);
    const clone = server.requests.find((q) => q.path === '/clone_speaker');
    const wav = decodeWav(Buffer.from(await ((await formData(clone as NonNullable<typeof clone>)).get('wav_file') as Blob).arrayBuffer()));
    expect(wav.sampleRate).toBe(16_000);
    const body = JSON.parse(server.requests.find((q) => q.path === '/tts')?.body.toString() ?? '{}') as Record<string, unknown>;
    expect(body).toMatchObject({ text: 'Hola a todos', language: 'es' });
    // The latents /clone_speaker returned (carrying the clip's pitch) are what /tts received.
    expect(body.speaker_embedding).toEqual([expect.closeTo(0.17, 2) as unknown, 0.1, -0.2]);
    expect(Array.isArray(body.gpt_cond_latent)).toBe(true);
  });

  it('clones each speaker once and keeps speakers apart', async () => {
    const tts = await xtts();
    const s1 = await tts.synthesize({ text: 'uno', lang: 'es', speaker: 'S1', reference: clip(150) });
    const s2 = await tts.synthesize({ text: 'dos', lang: 'es', speaker: 'S2', reference: clip(240) });
    const s1again = await tts.synthesize({ text: 'tres', lang: 'es', speaker: 'S1', reference: clip(150) });
    expect(server.clonedPitches).toHaveLength(2);
    expect([s1, s2, s1again].map((r) => Math.round((medianF0(r.samples, r.sampleRate) ?? 0) / 10) * 10)).toEqual([150, 240, 150]);
  });

  it('speaks with a studio speaker when there is no clip, or when one is named', async () => {
    const tts = await xtts({ voices: { pt: ['Ana Florence'] } });
    const r = await tts.synthesize({ text: 'olá', lang: 'pt-BR' });
    expect(medianF0(r.samples, r.sampleRate)).toBeCloseTo(200, -1);
    await tts.synthesize({ text: 'olá', lang: 'pt', voice: 'Ana Florence' });
    expect(server.requests.filter((q) => q.path === '/studio_speakers')).toHaveLength(1);
    await expect(tts.synthesize({ text: 'olá', lang: 'pt', voice: 'Nobody' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('Ana Florence') as unknown });
  });

  it('retries a 500 and a 429 before answering, but not a 422', async () => {
    const tts = await xtts();
    server.failNext.push(500, 429);
    await tts.synthesize({ text: 'hola', lang: 'es', speaker: 'S1', reference: clip(180) });
    expect(server.requests.map((q) => q.path)).toEqual(['/clone_speaker', '/clone_speaker', '/clone_speaker', '/tts']);
    server.requests.length = 0;
    server.failNext.push(422);
    await expect(tts.synthesize({ text: 'hola', lang: 'es', speaker: 'S1', reference: clip(180) })).rejects.toMatchObject({ code: 'ENGINE_FAILED', retryable: false });
    expect(server.requests).toHaveLength(1);
  });

  it('fails with a retryable ENGINE_FAILED when the server is down', async () => {
    const down = await XttsTts.load({ baseUrl: 'http://127.0.0.1:9', retries: 1, timeoutMs: 2000 });
    open.push(down);
    await expect(down.synthesize({ text: 'hola', lang: 'es', reference: clip(180) })).rejects.toMatchObject({ code: 'ENGINE_FAILED', retryable: true, message: expect.stringContaining('unreachable') as unknown });
  });

  it('needs a clip or a studio voice, and a language XTTS speaks', async () => {
    const tts = await xtts();
    await expect(tts.synthesize({ text: 'hola', lang: 'es' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(tts.synthesize({ text: 'hei', lang: 'fi', reference: clip(180) })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(xttsLanguage('zh-CN')).toBe('zh-cn');
    await expect(XttsTts.load({ clone: false })).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
  });

  it('close() is idempotent and later calls throw InvalidStateError', async () => {
    const tts = await xtts();
    await Promise.all([tts.close(), tts.close()]);
    await expect(tts.synthesize({ text: 'hola', lang: 'es' })).rejects.toBeInstanceOf(InvalidStateError);
  });
});
