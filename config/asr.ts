/** The asr section of the config: which provider, its options and its fallbacks. */
import { z } from 'zod';
import { languageCode } from './common.js';

export const asrSchema = z.object({
  provider: z.literal('pocketsphinx').default('pocketsphinx'),
  language: languageCode.default('en'),
  pocketsphinx: z
    .object({
      hmm: z.string().default('/usr/share/pocketsphinx/model/en-us/en-us'),
      lm: z.string().default('/usr/share/pocketsphinx/model/en-us/en-us.lm.bin'),
      dict: z.string().default('/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict'),
    })
    .default({}),
  /** Feed size for streaming engines; a partial hypothesis per chunk. */
  chunkMs: z.number().int().min(20).max(1000).default(100),
  /** LocalAgreement-n: a word is stable once n consecutive hypotheses agree on it. */
  agreement: z.number().int().min(1).max(5).default(2),
});
