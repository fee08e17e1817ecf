/**
 * Consensus: every member translates the same request at once and the candidate the others agree with
 * most wins: highest mean similarity (character-trigram Jaccard, see similarity.ts) to the other
 * candidates; ties go to the member listed first (config order is preference). With two candidates the
 * similarity is mutual, so the first listed wins unless it failed: a vote needs three. Every candidate,
 * failures included, is recorded in the result.
 *
 * Under a live deadline, remote members that have not answered are abandoned when it passes (each honours
 * `deadlineMs` itself) and the vote runs among the candidates that arrived.
 */
import { DubdError, InvalidStateError, isAbortError, userMessage } from '../../errors.js';
import type { EngineInfo, MtCapabilities, MtRequest } from '../types.js';
import { meanAgreement } from './similarity.js';
import { supportsPair, type DetailedMtProvider, type MtCallRequest, type MtCandidate, type MtResult } from './types.js';

export class ConsensusMt implements DetailedMtProvider {
  readonly info: EngineInfo;
  readonly capabilities: MtCapabilities;
  readonly remote: boolean;
  private closed = false;

  constructor(private readonly members: DetailedMtProvider[]) {
    if (members.length === 0) throw new DubdError('INVALID_CONFIG', 'consensus needs at least one provider');
    this.info = { id: `consensus(${members.map((m) => m.info.id).join('+')})`, version: members.map((m) => `${m.info.id} ${m.info.version}`).join(', ') };
    // A member that lacks a pair sits that pair out: the consensus offers every pair any member offers.
    const pairs = new Set(members.flatMap((m) => m.capabilities.pairs));
    this.capabilities = { pairs: [...pairs].sort(), usesContext: members.some((m) => m.capabilities.usesContext), streaming: false };
    this.remote = members.some((m) => m.remote);
  }

  async translate(req: MtRequest): Promise<string> {
    return (await this.translateDetailed(req)).text;
  }

  async translateDetailed(req: MtCallRequest): Promise<MtResult> {
    if (this.closed) throw new InvalidStateError('consensus: translate() after close()');
    const voters = this.members.filter((m) => supportsPair(m, req.from, req.to));
    if (voters.length === 0) {
      throw new DubdError('UNSUPPORTED_LANGUAGE_PAIR', `no consensus member translates ${req.from}→${req.to}`);
    }
    const outcomes = await Promise.all(voters.map((m) => this.candidate(m, req)));
    if (req.signal?.aborted) throw new DubdError('ABORTED', 'translation aborted', { cause: req.signal.reason });
    type Answered = (typeof outcomes)[number] & { text: string };
    const answered = outcomes.filter((c): c is Answered => c.text !== undefined);
    if (answered.length === 0) {
      const retryable = outcomes.some((c) => c.retryable);
      throw new DubdError(retryable ? 'ENGINE_FAILED' : outcomes[0].code, `every consensus member failed: ${outcomes.map((c) => `${c.provider}: ${c.error}`).join('; ')}`, { retryable });
    }
    const agreement = meanAgreement(answered.map((c) => c.text));
    let best = 0;
    for (let i = 1; i < answered.length; i++) if (agreement[i] > agreement[best] + 1e-9) best = i;
    answered.forEach((c, i) => (c.agreement = round(agreement[i])));
    const candidates: MtCandidate[] = outcomes.map(({ provider, text, error, ms, agreement: a }) => ({ provider, text, error, ms, agreement: a }));
    return { text: answered[best].text, provider: answered[best].provider, candidates, cacheHit: false, fallback: false };
  }

  /** Idempotent; closes the members. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled(this.members.map((m) => m.close()));
  }

  private async candidate(m: DetailedMtProvider, req: MtCallRequest): Promise<MtCandidate & { retryable?: boolean; code: DubdError['code'] }> {
    const start = performance.now();
    try {
      // Local members run to completion; only remote ones are bound by the deadline.
      const r = await m.translateDetailed(m.remote ? req : { ...req, deadlineMs: undefined });
      return { provider: m.info.id, text: r.text, ms: round(performance.now() - start), code: 'ENGINE_FAILED' };
    } catch (err) {
      if (isAbortError(err) && req.signal?.aborted) return { provider: m.info.id, error: 'aborted', ms: round(performance.now() - start), code: 'ABORTED' };
      const retryable = err instanceof DubdError ? err.retryable : true;
      const code = err instanceof DubdError ? err.code : 'ENGINE_FAILED';
      return { provider: m.info.id, error: userMessage(err), ms: round(performance.now() - start), retryable, code };
    }
  }
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
