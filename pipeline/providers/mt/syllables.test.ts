import { describe, expect, it } from 'vitest';
import { countSyllables } from './syllables.js';

describe('countSyllables', () => {
  it('counts Spanish diphthongs as one syllable and hiatus as two', () => {
    expect(countSyllables('bueno', 'es')).toBe(2); // bue-no
    expect(countSyllables('ciudad', 'es')).toBe(2); // ciu-dad
    expect(countSyllables('poeta', 'es')).toBe(3); // po-e-ta
    expect(countSyllables('leer', 'es')).toBe(2); // le-er
  });

  it('lets an accent break a Spanish diphthong', () => {
    expect(countSyllables('día', 'es')).toBe(2);
    expect(countSyllables('país', 'es')).toBe(2);
    expect(countSyllables('dia', 'es')).toBe(1);
  });

  it('treats y as a consonant before a vowel and as a glide at the end of a word', () => {
    expect(countSyllables('hoy muy rey', 'es')).toBe(3);
    expect(countSyllables('mayo', 'es')).toBe(2);
    expect(countSyllables('y', 'es')).toBe(1);
  });

  it('counts a whole Spanish sentence', () => {
    // Ho-la a to-dos, bien-ve-ni-dos a la con-fe-ren-cia = 2 + 1 + 2 + 4 + 1 + 1 + 4
    expect(countSyllables('Hola a todos, bienvenidos a la conferencia.', 'es')).toBe(15);
    expect(countSyllables('Hola a todos', 'es-419')).toBe(5);
  });

  it('counts Portuguese nasal diphthongs as one syllable', () => {
    expect(countSyllables('não', 'pt')).toBe(1);
    expect(countSyllables('mães', 'pt')).toBe(1);
    expect(countSyllables('põe', 'pt')).toBe(1);
    expect(countSyllables('coração', 'pt-BR')).toBe(3); // co-ra-ção
    expect(countSyllables('muito obrigado', 'pt')).toBe(6); // mui-to o-bri-ga-do
  });

  it('drops the silent final e of English words', () => {
    expect(countSyllables('time', 'en')).toBe(1);
    expect(countSyllables('little', 'en')).toBe(2);
    expect(countSyllables('wanted', 'en')).toBe(2);
    expect(countSyllables('named', 'en')).toBe(1);
    expect(countSyllables('the quick brown fox jumps over the lazy dog', 'en')).toBe(11);
  });

  it('counts digits one syllable each and ignores punctuation', () => {
    expect(countSyllables('2024', 'es')).toBe(4);
    expect(countSyllables('¡¿...?!', 'es')).toBe(0);
  });

  it('falls back to vowel groups for other languages', () => {
    expect(countSyllables('bonjour madame', 'fr')).toBe(5);
  });
});
