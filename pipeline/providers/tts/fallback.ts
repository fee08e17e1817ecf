/**
 * A chain of TTS providers tried in order: the first that speaks the language and succeeds answers, and
 * the result says which one it was. A provider that failed in a way that will last (network down, 5xx,
 * bad key) is skipped for `cooldownMs`, so a live stream does not wait for a dead host on every unit.
 *
 * Voice names are provider-specific: a voice found at position k of one provider's list for the language
 * becomes position k of the next provider's list, so per-speaker voices stay distinct after a fallback.
 */
import type { Logger } from 'pino';
import { DubdError, InvalidStateError, isAbortError } from '../../errors.js';
import type { EngineInfo, TtsCapabilities, TtsProvider } from '../types.js';
import { langKey, listFor, type ClonedTtsRequest, type SpokenResult } from './request.js';

export interface FallbackEntry {
  provider: TtsProvider;
  /** The voices per language this provider's per-speaker assignment uses. */
  voices: Record<string, string[]>;
}

export interface FallbackOptions {
  cooldownMs: number;
  log?: Logger;
  now?: () => number;
}

export const defaultFallbackOptions: FallbackOptions = { cooldownMs: 30_000 };

/** Failures that will not go away by the next sentence. */
function lasting(err: unknown): boolean {
  return err instanceof DubdError && (err.retryable || ['UNAUTHENTICATED', 'FORBIDDEN', 'ENGINE_MISSING'].includes(err.code));
}

function speaks(p: TtsProvider, lang: string): boolean {
  const key = langKey(lang);
  const base = key.split('-')[0];
  return p.capabilities.languages.some((l) => langKey(l) === key || langKey(l) === base);
}

export class FallbackTts implements TtsProvider {
  readonly info: EngineInfo;
  readonly capabilities: TtsCapabilities;
  /** Successful syntheses per provider id. */
  readonly spoke: Record<string, number> = {};
  /** The provider that answered the last request. */
  lastSpoke: string | undefined;
  private readonly entries: FallbackEntry[];
  private readonly o: FallbackOptions;
  private readonly downUntil = new Map<TtsProvider, number>();
  private closing: Promise<void> | undefined;

  constructor(entries: FallbackEntry[], opts: Partial<FallbackOptions> = {}) {
    if (!entries.length) throw new DubdError('INVALID_ARGUMENT', 'a TTS fallback chain needs at least one provider');
    this.entries = entries;
    this.o = { ...defaultFallbackOptions, ...opts };
    const [first] = entries;
    this.info = { id: entries.map((e) => e.provider.info.id).join('>'), version: first.provider.info.version };
    const languages = new Set(entries.flatMap((e) => e.provider.capabilities.languages));
    this.capabilities = { sampleRate: first.provider.capabilities.sampleRate, languages: [...languages].sort(), rate: first.provider.capabilities.rate };
    for (const e of entries) this.spoke[e.provider.info.id] = 0;
  }

  get providers(): TtsProvider[] {
    return this.entries.map((e) => e.provider);
  }

  async synthesize(req: ClonedTtsRequest): Promise<SpokenResult> {
    if (this.closing) throw new InvalidStateError('synthesize() after close()');
    const now = (this.o.now ?? Date.now)();
    const failures: string[] = [];
    let last: unknown;
    for (const [i, entry] of this.entries.entries()) {
      const p = entry.provider;
      if (!speaks(p, req.lang)) continue;
      const until = this.downUntil.get(p) ?? 0;
      // The last provider is always tried: better a slow answer than none.
      if (until > now && i < this.entries.length - 1) {
        failures.push(`${p.info.id}: skipped after a failure`);
        continue;
      }
      try {
        const result: SpokenResult = await p.synthesize({ ...req, voice: this.voiceFor(i, req) });
        this.downUntil.delete(p);
        this.spoke[p.info.id] = (this.spoke[p.info.id] ?? 0) + 1;
        this.lastSpoke = p.info.id;
        return { ...result, provider: result.provider ?? p.info.id };
      } catch (err) {
        if (isAbortError(err) || req.signal?.aborted || err instanceof InvalidStateError) throw err;
        last = err;
        const message = err instanceof Error ? err.message : String(err);
        failures.push(`${p.info.id}: ${message}`);
        if (lasting(err)) this.downUntil.set(p, now + this.o.cooldownMs);
        const next = this.entries.slice(i + 1).find((e) => speaks(e.provider, req.lang));
        this.o.log?.warn({ provider: p.info.id, next: next?.provider.info.id, err: message }, 'tts provider failed; trying the next');
      }
    }
    if (!failures.length) {
      throw new DubdError('INVALID_ARGUMENT', `no TTS provider speaks '${req.lang}' (${this.info.id}: ${this.capabilities.languages.join(', ')})`);
    }
    const retryable = last instanceof DubdError ? last.retryable : true;
    const code = last instanceof DubdError ? last.code : 'ENGINE_FAILED';
    throw new DubdError(code, `no TTS provider could speak: ${failures.join('; ')}`, { retryable, cause: last });
  }

  /** Idempotent: closes every provider of the chain. */
  close(): Promise<void> {
    this.closing ??= Promise.allSettled(this.entries.map((e) => e.provider.close())).then(() => undefined);
    return this.closing;
  }

  /** The request's voice in entry i's terms: same name if it has it, else the same position in its list. */
  private voiceFor(i: number, req: ClonedTtsRequest): string | undefined {
    if (!req.voice) return undefined;
    const own = listFor(this.entries[i].voices, req.lang);
    if (own?.includes(req.voice)) return req.voice;
    for (const e of this.entries) {
      const k = listFor(e.voices, req.lang)?.indexOf(req.voice) ?? -1;
      if (k >= 0) return own?.length ? own[k % own.length] : undefined;
    }
    // A voice no list knows was asked for by name: pass it on as it is.
    return req.voice;
  }
}
