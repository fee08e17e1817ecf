/** The mt section of the config: which provider, its options and its fallbacks. */
import { z } from 'zod';

export const mtSchema = z.object({
  provider: z.literal('apertium').default('apertium'),
  /** Source sentences kept as context for providers that use it. */
  contextSentences: z.number().int().min(0).max(20).default(3),
  /** A clause is translated early once this many stable words follow the last cut... */
  clauseMinWords: z.number().int().min(2).default(6),
  /** ...and the ASR saw a pause of at least this long between words. */
  clausePauseMs: z.number().int().min(0).default(150),
  /** ...or, failing a pause, once the clause is this long (a live dub must not wait for a whole long sentence). */
  clauseMaxMs: z.number().int().min(1000).default(3000),
});
