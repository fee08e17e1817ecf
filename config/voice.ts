/** The voice section of the config: which provider, its options and its fallbacks. */
import { z } from 'zod';

export const voiceSchema = z.object({
  provider: z.enum(['pitch-match', 'none']).default('pitch-match'),
  /** Largest pitch shift applied, in semitones either way. */
  maxShiftSemitones: z.number().min(0).max(12).default(7),
});
