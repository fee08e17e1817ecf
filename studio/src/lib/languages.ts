/** Language codes offered in pickers (the server says which pairs its engines can do when asked). */
export const TARGET_LANGUAGES = ['es', 'pt', 'fr', 'de', 'it', 'nl', 'pl', 'ru', 'ja', 'zh', 'ko', 'ar', 'hi', 'en'] as const;

let names: Intl.DisplayNames | undefined;

/** "es" → "Spanish (es)"; unknown codes stay as they are. */
export function languageName(code: string): string {
  try {
    names ??= new Intl.DisplayNames(['en'], { type: 'language' });
    const n = names.of(code);
    return n && n !== code ? `${n} (${code})` : code;
  } catch {
    return code;
  }
}
