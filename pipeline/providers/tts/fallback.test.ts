// The chain logic with scripted providers (plain objects implementing TtsProvider), and once with real espeak-ng.
import { describe, expect, it } from 'vitest';
import { DubdError, InvalidStateError } from '../../errors.js';
import type { TtsProvider, TtsRequest, TtsResult } from '../types.js';
import { EspeakTts } from '../tts-espeak.js';
import { FallbackTts } from './fallback.js';

interface Scripted extends TtsProvider {
  calls: TtsRequest[];
  failWith: DubdError | undefined;
  closed: number;
}

function scripted(id: string, languages: string[], sampleRate = 16_000): Scripted {
  const p: Scripted = {
    info: { id, version: '1' },
    capabilities: { sampleRate, languages, rate: true },
    calls: [],
    failWith: undefined,
    closed: 0,
    async synthesize(req: TtsRequest): Promise<TtsResult> {
      p.calls.push(req);
      if (p.failWith) throw p.failWith;
      return { samples: new Float32Array(10), sampleRate };
    },
    async close() {
      p.closed++;
    },
  };
  return p;
}

const down = () => new DubdError('ENGINE_FAILED', 'host unreachable', { retryable: true });

describe('FallbackTts', () => {
  it('answers with the first provider and records which one spoke', async () => {
    const a = scripted('edge', ['es']);
    const b = scripted('espeak-ng', ['es', 'pt']);
    const chain = new FallbackTts([{ provider: a, voices: {} }, { provider: b, voices: {} }]);
    const r = await chain.synthesize({ text: 'hola', lang: 'es' });
    expect(r.provider).toBe('edge');
    expect(chain.lastSpoke).toBe('edge');
    expect(b.calls).toHaveLength(0);
    expect(chain.info.id).toBe('edge>espeak-ng');
    expect(chain.capabilities.languages).toEqual(['es', 'pt']);
  });

  it('falls back when the first fails, and skips it for the cooldown after a lasting failure', async () => {
    let now = 1000;
    const a = scripted('edge', ['es']);
    const b = scripted('espeak-ng', ['es']);
    a.failWith = down();
    const chain = new FallbackTts([{ provider: a, voices: {} }, { provider: b, voices: {} }], { cooldownMs: 5000, now: () => now });
    expect((await chain.synthesize({ text: 'uno', lang: 'es' })).provider).toBe('espeak-ng');
    expect(a.calls).toHaveLength(1);
    await chain.synthesize({ text: 'dos', lang: 'es' });
    expect(a.calls).toHaveLength(1); // cooling down
    now += 6000;
    a.failWith = undefined;
    expect((await chain.synthesize({ text: 'tres', lang: 'es' })).provider).toBe('edge');
    expect(chain.spoke).toEqual({ edge: 1, 'espeak-ng': 2 });
  });

  it('passes over providers that do not speak the language', async () => {
    const a = scripted('edge', ['es']);
    const b = scripted('espeak-ng', ['pt']);
    const chain = new FallbackTts([{ provider: a, voices: {} }, { provider: b, voices: {} }]);
    expect((await chain.synthesize({ text: 'olá', lang: 'pt-BR' })).provider).toBe('espeak-ng');
    expect(a.calls).toHaveLength(0);
    await expect(chain.synthesize({ text: 'bonjour', lang: 'fr' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('maps a voice to the same position in the next provider’s list', async () => {
    const a = scripted('edge', ['es']);
    const b = scripted('espeak-ng', ['es']);
    a.failWith = new DubdError('ENGINE_FAILED', 'no audio', { retryable: false });
    const chain = new FallbackTts([
      { provider: a, voices: { es: ['es-ES-AlvaroNeural', 'es-ES-ElviraNeural'] } },
      { provider: b, voices: { es: ['es', 'es+f3'] } },
    ]);
    await chain.synthesize({ text: 'hola', lang: 'es', voice: 'es-ES-ElviraNeural' });
    expect(b.calls[0].voice).toBe('es+f3');
    // A name only the fallback knows reaches the first provider translated too.
    a.failWith = undefined;
    await chain.synthesize({ text: 'hola', lang: 'es', voice: 'es' });
    expect(a.calls[1].voice).toBe('es-ES-AlvaroNeural');
  });

  it('names every provider’s reason when all fail, keeping the last error’s code', async () => {
    const a = scripted('edge', ['es']);
    const b = scripted('espeak-ng', ['es']);
    a.failWith = down();
    b.failWith = new DubdError('INVALID_ARGUMENT', 'bad voice');
    const chain = new FallbackTts([{ provider: a, voices: {} }, { provider: b, voices: {} }]);
    const err = await chain.synthesize({ text: 'hola', lang: 'es' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'INVALID_ARGUMENT', retryable: false });
    expect((err as Error).message).toContain('edge: host unreachable');
    expect((err as Error).message).toContain('espeak-ng: bad voice');
  });

  it('does not fall back on an abort', async () => {
    const a = scripted('edge', ['es']);
    const b = scripted('espeak-ng', ['es']);
    a.failWith = new DubdError('ABORTED', 'synthesis aborted');
    const chain = new FallbackTts([{ provider: a, voices: {} }, { provider: b, voices: {} }]);
    await expect(chain.synthesize({ text: 'hola', lang: 'es' })).rejects.toMatchObject({ code: 'ABORTED' });
    expect(b.calls).toHaveLength(0);
  });

  it('close() closes every provider once and later calls throw InvalidStateError', async () => {
    const a = scripted('edge', ['es']);
    const b = scripted('espeak-ng', ['es']);
    const chain = new FallbackTts([{ provider: a, voices: {} }, { provider: b, voices: {} }]);
    await Promise.all([chain.close(), chain.close()]);
    expect([a.closed, b.closed]).toEqual([1, 1]);
    await expect(chain.synthesize({ text: 'hola', lang: 'es' })).rejects.toBeInstanceOf(InvalidStateError);
  });

  it('falls back to the real espeak-ng when the first provider is down', async () => {
    const a = scripted('edge', ['es']);
    a.failWith = down();
    const espeak = await EspeakTts.load();
    const chain = new FallbackTts([{ provider: a, voices: {} }, { provider: espeak, voices: {} }]);
    try {
      const r = await chain.synthesize({ text: 'La casa es roja.', lang: 'es' });
      expect(r.provider).toBe('espeak-ng');
      expect(r.sampleRate).toBe(22_050);
      expect(r.samples.length / r.sampleRate).toBeGreaterThan(0.3);
    } finally {
      await chain.close();
    }
  });
});
