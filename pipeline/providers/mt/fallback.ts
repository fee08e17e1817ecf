/**
 * A chain of translators tried in order: the configured provider (or consensus) first, then the
 * fallbacks. An entry that fails, lacks the pair, or (live) misses the deadline hands the unit to the next.
 *
 * The live deadline counts from the call's start. Remote entries get what is left of it and are skipped
 * once it has passed; local entries (Apertium) run to completion: after the deadline they are the way to
 * still have a dub. When every entry fails, the error is retryable if any entry's was, so the stage skips
 * the unit (the original audio plays, subtitles still show) instead of failing the stream.
 */
import { DubdError, InvalidStateError, isAbortError, userMessage } from '../../errors.js';
import type { EngineInfo, MtCapabilities, MtRequest } from '../types.js';
import { supportsPair, type DetailedMtProvider, type MtCallRequest, type MtCandidate, type MtResult } from './types.js';

export class FallbackMt implements DetailedMtProvider {
  readonly info: EngineInfo;
  readonly capabilities: MtCapabilities;
  readonly remote: boolean;
  private closed = false;

  constructor(
    private readonly entries: DetailedMtProvider[],
    private readonly now: () => number = () => performance.now(),
  ) {
    if (entries.length === 0) throw new DubdError('INVALID_CONFIG', 'the mt fallback chain is empty');
    this.info = entries.length === 1 ? entries[0].info : { id: entries.map((e) => e.info.id).join('>'), version: entries.map((e) => `${e.info.id} ${e.info.version}`).join(', ') };
    const pairs = new Set(entries.flatMap((e) => e.capabilities.pairs));
    this.capabilities = { pairs: [...pairs].sort(), usesContext: entries.some((e) => e.capabilities.usesContext), streaming: entries[0].capabilities.streaming };
    this.remote = entries.every((e) => e.remote);
  }

  async translate(req: MtRequest): Promise<string> {
    return (await this.translateDetailed(req)).text;
  }

  async translateDetailed(req: MtCallRequest): Promise<MtResult> {
    if (this.closed) throw new InvalidStateError('mt: translate() after close()');
    const start = this.now();
    const failures: MtCandidate[] = [];
    const errors: DubdError[] = [];
    for (const [i, entry] of this.entries.entries()) {
      if (!supportsPair(entry, req.from, req.to)) continue;
      let deadlineMs: number | undefined;
      if (req.deadlineMs !== undefined && entry.remote) {
        deadlineMs = Math.round(req.deadlineMs - (this.now() - start));
        if (deadlineMs <= 0) {
          failures.push({ provider: entry.info.id, error: `skipped: the ${req.deadlineMs} ms deadline had passed`, ms: 0 });
          continue;
        }
      }
      const t0 = this.now();
      try {
        const r = await entry.translateDetailed({ ...req, deadlineMs });
        return { ...r, candidates: [...failures, ...r.candidates], fallback: r.fallback || i > 0 };
      } catch (err) {
        if (req.signal?.aborted) throw isAbortError(err) ? err : new DubdError('ABORTED', 'translation aborted', { cause: err });
        const e = err instanceof DubdError ? err : new DubdError('ENGINE_FAILED', userMessage(err), { retryable: true, cause: err });
        errors.push(e);
        failures.push({ provider: entry.info.id, error: e.message, ms: this.now() - t0 });
      }
    }
    if (failures.length === 0) {
      throw new DubdError('UNSUPPORTED_LANGUAGE_PAIR', `no translator for ${req.from}→${req.to}; available: ${this.capabilities.pairs.join(', ')}`);
    }
    // Entries skipped for the deadline count as retryable failures: the next unit may make it.
    const retryable = errors.length < failures.length || errors.some((e) => e.retryable);
    const summary = failures.map((f) => `${f.provider}: ${f.error}`).join('; ');
    throw new DubdError(retryable ? 'ENGINE_FAILED' : errors[0].code, `no translation (${summary})`, { retryable, cause: errors[0] });
  }

  /** Idempotent; closes every entry. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled(this.entries.map((e) => e.close()));
  }
}
