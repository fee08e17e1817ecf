import { describe, expect, it } from 'vitest';
import { buildMessages, cleanReply, llmPairs, relevantTerms, shorterMessages } from './prompt.js';

describe('buildMessages', () => {
  it('puts the instruction, glossary terms and syllable budget in the system message', () => {
    const [system, user] = buildMessages({ text: 'the keynote starts now', from: 'en', to: 'es', context: [], glossary: { keynote: 'ponencia principal', widget: 'componente' }, maxSyllables: 12 });
    expect(system.role).toBe('system');
    expect(system.content).toContain('into Spanish');
    expect(system.content).toContain('Output only the translation');
    expect(system.content).toContain('keynote → ponencia principal');
    expect(system.content).not.toContain('widget');
    expect(system.content).toContain('at most 12 syllables');
    expect(user).toEqual({ role: 'user', content: 'Translate:\nthe keynote starts now' });
  });

  it('gives previous sentences as context that is not to be translated', () => {
    const [, user] = buildMessages({ text: 'and then we left', from: 'en', to: 'pt-BR', context: ['we arrived early', 'it was raining'] });
    expect(user.content).toBe('Previous sentences, for context only (do not translate them):\n> we arrived early\n> it was raining\n\nTranslate:\nand then we left');
  });

  it('asks for a shorter version with the first answer as the assistant turn', () => {
    const first = buildMessages({ text: 'x', from: 'en', to: 'es', context: [] });
    const next = shorterMessages(first, 'una traducción larga', 9, 5, 'es');
    expect(next.slice(0, 2)).toEqual(first);
    expect(next[2]).toEqual({ role: 'assistant', content: 'una traducción larga' });
    expect(next[3].content).toContain('That is 9 syllables; the limit is 5');
  });
});

describe('relevantTerms', () => {
  it('keeps terms that occur in the text or context, case-insensitively', () => {
    expect(relevantTerms({ GPU: 'GPU', Keynote: 'ponencia' }, 'the keynote', [])).toEqual([['Keynote', 'ponencia']]);
    expect(relevantTerms(undefined, 'x', [])).toEqual([]);
  });
});

describe('cleanReply', () => {
  it('strips a label, wrapping quotes and line breaks', () => {
    expect(cleanReply('  Translation: "Hola a todos"\n')).toBe('Hola a todos');
    expect(cleanReply('«Buenos días»')).toBe('Buenos días');
    expect(cleanReply('Dijo "hola" y se fue')).toBe('Dijo "hola" y se fue');
    expect(cleanReply('línea uno\nlínea dos')).toBe('línea uno línea dos');
  });
});

describe('llmPairs', () => {
  it('offers every pair of two different languages, regional variants included', () => {
    const pairs = llmPairs();
    expect(pairs).toContain('en-es');
    expect(pairs).toContain('en-pt-BR');
    expect(pairs).toContain('es-en');
    expect(pairs).not.toContain('es-es-419');
  });
});
