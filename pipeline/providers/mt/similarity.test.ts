import { describe, expect, it } from 'vitest';
import { meanAgreement, normaliseForComparison, similarity } from './similarity.js';

describe('similarity', () => {
  it('is 1 for texts that differ only in case, accents and punctuation', () => {
    expect(normaliseForComparison('¡Está BIEN!')).toBe('esta bien');
    expect(similarity('¡Está bien!', 'esta bien')).toBe(1);
  });

  it('is 0 for texts with no trigram in common, and for an empty text against a real one', () => {
    expect(similarity('abc', 'xyz')).toBe(0);
    expect(similarity('', 'hola')).toBe(0);
    expect(similarity('', '...')).toBe(1);
  });

  it('ranks a near paraphrase above an unrelated sentence', () => {
    const ref = 'Hola a todos, bienvenidos a la conferencia';
    const near = similarity(ref, 'Hola a todos y bienvenidos a esta conferencia');
    const far = similarity(ref, 'El gato duerme en el tejado');
    expect(near).toBeGreaterThan(0.5);
    expect(far).toBeLessThan(0.15);
  });

  it('is symmetric', () => {
    expect(similarity('hablamos mañana', 'hablábamos ayer')).toBe(similarity('hablábamos ayer', 'hablamos mañana'));
  });
});

describe('meanAgreement', () => {
  it('gives the odd one out the lowest agreement', () => {
    const a = meanAgreement(['Buenos días a todos', 'Buenos días a todos ustedes', 'El tren sale a las nueve']);
    expect(a[2]).toBeLessThan(a[0]);
    expect(a[2]).toBeLessThan(a[1]);
  });

  it('gives a lone candidate full agreement', () => {
    expect(meanAgreement(['hola'])).toEqual([1]);
  });
});
