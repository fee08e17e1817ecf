/**
 * Syllable counts for the length budget (a dub must fit its source slot). Orthographic rules, not a
 * pronunciation dictionary: good to a syllable or so per sentence, which is what a budget needs.
 *
 * Spanish and Portuguese: each vowel group is one syllable per strong vowel (a e o and any accented
 * vowel), and at least one; unaccented i/u beside another vowel glide (diphthongs: "bueno", "muito"), two
 * strong vowels split (hiatus: "leer", "poeta"), an accent breaks a diphthong ("día", "país"). Portuguese
 * nasal diphthongs ("não", "mães", "põe") are one syllable. Word-final y after a vowel glides ("hoy").
 * English: vowel groups, minus a silent final e / -es / -ed, at least one per word.
 * Other languages: vowel groups. Digits count one syllable each (a rough floor for spoken numbers).
 */

const STRONG_ES = new Set([...'aeoáéóíúàèòâêôãõ']);
const VOWELS = new Set([...'aeiouáéíóúàèìòùâêôãõüäëïöy']);
const NASAL_LEADS = new Set([...'ãõ']);

function baseLang(lang: string): string {
  return lang.toLowerCase().split(/[-_]/)[0] ?? lang;
}

/** Words of letters and digits, lowercased. */
function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** 'y' is a vowel unless a vowel follows it ("yo", "mayo"): then it is a consonant. */
function isVowelAt(word: string, i: number): boolean {
  const c = word[i] ?? '';
  if (c !== 'y') return VOWELS.has(c);
  const next = word[i + 1];
  return next === undefined || !VOWELS.has(next) || next === 'y';
}

function romanceWord(word: string, portuguese: boolean): number {
  let count = 0;
  let i = 0;
  while (i < word.length) {
    if (!isVowelAt(word, i)) {
      i++;
      continue;
    }
    let strong = 0;
    let prev = '';
    for (; i < word.length && isVowelAt(word, i); i++) {
      const c = word[i] ?? '';
      // After ã/õ the next vowel is the glide of a nasal diphthong (não, mãe, põe).
      const glide = portuguese && NASAL_LEADS.has(prev) && (c === 'o' || c === 'e' || c === 'i' || c === 'u');
      if (STRONG_ES.has(c) && !glide) strong++;
      prev = c;
    }
    count += Math.max(1, strong);
  }
  return count;
}

function englishWord(word: string): number {
  if (word.length <= 3) return /[aeiouy]/.test(word) ? 1 : 0;
  const trimmed = word.replace(/(?:[^laeiouy]es|[^laeiouytd]ed|[^laeiouy]e)$/, (m) => m[0] ?? '').replace(/^y/, '');
  const groups = trimmed.match(/[aeiouy]+/g)?.length ?? 0;
  return Math.max(1, groups);
}

function genericWord(word: string): number {
  let groups = 0;
  for (let i = 0; i < word.length; i++) if (isVowelAt(word, i) && (i === 0 || !isVowelAt(word, i - 1))) groups++;
  return Math.max(1, groups);
}

export function countSyllables(text: string, lang: string): number {
  const b = baseLang(lang);
  let total = 0;
  for (const w of words(text)) {
    const digits = w.replace(/\D/g, '').length;
    const letters = w.replace(/\d/g, '');
    if (digits > 0) total += digits;
    if (!letters) continue;
    if (b === 'es' || b === 'ca' || b === 'gl' || b === 'it') total += romanceWord(letters, false);
    else if (b === 'pt') total += romanceWord(letters, true);
    else if (b === 'en') total += englishWord(letters);
    else total += genericWord(letters);
  }
  return total;
}
