/** loadAsr on real engines: PocketSphinx, sherpa-onnx with a tiny model, a local server speaking the OpenAI wire format. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Logger } from '../../config/logger.js';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/load.js';
import { configSchema, type DubdConfig } from '../../config/schema.js';
import { DubdError } from '../errors.js';
import { asrChain, loadAsr } from './load-asr.js';
import { TranscriptionWireServer } from './asr/transcription-wire-server.js';
import { writeTinySenseVoice } from './asr/testing/tiny-sense-voice.js';

const root = mkdtempSync(join(tmpdir(), 'dubd-load-asr-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const config = (asr: object): DubdConfig => configSchema.parse({ dataDir: join(root, 'data'), asr });

function capture(): { log: Logger; lines: () => Record<string, unknown>[] } {
  const raw: string[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void raw.push(s) });
  return { log, lines: () => raw.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

async function failure(p: Promise<unknown>): Promise<DubdError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof DubdError)) throw new Error(`expected a DubdError, got ${String(err)}`);
  return err;
}

describe('asr config', () => {
  it('keeps PocketSphinx as the default with no fallback', () => {
    const cfg = configSchema.parse({});
    expect(cfg.asr.provider).toBe('pocketsphinx');
    expect(asrChain(cfg)).toEqual(['pocketsphinx']);
  });

  it('reads the provider and a one-name fallback list from env vars', () => {
    const cfg = loadConfig({ env: { DUBD_ASR__PROVIDER: 'sherpa-whisper', DUBD_ASR__FALLBACK: 'pocketsphinx', DUBD_ASR__WHISPER__DECODE_INTERVAL_MS: '750' } });
    expect(asrChain(cfg)).toEqual(['sherpa-whisper', 'pocketsphinx']);
    expect(cfg.asr.whisper.decodeIntervalMs).toBe(750);
    expect(loadConfig({ env: { DUBD_ASR__FALLBACK: 'openai,pocketsphinx' } }).asr.fallback).toEqual(['openai', 'pocketsphinx']);
  });

  it('refuses an unknown provider', () => {
    expect(() => loadConfig({ env: { DUBD_ASR__PROVIDER: 'whisper.cpp' } })).toThrow(/invalid config at asr\.provider/);
  });
});

describe('loadAsr', () => {
  it('falls back to the next provider when the first cannot load, and logs why', async () => {
    const { log, lines } = capture();
    const asr = await loadAsr(config({ provider: 'sherpa-whisper', fallback: ['pocketsphinx'] }), { log });
    try {
      expect(asr.info.id).toBe('pocketsphinx');
      const [failed, loaded] = lines();
      expect(failed).toMatchObject({ msg: 'asr provider failed to load', provider: 'sherpa-whisper', code: 'MODEL_NOT_FOUND', next: 'pocketsphinx' });
      expect(failed.err).toMatch(/whisper model folder .*whisper-base\.en does not exist \(dubd models pull whisper-base\.en\)/);
      expect(loaded).toMatchObject({ msg: 'asr fallback provider loaded', provider: 'pocketsphinx', instead: 'sherpa-whisper' });
    } finally {
      await asr.close();
    }
  });

  it('keeps every fallback that loads behind the provider, for failures at run time (local server speaking the OpenAI wire format)', async () => {
    const srv = await TranscriptionWireServer.start(() => ({ status: 200, body: { text: 'hi', words: [] } }));
    const { log } = capture();
    const asr = await loadAsr(config({ provider: 'openai', fallback: ['sherpa-moonshine', 'pocketsphinx'], openai: { baseUrl: srv.baseUrl, apiKeyEnv: 'K', model: 'm' } }), { log, env: { K: 'k' } });
    try {
      expect(asr.info.id).toBe('openai>pocketsphinx');
      expect((await asr.transcribe(new Float32Array(16_000).fill(0.1), { language: 'en' })).text).toBe('hi');
    } finally {
      await asr.close();
      await srv.close();
    }
  });

  it('names every provider’s reason when none loads', async () => {
    const { log } = capture();
    const err = await failure(loadAsr(config({ provider: 'sherpa-moonshine', fallback: ['sherpa-sense-voice'] }), { log }));
    expect(err.code).toBe('MODEL_NOT_FOUND');
    expect(err.message).toMatch(/^no ASR provider could be loaded \(sherpa-moonshine: moonshine model folder .* does not exist .*; sherpa-sense-voice: sense-voice model folder .* does not exist/);
  });

  it('throws a lone provider’s own error unchanged', async () => {
    const { log } = capture();
    const err = await failure(loadAsr(config({ provider: 'sherpa-online', online: { modelDir: join(root, 'none') } }), { log }));
    expect(err.message).toBe(`online model folder ${join(root, 'none')} does not exist (check asr.online.modelDir)`);
  });

  it('builds a sherpa provider from its config section', async () => {
    const dir = await writeTinySenseVoice(join(root, 'sv'));
    const asr = await loadAsr(config({ provider: 'sherpa-sense-voice', language: 'en', senseVoice: { modelDir: dir, numThreads: 1, decodeIntervalMs: 0 } }));
    try {
      expect(asr.info.id).toBe('sherpa-sense-voice');
      expect(asr.capabilities.streaming).toBe(false);
    } finally {
      await asr.close();
    }
  });

  it('builds the OpenAI provider with the key from the named env var (local server speaking the OpenAI wire format)', async () => {
    const srv = await TranscriptionWireServer.start(() => ({ status: 200, body: { text: 'hi', words: [{ word: 'hi', start: 0.1, end: 0.3 }] } }));
    const asr = await loadAsr(config({ provider: 'openai', openai: { baseUrl: srv.baseUrl, apiKeyEnv: 'LOCAL_WHISPER_KEY', model: 'base.en' } }), { env: { LOCAL_WHISPER_KEY: 'k-123' } });
    try {
      const hyp = await asr.transcribe(new Float32Array(16_000).fill(0.1), { language: 'en' });
      expect(hyp.words).toEqual([{ text: 'hi', startMs: 100, endMs: 300 }]);
      expect(srv.uploads[0].headers.authorization).toBe('Bearer k-123');
      expect(srv.uploads[0].fields.model).toBe('base.en');
    } finally {
      await asr.close();
      await srv.close();
    }
  });
});
