/**
 * Builds the providers a config names. Everything loaded here is closed by closeProviders(); a failure
 * half way closes what was already loaded.
 */
import type { Logger } from 'pino';
import type { DubdConfig } from '../../config/schema.js';
import { DubdError } from '../errors.js';
import type { Providers } from './types.js';
import { SileroVad } from './vad-silero.js';
import { loadAsr } from './load-asr.js';
import { loadMt } from './load-mt.js';
import { loadTts } from './load-tts.js';
import { loadVoice } from './load-voice.js';

export async function loadProviders(cfg: DubdConfig, opts: { log?: Logger; onCount?: (name: string) => void } = {}): Promise<Providers> {
  const { log } = opts;
  const loaded: { close(): Promise<void> }[] = [];
  const keep = <T extends { close(): Promise<void> }>(p: T): T => {
    loaded.push(p);
    return p;
  };
  try {
    const vad = keep(await SileroVad.load({ model: cfg.vad.model, threshold: cfg.vad.threshold }));
    const asr = keep(await loadAsr(cfg, { log }));
    const mt = keep(await loadMt(cfg, { log, onCount: opts.onCount }));
    const tts = keep(await loadTts(cfg, { log }));
    const voice = keep(await loadVoice(cfg, { log }));
    return { vad, asr, mt, tts, voice };
  } catch (err) {
    await Promise.allSettled(loaded.map((p) => p.close()));
    throw err;
  }
}

export async function closeProviders(p: Providers): Promise<void> {
  await Promise.allSettled([p.vad.close(), p.asr.close(), p.mt.close(), p.tts.close(), p.voice.close()]);
}

/** Fails before any work when a target language cannot be translated or spoken. */
export function checkLanguages(p: Providers, from: string, to: string[]): void {
  for (const lang of to) {
    if (!p.mt.capabilities.pairs.includes(`${from}-${lang}`)) {
      throw new DubdError(
        'UNSUPPORTED_LANGUAGE_PAIR',
        `cannot translate ${from}→${lang} with ${p.mt.info.id}; available: ${p.mt.capabilities.pairs.join(', ')}`,
      );
    }
    if (!p.tts.capabilities.languages.includes(lang)) {
      throw new DubdError('UNSUPPORTED_LANGUAGE_PAIR', `no ${p.tts.info.id} voice for '${lang}'; available: ${p.tts.capabilities.languages.join(', ')}`);
    }
  }
  if (!p.asr.capabilities.languages.includes(from)) {
    throw new DubdError('UNSUPPORTED_LANGUAGE_PAIR', `${p.asr.info.id} does not recognise '${from}'; available: ${p.asr.capabilities.languages.join(', ')}`);
  }
}
