/** OpenAiTranscribeAsr through the official `openai` client (local server speaking the OpenAI wire format). */
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeWav } from '../../audio/wav.js';
import { DubdError, InvalidStateError } from '../../errors.js';
import { OpenAiTranscribeAsr, verboseToHypothesis, type OpenAiTranscribeOptions } from './openai-transcribe.js';
import { TranscriptionWireServer, type TranscriptionHandler } from './transcription-wire-server.js';

const RATE = 16_000;
const en = { language: 'en' };
const WORDS = {
  text: ' Go forward ten meters. ',
  language: 'english',
  duration: 1.2,
  words: [
    { word: 'Go', start: 0.1, end: 0.3 },
    { word: 'forward', start: 0.32, end: 0.7 },
    { word: 'ten', start: 0.75, end: 0.9 },
    { word: 'meters', start: 0.92, end: 1.15 },
  ],
};

function ramp(n: number): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = Math.sin(i / 20) * 0.5;
  return x;
}

let server: TranscriptionWireServer | undefined;
const asrs: OpenAiTranscribeAsr[] = [];
afterEach(async () => {
  await Promise.all(asrs.splice(0).map((a) => a.close()));
  await server?.close();
  server = undefined;
});

async function setup(handler: TranscriptionHandler, o: Partial<OpenAiTranscribeOptions> = {}): Promise<{ srv: TranscriptionWireServer; asr: OpenAiTranscribeAsr }> {
  server = await TranscriptionWireServer.start(handler);
  const asr = await OpenAiTranscribeAsr.load({ baseUrl: server.baseUrl, apiKey: 'sk-test', maxRetries: 2, ...o });
  asrs.push(asr);
  return { srv: server, asr };
}

async function failure(p: Promise<unknown>): Promise<DubdError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof DubdError)) throw new Error(`expected a DubdError, got ${String(err)}`);
  return err;
}

describe('OpenAiTranscribeAsr (local server speaking the OpenAI wire format)', () => {
  it('uploads the audio as 16 kHz mono 16-bit WAV with the model, verbose_json and word timestamps', async () => {
    const { srv, asr } = await setup(() => ({ status: 200, body: WORDS }));
    const audio = ramp(RATE * 1.25);
    const hyp = await asr.transcribe(audio, { language: 'en-US' });
    const [req] = srv.uploads;
    expect(req.headers.authorization).toBe('Bearer sk-test');
    expect(req.fields).toMatchObject({ model: 'whisper-1', response_format: 'verbose_json', language: 'en' });
    expect(req.fields['timestamp_granularities[]']).toBe('word');
    expect(req.file?.filename).toBe('audio.wav');
    const data = req.file!.data;
    expect(data.readUInt16LE(20)).toBe(1); // PCM
    expect(data.readUInt16LE(34)).toBe(16); // bits per sample
    const wav = decodeWav(data);
    expect(wav.sampleRate).toBe(RATE);
    expect(wav.channels).toBe(1);
    expect(wav.samples.length).toBe(audio.length);
    let maxErr = 0;
    for (let i = 0; i < audio.length; i++) maxErr = Math.max(maxErr, Math.abs(wav.samples[i] - audio[i]));
    expect(maxErr).toBeLessThan(2 / 32768);
    expect(hyp).toEqual({
      text: 'Go forward ten meters.',
      words: [
        { text: 'Go', startMs: 100, endMs: 300 },
        { text: 'forward', startMs: 320, endMs: 700 },
        { text: 'ten', startMs: 750, endMs: 900 },
        { text: 'meters', startMs: 920, endMs: 1150 },
      ],
    });
  });

  it('gives the text and no words when the server has no word timestamps', async () => {
    const { asr } = await setup(() => ({ status: 200, body: { text: 'hello there' } }));
    expect(await asr.transcribe(ramp(RATE), en)).toEqual({ text: 'hello there', words: [] });
  });

  it('retries a 500 and returns the answer of the retry', async () => {
    const { srv, asr } = await setup((_req, n) =>
      n === 1 ? { status: 500, body: { error: { message: 'overloaded' } }, headers: { 'retry-after-ms': '1' } } : { status: 200, body: WORDS },
    );
    const hyp = await asr.transcribe(ramp(RATE), en);
    expect(srv.uploads).toHaveLength(2);
    expect(hyp.words).toHaveLength(4);
  });

  it('gives up after its retries with a retryable error (the stage drops the segment, not the session)', async () => {
    const { srv, asr } = await setup(() => ({ status: 503, body: { error: { message: 'down for maintenance' } }, headers: { 'retry-after-ms': '1' } }), { maxRetries: 1 });
    const err = await failure(asr.transcribe(ramp(RATE), en));
    expect(srv.uploads).toHaveLength(2);
    expect(err.code).toBe('ENGINE_FAILED');
    expect(err.retryable).toBe(true);
    expect(err.message).toMatch(/^transcription endpoint http:\/\/127\.0\.0\.1:\d+\/v1 answered 503: .*down for maintenance/);
  });

  it('a 401 is one clear, final error that names the key variable, and is not retried', async () => {
    const { srv, asr } = await setup(() => ({ status: 401, body: { error: { message: 'Incorrect API key provided', type: 'invalid_request_error' } } }), { apiKeyEnv: 'MY_KEY' });
    const err = await failure(asr.transcribe(ramp(RATE), en));
    expect(srv.uploads).toHaveLength(1);
    expect(err.code).toBe('ENGINE_FAILED');
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(/refused the API key \(401\): .*Incorrect API key provided; check MY_KEY$/);
  });

  it('a stream sends one request per utterance by default, at finish()', async () => {
    const { srv, asr } = await setup(() => ({ status: 200, body: WORDS }));
    const stream = await asr.createStream(en);
    const audio = ramp(RATE * 2);
    for (let i = 0; i < audio.length; i += 1600) expect((await stream.accept(audio.subarray(i, i + 1600))).text).toBe('');
    expect(srv.uploads).toHaveLength(0);
    expect((await stream.finish()).text).toBe('Go forward ten meters.');
    expect(srv.uploads).toHaveLength(1);
    expect(decodeWav(srv.uploads[0].file!.data).samples.length).toBe(audio.length);
  });

  it('with a decode interval, a stream re-sends the growing utterance for partials', async () => {
    const { srv, asr } = await setup(() => ({ status: 200, body: WORDS }), { decodeIntervalMs: 1000 });
    expect(asr.capabilities.streaming).toBe(true);
    const stream = await asr.createStream(en);
    const audio = ramp(RATE * 2.5);
    for (let i = 0; i < audio.length; i += 1600) await stream.accept(audio.subarray(i, i + 1600));
    await stream.finish();
    expect(srv.uploads.map((r) => decodeWav(r.file!.data).samples.length)).toEqual([RATE, 2 * RATE, 2.5 * RATE]);
  });

  it('does not send audio too short to hold a word', async () => {
    const { srv, asr } = await setup(() => ({ status: 200, body: WORDS }));
    expect(await asr.transcribe(ramp(800), en)).toEqual({ text: '', words: [] });
    expect(srv.uploads).toHaveLength(0);
  });

  it('close() aborts a request in flight; later calls throw InvalidStateError', async () => {
    let arrived = (): void => undefined;
    const reached = new Promise<void>((resolve) => (arrived = resolve));
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const { asr } = await setup(async () => {
      arrived();
      await held;
      return { status: 200, body: WORDS };
    });
    const pending = failure(asr.transcribe(ramp(RATE), en));
    await reached;
    await Promise.all([asr.close(), asr.close()]);
    const err = await pending;
    release();
    expect(err.code).toBe('ABORTED');
    await expect(asr.transcribe(ramp(RATE), en)).rejects.toBeInstanceOf(InvalidStateError);
  });
});

describe('OpenAiTranscribeAsr.load', () => {
  it('refuses OpenAI’s own endpoint without a key, naming the variable to set', async () => {
    const err = await failure(OpenAiTranscribeAsr.load({ apiKey: '', apiKeyEnv: 'OPENAI_API_KEY' }));
    expect(err.code).toBe('ENGINE_MISSING');
    expect(err.message).toBe('no API key for https://api.openai.com/v1: set OPENAI_API_KEY (or point asr.openai.baseUrl at a local server)');
  });

  it('fails to load when nothing answers at the base URL, so a fallback can take over', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const { port } = probe.address() as { port: number };
    await new Promise<void>((r) => probe.close(() => r()));
    const err = await failure(OpenAiTranscribeAsr.load({ baseUrl: `http://127.0.0.1:${port}/v1` }));
    expect(err.code).toBe('ENGINE_MISSING');
    expect(err.message).toMatch(/cannot be reached \(ECONNREFUSED\)/);
  });

  it('loads against a local server that needs no key', async () => {
    server = await TranscriptionWireServer.start(() => ({ status: 200, body: WORDS }));
    const asr = await OpenAiTranscribeAsr.load({ baseUrl: server.baseUrl, model: 'Systran/faster-whisper-small' });
    asrs.push(asr);
    expect(asr.info).toEqual({ id: 'openai', version: `Systran/faster-whisper-small at ${server.baseUrl}` });
    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /v1/models']);
  });
});

describe('verboseToHypothesis', () => {
  it('skips words without text or times', () => {
    expect(verboseToHypothesis({ text: 'a b', words: [{ word: ' a ', start: 0, end: 0.2 }, { word: '', start: 0.3, end: 0.4 }, { word: 'b' }] })).toEqual({
      text: 'a b',
      words: [{ text: 'a', startMs: 0, endMs: 200 }],
    });
  });
});
