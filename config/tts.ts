/** The tts section of the config: which provider, its options and its fallbacks. */
import { z } from 'zod';

export const ttsSchema = z.object({
  provider: z.literal('espeak-ng').default('espeak-ng'),
  /** espeak-ng voice per target language. */
  voices: z.record(z.string(), z.string()).default({ es: 'es', pt: 'pt-br', en: 'en-us', 'es-419': 'es-419' }),
  /** Words per minute at rate 1. */
  wordsPerMinute: z.number().int().min(80).max(450).default(175),
});
