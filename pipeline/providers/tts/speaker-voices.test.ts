import { describe, expect, it } from 'vitest';
import { SpeakerVoiceAssigner } from './speaker-voices.js';

const voices = { es: ['es-A', 'es-B', 'es-C'], pt: ['pt-A', 'pt-B'] };

describe('SpeakerVoiceAssigner', () => {
  it('gives speakers voices round-robin in the order they first speak', () => {
    const a = new SpeakerVoiceAssigner(voices);
    expect(a.voiceFor('S2', 'es')).toEqual({ voice: 'es-A', index: 0 });
    expect(a.voiceFor('S1', 'es')).toEqual({ voice: 'es-B', index: 1 });
    expect(a.voiceFor('S3', 'es')).toEqual({ voice: 'es-C', index: 2 });
  });

  it('keeps each speaker on one voice for the whole stream', () => {
    const a = new SpeakerVoiceAssigner(voices);
    const order = ['S1', 'S2', 'S1', 'S3', 'S2', 'S1', 'S3', 'S1'];
    const seen = new Map<string, string>();
    for (const s of order) {
      const v = a.voiceFor(s, 'es')?.voice;
      expect(v).toBeDefined();
      if (seen.has(s)) expect(v).toBe(seen.get(s));
      seen.set(s, v as string);
    }
    expect(new Set(seen.values()).size).toBe(3);
  });

  it('wraps around when there are more speakers than voices', () => {
    const a = new SpeakerVoiceAssigner(voices);
    expect(['S1', 'S2', 'S3'].map((s) => a.voiceFor(s, 'pt')?.voice)).toEqual(['pt-A', 'pt-B', 'pt-A']);
  });

  it('assigns per language and matches regional tags to their base list', () => {
    const a = new SpeakerVoiceAssigner(voices);
    a.voiceFor('S1', 'es');
    expect(a.voiceFor('S9', 'pt-BR')?.voice).toBe('pt-A');
    expect(a.voiceFor('S1', 'PT_br')?.voice).toBe('pt-B');
    expect(a.snapshot()).toEqual({ es: { S1: 'es-A' }, 'pt-br': { S9: 'pt-A', S1: 'pt-B' } });
  });

  it('answers undefined for a language without a list (the provider default speaks)', () => {
    expect(new SpeakerVoiceAssigner(voices).voiceFor('S1', 'fr')).toBeUndefined();
  });

  it('forgets the oldest speaker past its bound without resetting the round', () => {
    const a = new SpeakerVoiceAssigner(voices, 2);
    expect(['S1', 'S2', 'S3'].map((s) => a.voiceFor(s, 'es')?.voice)).toEqual(['es-A', 'es-B', 'es-C']);
    // S1 was forgotten: it comes back as a new speaker, next in the round.
    expect(a.voiceFor('S1', 'es')?.voice).toBe('es-A');
    expect(Object.keys(a.snapshot().es)).toEqual(['S3', 'S1']);
  });
});
