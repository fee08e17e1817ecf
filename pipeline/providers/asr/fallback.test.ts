/**
 * FallbackAsr with real engines: a transcription server (a local server on port 0 speaking the OpenAI
 * transcription wire format, through the official client) that fails mid-utterance, and the real
 * PocketSphinx taking the utterance over.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeMono16k } from '../../../test/media.js';
import { PocketSphinxAsr } from '../asr-pocketsphinx.js';
import { FallbackAsr } from './fallback.js';
import { OpenAiTranscribeAsr } from './openai-transcribe.js';
import { TranscriptionWireServer, type WireReply } from './transcription-wire-server.js';

const RECORDING = '/usr/share/pocketsphinx/test/data/librivox/sense_and_sensibility_01_austen_64kb-0880.wav';
const REFERENCE = 'he was not an ill disposed young man';
const en = { language: 'en' };
const OK: WireReply = { status: 200, body: { text: 'from the server', words: [{ word: 'from', start: 0.1, end: 0.2 }, { word: 'the', start: 0.2, end: 0.3 }, { word: 'server', start: 0.3, end: 0.6 }] } };
const DOWN: WireReply = { status: 503, body: { error: { message: 'overloaded', type: 'server_error' } } };

function shareOfReference(text: string): number {
  const ref = new Set(REFERENCE.split(' '));
  return new Set(text.toLowerCase().split(/\W+/).filter((w) => ref.has(w))).size / ref.size;
}

async function feed(stream: { accept(s: Float32Array): Promise<unknown> }, samples: Float32Array): Promise<void> {
  for (let i = 0; i < samples.length; i += 1600) await stream.accept(samples.subarray(i, i + 1600));
}

describe('FallbackAsr (a transcription server on port 0 speaking the OpenAI wire format, then the real PocketSphinx)', () => {
  let speech: Float32Array;
  let sphinx: PocketSphinxAsr;
  let up = true;
  let server: TranscriptionWireServer;
  let remote: OpenAiTranscribeAsr;
  let clock = 0;
  const handOvers: { from: string; to: string; reason: string }[] = [];
  let asr: FallbackAsr;

  beforeAll(async () => {
    speech = await decodeMono16k(RECORDING);
    sphinx = await PocketSphinxAsr.load({});
    // The first request of each utterance works; after that the server is down while `up` is false.
    server = await TranscriptionWireServer.start((_req, n) => (up || n === 1 ? OK : DOWN));
    remote = await OpenAiTranscribeAsr.load({ baseUrl: server.baseUrl, model: 'whisper-1', apiKey: 'k', maxRetries: 0, decodeIntervalMs: 1000, checkOnLoad: false });
    asr = new FallbackAsr([remote, sphinx], { cooldownMs: 30_000, now: () => clock, onFallback: (e) => handOvers.push(e) });
  });
  afterAll(async () => {
    await asr.close();
    await server.close();
  });

  it('an engine failing mid-utterance hands the whole utterance to the next, which recognises all of it', async () => {
    up = false;
    const stream = await asr.createStream(en);
    await feed(stream, speech);
    const hyp = await stream.finish();
    expect(server.uploads.length).toBeGreaterThanOrEqual(2); // it worked once, then failed
    expect(handOvers).toHaveLength(1);
    expect(handOvers[0]).toMatchObject({ from: 'openai', to: 'pocketsphinx' });
    expect(handOvers[0].reason).toMatch(/503|overloaded/);
    // PocketSphinx heard the utterance from its start (the audio before the failure was replayed).
    expect(shareOfReference(hyp.text)).toBeGreaterThan(0.5);
  });

  it('a failed engine rests: new utterances start on the next one until the cool-down has passed, then it is tried again', async () => {
    up = true;
    const asked = server.uploads.length;
    const resting = await asr.transcribe(speech, en);
    expect(server.uploads.length).toBe(asked);
    expect(shareOfReference(resting.text)).toBeGreaterThan(0.5);

    clock += 30_001;
    const back = await asr.transcribe(speech, en);
    expect(server.uploads.length).toBe(asked + 1);
    expect(back.text).toBe('from the server');
  });

  it('when every engine fails, the error says so and is retryable (the stage skips the unit)', async () => {
    const broken = new FallbackAsr([remote], { now: () => clock });
    up = false;
    clock += 60_000;
    const err = await broken.transcribe(speech.subarray(0, 16_000), en).then(
      () => undefined,
      (e: unknown) => e,
    );
    // Request 1 of the server's life is long gone: this one is refused.
    expect(err).toMatchObject({ code: 'ENGINE_FAILED', retryable: true });
    expect((err as Error).message).toMatch(/^every ASR engine failed \(openai\)/);
  });

  it('refuses entries that take different sample rates', () => {
    const odd = { ...sphinx, info: sphinx.info, capabilities: { ...sphinx.capabilities, sampleRate: 8000 } } as unknown as PocketSphinxAsr;
    expect(() => new FallbackAsr([remote, odd])).toThrow(/takes 8000 Hz audio/);
  });
});
