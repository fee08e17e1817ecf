// Probes run for real: tiny model folders the test makes, and local servers speaking the ElevenLabs and XTTS wire formats.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../config/schema.js';
import { debianLibDir } from './catalog.js';
import type { Ctx, Probe } from './probe.js';
import { edgeProbe, ttsProbes } from './probes-tts.js';
import { makeTinyPiperFolder } from '../pipeline/providers/tts/testing/tiny-models.js';
import { startElevenLabsServer, type ElevenLabsWireServer } from '../pipeline/providers/tts/testing/elevenlabs-server.js';
import { startXttsServer, type XttsWireServer } from '../pipeline/providers/tts/testing/xtts-server.js';

let root: string;
let eleven: ElevenLabsWireServer;
let xtts: XttsWireServer;

const probe = (id: string): Probe => ttsProbes.find((p) => p.id === id) as Probe;
const ctx = (tts: Record<string, unknown>, env: NodeJS.ProcessEnv = {}): Ctx => ({ config: configSchema.parse({ dataDir: root, tts }), env, timeoutMs: 2000 });

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'dubd-probes-tts-'));
  eleven = await startElevenLabsServer('k');
  xtts = await startXttsServer();
});
afterAll(async () => {
  await Promise.all([eleven?.close(), xtts?.close()]);
  await rm(root, { recursive: true, force: true });
});

describe('tts probes', () => {
  it('are required only when their provider is the one selected', () => {
    const c = configSchema.parse({ tts: { provider: 'xtts' } });
    expect(ttsProbes.filter((p) => p.required(c)).map((p) => p.id)).toEqual(['xtts']);
    expect(ttsProbes.filter((p) => p.required(configSchema.parse({})))).toEqual([]);
  });

  it('sherpa: ok for a usable model folder, unavailable without one, missing for a broken one', async () => {
    const folder = await makeTinyPiperFolder(join(root, 'piper'), `${debianLibDir()}/espeak-ng-data`);
    await expect(probe('sherpa-tts').run(ctx({ sherpa: { model: folder } }))).resolves.toMatchObject({ status: 'ok', detail: expect.stringContaining('vits model') as unknown });
    await expect(probe('sherpa-tts').run(ctx({}))).resolves.toMatchObject({ status: 'unavailable' });
    await expect(probe('sherpa-tts').run(ctx({ sherpa: { model: join(root, 'nothing') } }))).resolves.toMatchObject({ status: 'missing', detail: expect.stringContaining('not found') as unknown });
  });

  it('edge: ok when the host answers, unavailable with the reason when it does not', async () => {
    const s = createServer((c) => c.destroy());
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const up = await edgeProbe('127.0.0.1', (s.address() as AddressInfo).port).run(ctx({}));
    await new Promise<void>((r) => s.close(() => r()));
    expect(up).toMatchObject({ status: 'ok' });
    const down = await edgeProbe('127.0.0.1', await closedPort()).run(ctx({}));
    expect(down).toMatchObject({ status: 'unavailable', detail: expect.stringContaining('ECONNREFUSED') as unknown });
  });

  it('elevenlabs: needs the key, and asks the service whether it accepts it (local server speaking its wire format)', async () => {
    const p = probe('elevenlabs');
    const tts = { elevenlabs: { baseUrl: eleven.url, voices: { es: ['stock-es'] } } };
    await expect(p.run(ctx(tts))).resolves.toMatchObject({ status: 'unavailable', detail: expect.stringContaining('ELEVENLABS_API_KEY') as unknown });
    await expect(p.run(ctx(tts, { ELEVENLABS_API_KEY: 'bad' }))).resolves.toMatchObject({ status: 'unavailable', detail: expect.stringContaining('rejected') as unknown });
    await expect(p.run(ctx(tts, { ELEVENLABS_API_KEY: 'k' }))).resolves.toMatchObject({ status: 'ok', detail: expect.stringContaining('accepts the key') as unknown });
  });

  it('xtts: ok when the server lists its languages (local server speaking its wire format), unavailable when down', async () => {
    await expect(probe('xtts').run(ctx({ xtts: { baseUrl: xtts.url } }))).resolves.toMatchObject({ status: 'ok', detail: expect.stringContaining('17 languages') as unknown });
    await expect(probe('xtts').run(ctx({ xtts: { baseUrl: `http://127.0.0.1:${await closedPort()}` } }))).resolves.toMatchObject({ status: 'unavailable', detail: expect.stringContaining('unreachable') as unknown });
  });
});
