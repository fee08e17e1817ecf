/**
 * The translation prompt an LLM gets: a system instruction (translate, keep the meaning, output only the
 * translation), the glossary, the length budget, and the previous sentences as context that must not be
 * translated. Also the follow-up that asks for a shorter version, and the clean-up of the reply.
 */
import type { Glossary } from './types.js';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** Languages the LLM providers offer (any pair of two different ones). */
export const LANGUAGE_NAMES: Record<string, string> = {
  en: 'English',
  es: 'Spanish',
  'es-419': 'Latin American Spanish',
  pt: 'Portuguese',
  'pt-BR': 'Brazilian Portuguese',
  'pt-PT': 'European Portuguese',
  fr: 'French',
  de: 'German',
  it: 'Italian',
  ca: 'Catalan',
  nl: 'Dutch',
  pl: 'Polish',
  ru: 'Russian',
  uk: 'Ukrainian',
  tr: 'Turkish',
  ar: 'Arabic',
  hi: 'Hindi',
  ja: 'Japanese',
  ko: 'Korean',
  zh: 'Chinese',
};

export function languageName(code: string): string {
  return LANGUAGE_NAMES[code] ?? LANGUAGE_NAMES[code.split('-')[0] ?? ''] ?? code;
}

/** Every ordered pair of two different languages the prompt can name, as 'en-es'. */
export function llmPairs(): string[] {
  const codes = Object.keys(LANGUAGE_NAMES);
  return codes.flatMap((a) => codes.filter((b) => b !== a && b.split('-')[0] !== a.split('-')[0]).map((b) => `${a}-${b}`));
}

export interface PromptInput {
  text: string;
  from: string;
  to: string;
  context: string[];
  glossary?: Glossary;
  maxSyllables?: number;
}

/** Glossary entries whose source term occurs in the text or its context (a long glossary is not all sent). */
export function relevantTerms(glossary: Glossary | undefined, text: string, context: string[]): [string, string][] {
  if (!glossary) return [];
  const haystack = ` ${[text, ...context].join(' ').toLowerCase()} `;
  return Object.entries(glossary).filter(([src]) => haystack.includes(src.toLowerCase()));
}

export function buildMessages(p: PromptInput): ChatMessage[] {
  const from = languageName(p.from);
  const to = languageName(p.to);
  const rules = [
    `You are a professional translator for dubbing. Translate the ${from} text the user gives into ${to}.`,
    'Keep the meaning, tone and register; speech-recognition text may lack punctuation and capitals: fix them in the translation.',
    'Output only the translation: no quotes, notes, explanations, alternatives or source text.',
  ];
  const terms = relevantTerms(p.glossary, p.text, p.context);
  if (terms.length > 0) {
    rules.push(`Always translate these terms as given:\n${terms.map(([s, t]) => `- ${s} → ${t}`).join('\n')}`);
  }
  if (p.maxSyllables !== undefined) {
    rules.push(`The translation is spoken in a fixed time slot: use at most ${p.maxSyllables} syllables; shorten wording rather than drop meaning.`);
  }
  const user = p.context.length > 0
    ? `Previous sentences, for context only (do not translate them):\n${p.context.map((c) => `> ${c}`).join('\n')}\n\nTranslate:\n${p.text}`
    : `Translate:\n${p.text}`;
  return [
    { role: 'system', content: rules.join('\n') },
    { role: 'user', content: user },
  ];
}

/** The follow-up when the first answer is over budget. */
export function shorterMessages(first: ChatMessage[], answer: string, syllables: number, maxSyllables: number, to: string): ChatMessage[] {
  return [
    ...first,
    { role: 'assistant', content: answer },
    {
      role: 'user',
      content: `That is ${syllables} syllables; the limit is ${maxSyllables}. Give a shorter ${languageName(to)} translation with the same meaning, at most ${maxSyllables} syllables. Output only the translation.`,
    },
  ];
}

const QUOTES: [string, string][] = [['"', '"'], ['“', '”'], ['«', '»'], ["'", "'"], ['„', '“']];

/** The translation out of a reply: no label, no wrapping quotes, one line. */
export function cleanReply(reply: string): string {
  let s = reply.trim().replace(/^(?:translation|traducción|tradução)\s*:\s*/i, '');
  for (const [open, close] of QUOTES) {
    if (s.length >= 2 && s.startsWith(open) && s.endsWith(close) && !s.slice(1, -1).includes(close)) {
      s = s.slice(1, -1).trim();
      break;
    }
  }
  return s.replace(/\s+/g, ' ').trim();
}
