// The loader with real providers: espeak-ng, msedge-tts against a local server speaking the Edge read-aloud protocol, and configs that fail.
import { Writable } from 'node:stream';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema, type DubdConfig } from '../../config/schema.js';
import { FfmpegProcess } from '../media/ffmpeg.js';
import { loadTts, primaryVoiceLists, sherpaModelFolder, ttsChain, ttsVoiceLists } from './load-tts.js';
import { FallbackTts } from './tts/fallback.js';
import { EdgeWireServer } from './tts/testing/edge-server.js';
import type { ClonedTtsRequest, SpokenResult } from './tts/request.js';

let server: EdgeWireServer;

function config(tts: Record<string, unknown>): DubdConfig {
  return configSchema.parse({ dataDir: '/tmp/dubd-load-tts-test', tts });
}

function captureLog(): { log: Logger; lines: () => { msg: string; provider?: string }[] } {
  const out: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      out.push(chunk.toString());
      cb();
    },
  });
  return { log: pino({ level: 'warn' }, stream) as Logger, lines: () => out.map((l) => JSON.parse(l) as { msg: string; provider?: string }) };
}

beforeAll(async () => {
  const proc = new FfmpegProcess(['-f', 'lavfi', '-i', 'sine=frequency=220:duration=0.4:sample_rate=24000', '-c:a', 'libmp3lame', '-b:a', '48k', '-f', 'mp3', 'pipe:1']);
  const chunks: Buffer[] = [];
  proc.child.stdout?.on('data', (c: Buffer) => chunks.push(c));
  await proc.done;
  server = await EdgeWireServer.start(Buffer.concat(chunks));
});
afterAll(async () => {
  await server?.close();
});

describe('loadTts', () => {
  it('loads espeak-ng alone with the default config, as before', async () => {
    const cfg = configSchema.parse({});
    expect(ttsChain(cfg)).toEqual(['espeak-ng']);
    expect(cfg.tts.speakers.enabled).toBe(false);
    const tts = await loadTts(cfg);
    try {
      expect(tts.info.id).toBe('espeak-ng');
      expect(tts).not.toBeInstanceOf(FallbackTts);
    } finally {
      await tts.close();
    }
  });

  it('chains Edge before espeak-ng and records which one spoke (local server speaking the Edge protocol)', async () => {
    const cfg = config({ provider: 'edge', fallback: ['espeak-ng'] });
    const tts = await loadTts(cfg, { edgeAgent: server.agent() });
    try {
      expect(tts).toBeInstanceOf(FallbackTts);
      expect(tts.info.id).toBe('edge>espeak-ng');
      const spoken = (await tts.synthesize({ text: 'hola', lang: 'es' })) as SpokenResult;
      expect(spoken).toMatchObject({ provider: 'edge', sampleRate: 24_000 });
      // Per-speaker voices follow the first provider's lists; the second voice of Spanish is Elvira.
      const lists = primaryVoiceLists(cfg, tts);
      expect(lists.es).toEqual(['es-ES-AlvaroNeural', 'es-ES-ElviraNeural']);
      const req: ClonedTtsRequest = { text: 'hola', lang: 'es', voice: lists.es[1], speaker: 'S2' };
      await tts.synthesize(req);
      expect(server.requests[server.requests.length - 1].ssml).toContain('es-ES-ElviraNeural');
    } finally {
      await tts.close();
    }
  });

  it('falls back to espeak-ng offline when Edge cannot be reached, keeping the speaker’s voice slot', async () => {
    const cfg = config({ provider: 'edge', fallback: ['espeak-ng'], edge: { connectTimeoutMs: 1500 } });
    const down = await EdgeWireServer.start(Buffer.alloc(0));
    const agent = down.agent();
    await down.close();
    const { log, lines } = captureLog();
    const tts = await loadTts(cfg, { edgeAgent: agent, log });
    try {
      const spoken = (await tts.synthesize({ text: 'hola', lang: 'es', voice: 'es-ES-ElviraNeural' })) as SpokenResult;
      expect(spoken).toMatchObject({ provider: 'espeak-ng', sampleRate: 22_050 });
      expect(spoken.samples.length).toBeGreaterThan(2000);
      expect(lines()).toContainEqual(expect.objectContaining({ msg: 'tts provider failed; trying the next', provider: 'edge' }));
      expect(ttsVoiceLists(cfg, 'espeak-ng').es[1]).toBe('es+f3'); // where Elvira's slot lands
    } finally {
      await tts.close();
    }
  });

  it('logs a provider that fails to load and speaks with the next', async () => {
    const { log, lines } = captureLog();
    const cfg = config({ provider: 'sherpa', fallback: ['espeak-ng'], sherpa: { model: '/nonexistent/model-folder' } });
    const tts = await loadTts(cfg, { log });
    try {
      expect(tts.info.id).toBe('espeak-ng');
      expect(lines()).toContainEqual(expect.objectContaining({ msg: 'tts provider failed to load', provider: 'sherpa' }));
    } finally {
      await tts.close();
    }
  });

  it('names every provider’s reason when none loads', async () => {
    const { log } = captureLog();
    const cfg = config({ provider: 'sherpa', fallback: ['elevenlabs'] });
    const err = await loadTts(cfg, { log, env: {} }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'INVALID_CONFIG' });
    expect((err as Error).message).toMatch(/sherpa: .*tts\.sherpa\.model.*elevenlabs: .*ELEVENLABS_API_KEY/);
  });

  it('puts the configured espeak-ng voice first in its per-speaker list', () => {
    const cfg = config({ voices: { es: 'es+m3' } });
    expect(ttsVoiceLists(cfg, 'espeak-ng').es).toEqual(['es+m3', 'es', 'es+f3', 'es+f4']);
    expect(ttsVoiceLists(cfg, 'edge').pt).toEqual(['pt-BR-AntonioNeural', 'pt-BR-FranciscaNeural']);
  });

  it('finds a catalog voice’s folder in the data directory', () => {
    expect(sherpaModelFolder(config({ sherpa: { model: 'piper-es-davefx-medium-int8' } }))).toBe(join('/tmp/dubd-load-tts-test', 'models', 'piper-es-davefx-medium-int8'));
    expect(sherpaModelFolder(config({ sherpa: { model: '/models/my-voice' } }))).toBe('/models/my-voice');
  });
});
