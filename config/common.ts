/** Schema pieces shared by several config sections. */
import { z } from 'zod';

export const languageCode = z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$/, 'a language code such as es or pt-BR');
