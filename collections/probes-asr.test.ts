/** doctor's ASR probes on folders the test builds and a local server speaking the OpenAI wire format. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configSchema, type DubdConfig } from '../config/schema.js';
import { TranscriptionWireServer } from '../pipeline/providers/asr/transcription-wire-server.js';
import { writeTinySenseVoice } from '../pipeline/providers/asr/testing/tiny-sense-voice.js';
import { asrProbes } from './probes-asr.js';
import type { Outcome } from './probe.js';

const root = mkdtempSync(join(tmpdir(), 'dubd-probes-asr-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const probe = (id: string) => {
  const p = asrProbes.find((x) => x.id === id);
  if (!p) throw new Error(`no probe ${id}`);
  return p;
};
const config = (raw: object): DubdConfig => configSchema.parse({ dataDir: join(root, 'data'), ...raw });
const run = (id: string, cfg: DubdConfig, env: NodeJS.ProcessEnv = {}): Promise<Outcome> => probe(id).run({ config: cfg, env, timeoutMs: 2000 });

describe('ASR doctor probes', () => {
  it('lists every provider beyond pocketsphinx', () => {
    expect(asrProbes.map((p) => p.id)).toEqual(['sherpa-whisper', 'sherpa-online', 'sherpa-moonshine', 'sherpa-sense-voice', 'openai-asr']);
  });

  it('a model that was never pulled is unavailable with the pull command, and missing when it is the chosen provider', async () => {
    expect(await run('sherpa-whisper', config({}))).toMatchObject({ status: 'unavailable', hint: 'dubd models pull whisper-base.en' });
    const chosen = config({ asr: { provider: 'sherpa-online' } });
    expect(probe('sherpa-online').required(chosen)).toBe(true);
    expect(probe('sherpa-whisper').required(chosen)).toBe(false);
    const out = await run('sherpa-online', chosen);
    expect(out).toMatchObject({ status: 'missing', hint: 'dubd models pull streaming-zipformer-en-20m' });
    expect(out.detail).toMatch(/online model folder .*streaming-zipformer-en-20m does not exist/);
  });

  it('a complete model folder is ok and lists the files it will load', async () => {
    const dir = await writeTinySenseVoice(join(root, 'sv'));
    const out = await run('sherpa-sense-voice', config({ asr: { senseVoice: { modelDir: dir } } }));
    expect(out.status).toBe('ok');
    expect(out.version).toMatch(/^sherpa-onnx \d/);
    expect(out.detail).toBe(`${dir}: model.int8.onnx, tokens.txt`);
  });

  it('OpenAI without a key is unavailable and contacts nobody', async () => {
    const out = await run('openai-asr', config({}));
    expect(out).toMatchObject({ status: 'unavailable', detail: 'no API key for https://api.openai.com/v1 (OPENAI_API_KEY is not set)' });
  });

  it('a configured endpoint that answers is ok; one that refuses the key is missing; one that is down is unavailable', async () => {
    const srv = await TranscriptionWireServer.start(() => ({ status: 200, body: { text: '' } }));
    try {
      const cfg = config({ asr: { provider: 'openai', openai: { baseUrl: srv.baseUrl } } });
      expect(await run('openai-asr', cfg)).toMatchObject({ status: 'ok', version: 'whisper-1', detail: `${srv.baseUrl} answers (GET /models: 200)` });
      expect(srv.requests.map((r) => r.path)).toEqual(['/v1/models']);
    } finally {
      await srv.close();
    }
    const locked = await TranscriptionWireServer.start(() => ({ status: 200, body: {} }), { models: () => ({ status: 401, body: { error: { message: 'bad key' } } }) });
    try {
      const cfg = config({ asr: { provider: 'openai', openai: { baseUrl: locked.baseUrl } } });
      expect(await run('openai-asr', cfg, { OPENAI_API_KEY: 'sk-wrong' })).toMatchObject({ status: 'missing', detail: `${locked.baseUrl} refused the API key (401)` });
      expect(locked.requests[0].headers.authorization).toBe('Bearer sk-wrong');
    } finally {
      await locked.close();
    }
    const down = config({ asr: { provider: 'openai', openai: { baseUrl: srv.baseUrl } } });
    expect(await run('openai-asr', down)).toMatchObject({ status: 'unavailable', detail: `${srv.baseUrl} cannot be reached (ECONNREFUSED)` });
  });
});
