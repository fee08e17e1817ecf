/**
 * What the production translators add to the MtProvider interface: a request that carries a glossary and
 * a live deadline, and a detailed result (every candidate, the choice, cache hit, fallback) for the report.
 * Plain MtProviders (Apertium, fakes) get the detailed shape through `detailed()`.
 */
import type { MtProvider, MtRequest } from '../types.js';

/** Source term → target term the translation must use. */
export type Glossary = Record<string, string>;

export interface MtCallRequest extends MtRequest {
  /** Terms for this request's target language. */
  glossary?: Glossary;
  /**
   * Live: remote providers that have not answered this long after the call started are abandoned and
   * the local fallback translates instead.
   */
  deadlineMs?: number;
}

export interface MtCandidate {
  provider: string;
  /** The translation, when the provider gave one. */
  text?: string;
  /** Why it gave none. */
  error?: string;
  ms: number;
  /** Consensus: mean similarity to the other candidates (documented in similarity.ts). */
  agreement?: number;
}

export interface MtResult {
  text: string;
  /** Who produced the chosen text, e.g. 'openai', 'consensus(openai)', 'apertium'. */
  provider: string;
  /** Every candidate considered, the chosen one included (one entry for a single provider). */
  candidates: MtCandidate[];
  cacheHit: boolean;
  /** The text came from a fallback entry, not the configured providers. */
  fallback: boolean;
  /** A length-budgeted provider asked again for a shorter version. */
  shortened?: boolean;
}

export interface DetailedMtProvider extends MtProvider {
  /** Talks to a remote service (subject to the live deadline); local engines run to completion. */
  readonly remote: boolean;
  translateDetailed(req: MtCallRequest): Promise<MtResult>;
}

export function isDetailed(p: MtProvider): p is DetailedMtProvider {
  return typeof (p as Partial<DetailedMtProvider>).translateDetailed === 'function';
}

/** The detailed shape for any provider; a detailed one is returned as is. */
export function detailed(p: MtProvider, remote = false): DetailedMtProvider {
  if (isDetailed(p)) return p;
  return {
    info: p.info,
    capabilities: p.capabilities,
    remote,
    translate: (req) => p.translate(req),
    async translateDetailed(req) {
      const start = performance.now();
      const text = await p.translate(req);
      return { text, provider: p.info.id, candidates: [{ provider: p.info.id, text, ms: performance.now() - start }], cacheHit: false, fallback: false };
    },
    close: () => p.close(),
  };
}

/** Whether a provider can translate a pair ('en-es'); a provider listing no pairs takes any. */
export function supportsPair(p: MtProvider, from: string, to: string): boolean {
  return p.capabilities.pairs.length === 0 || p.capabilities.pairs.includes(`${from}-${to}`);
}
