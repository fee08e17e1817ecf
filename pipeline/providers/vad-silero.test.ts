import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { SileroVad } from './vad-silero.js';
import { DubdError, InvalidStateError } from '../errors.js';

function espeak16k(text: string): Float32Array {
  const buf = execFileSync('sh', ['-c', `espeak-ng -v en-us --stdout "${text}" | ffmpeg -v error -i - -ar 16000 -ac 1 -f f32le -`], { maxBuffer: 1e8 });
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

function windows(samples: Float32Array, vad: SileroVad): number[] {
  const out: number[] = [];
  for (let i = 0; i + 512 <= samples.length; i += 512) out.push(vad.confidence(samples.subarray(i, i + 512)));
  return out;
}

describe('SileroVad (real silero v5 through sherpa-onnx)', () => {
  it('scores speech high and silence low', async () => {
    const vad = await SileroVad.load();
    const speech = espeak16k('the quick brown fox jumps over the lazy dog');
    const scores = windows(speech, vad);
    expect(scores.filter((s) => s > 0.5).length / scores.length).toBeGreaterThan(0.5);
    vad.reset();
    const silence = windows(new Float32Array(16000 * 2), vad);
    expect(silence.every((s) => s < 0.5)).toBe(true);
    await vad.close();
  });

  it('keeps detecting through a minute of continuous speech (its buffer is flushed, not grown)', async () => {
    const vad = await SileroVad.load();
    const speech = espeak16k('we keep talking and talking without any pause at all '.repeat(8));
    const scores: number[] = [];
    while (scores.length * 512 < 16000 * 60) scores.push(...windows(speech, vad));
    expect(scores.filter((s) => s > 0.5).length / scores.length).toBeGreaterThan(0.5);
    await vad.close();
  });

  it('a missing model file is a clear ENGINE_MISSING error, not a VAD that never fires', async () => {
    const err = await SileroVad.load({ model: '/nonexistent/silero.onnx' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DubdError);
    expect((err as DubdError).code).toBe('ENGINE_MISSING');
  });

  it('confidence() after close() throws InvalidStateError; close() is idempotent', async () => {
    const vad = await SileroVad.load();
    await vad.close();
    await vad.close();
    expect(() => vad.confidence(new Float32Array(512))).toThrow(InvalidStateError);
  });
});
