// ElevenLabsTts against a local HTTP server speaking the ElevenLabs REST wire format.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { medianF0 } from '../../audio/pitch.js';
import { decodeWav } from '../../audio/wav.js';
import { InvalidStateError } from '../../errors.js';
import { ElevenLabsTts, type ElevenLabsOptions } from './elevenlabs.js';
import { startElevenLabsServer, type ElevenLabsWireServer } from './testing/elevenlabs-server.js';
import { formData, tone } from './testing/wire.js';

let server: ElevenLabsWireServer;
const open: ElevenLabsTts[] = [];

async function eleven(o: Partial<ElevenLabsOptions> = {}): Promise<ElevenLabsTts> {
  const tts = await ElevenLabsTts.load({ baseUrl: server.url, apiKey: server.apiKey, voices: { es: ['stock-es'] }, retries: 2, ...o });
  open.push(tts);
  return tts;
}

beforeAll(async () => {
  server = await startElevenLabsServer('test-key', { 'stock-es': 150 });
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
  server.failNext.length = 0;
  server.requests.length = 0;
});
afterAll(async () => {
  await server?.close();
});

describe('ElevenLabsTts (local server speaking the ElevenLabs wire format)', () => {
  it('posts text, model and voice settings with the key, and decodes the raw PCM answer', async () => {
    const tts = await eleven();
    const r = await tts.synthesize({ text: 'Hola a todos', lang: 'es', rate: 1.1 });
    expect(r).toMatchObject({ sampleRate: 22_050, provider: 'elevenlabs' });
    expect(r.samples.length / r.sampleRate).toBeCloseTo(0.6, 2); // 12 characters × 50 ms on this server
    expect(medianF0(r.samples, r.sampleRate)).toBeCloseTo(150, -1);
    const [req] = server.requests;
    expect(req).toMatchObject({ method: 'POST', path: '/v1/text-to-speech/stock-es' });
    expect(req.query.get('output_format')).toBe('pcm_22050');
    expect(req.headers['xi-api-key']).toBe('test-key');
    expect(JSON.parse(req.body.toString())).toEqual({
      text: 'Hola a todos',
      model_id: 'eleven_multilingual_v2',
      voice_settings: { stability: 0.5, similarity_boost: 0.75, speed: 1.1 },
    });
  });

  it('keeps the speed inside what ElevenLabs accepts and honours the output format', async () => {
    const tts = await eleven({ outputFormat: 'pcm_16000' });
    const r = await tts.synthesize({ text: 'rápido', lang: 'es', rate: 1.6 });
    expect(r.sampleRate).toBe(16_000);
    expect(tts.capabilities.sampleRate).toBe(16_000);
    expect((JSON.parse(server.requests[0].body.toString()) as { voice_settings: { speed: number } }).voice_settings.speed).toBe(1.2);
  });

  it('retries a 429 and a 500, then answers', async () => {
    const tts = await eleven();
    server.failNext.push(429, 500);
    const r = await tts.synthesize({ text: 'hola', lang: 'es' });
    expect(r.samples.length).toBeGreaterThan(0);
    expect(server.requests).toHaveLength(3);
  });

  it('gives up after its retries with a retryable ENGINE_FAILED carrying the server’s words', async () => {
    const tts = await eleven({ retries: 1 });
    server.failNext.push(503, 503, 503);
    await expect(tts.synthesize({ text: 'hola', lang: 'es' })).rejects.toMatchObject({ code: 'ENGINE_FAILED', retryable: true, message: expect.stringContaining('503') as unknown });
    expect(server.requests).toHaveLength(2);
  });

  it('does not retry a 401: a bad key is UNAUTHENTICATED at once', async () => {
    const tts = await eleven({ apiKey: 'wrong' });
    await expect(tts.synthesize({ text: 'hola', lang: 'es' })).rejects.toMatchObject({ code: 'UNAUTHENTICATED', retryable: false, message: expect.stringContaining('Invalid API key') as unknown });
    expect(server.requests).toHaveLength(1);
  });

  it('clones a speaker once from their speech and speaks every later unit with the clone', async () => {
    const tts = await eleven({ clone: true });
    const reference = { samples: tone(210, 4000, 16_000), sampleRate: 16_000 };
    const a = await tts.synthesize({ text: 'primera frase', lang: 'es', speaker: 'S1', reference });
    const b = await tts.synthesize({ text: 'segunda frase', lang: 'es', speaker: 'S1', reference });
    expect(server.cloned).toHaveLength(1);
    expect(medianF0(a.samples, a.sampleRate)).toBeCloseTo(210, -1);
    expect(medianF0(b.samples, b.sampleRate)).toBeCloseTo(210, -1);
    const add = server.requests.find((r) => r.path === '/v1/voices/add');
    const form = await formData(add as NonNullable<typeof add>);
    const wav = decodeWav(Buffer.from(await (form.get('files') as Blob).arrayBuffer()));
    expect(wav).toMatchObject({ sampleRate: 16_000, channels: 1 });
    expect(wav.samples.length).toBe(reference.samples.length);
    expect(server.requests.filter((r) => r.path.startsWith('/v1/text-to-speech/')).map((r) => r.path)).toEqual(['/v1/text-to-speech/clone-1', '/v1/text-to-speech/clone-1']);
  });

  it('speaks with the stock voice until a speaker has enough speech to clone, and deletes clones on close', async () => {
    const tts = await eleven({ clone: true, minCloneMs: 3000 });
    const short = await tts.synthesize({ text: 'hola', lang: 'es', speaker: 'S2', reference: { samples: tone(260, 1000, 16_000), sampleRate: 16_000 } });
    expect(medianF0(short.samples, short.sampleRate)).toBeCloseTo(150, -1);
    await tts.synthesize({ text: 'hola', lang: 'es', speaker: 'S2', reference: { samples: tone(260, 5000, 16_000), sampleRate: 16_000 } });
    // Without a speaker id a clone could not be reused: no clone is made.
    await tts.synthesize({ text: 'hola', lang: 'es', reference: { samples: tone(300, 5000, 16_000), sampleRate: 16_000 } });
    expect(server.cloned).toHaveLength(2); // one from the earlier test, one here
    const id = [...server.voices.keys()].pop();
    await tts.close();
    expect(server.deleted).toContain(id);
  });

  it('needs an API key and some voice to load', async () => {
    await expect(ElevenLabsTts.load({ baseUrl: server.url, voices: { es: ['x'] } })).rejects.toMatchObject({ code: 'INVALID_CONFIG', message: expect.stringContaining('ELEVENLABS_API_KEY') as unknown });
    await expect(ElevenLabsTts.load({ baseUrl: server.url, apiKey: 'k' })).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
  });

  it('close() is idempotent and later calls throw InvalidStateError', async () => {
    const tts = await eleven();
    await Promise.all([tts.close(), tts.close()]);
    await expect(tts.synthesize({ text: 'hola', lang: 'es' })).rejects.toBeInstanceOf(InvalidStateError);
  });
});
