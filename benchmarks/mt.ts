/**
 * Translation benchmark: what consensus costs over a single provider, and how often the cache hits on a
 * replay with repeated phrases. Real Apertium plus local servers speaking the OpenAI and Anthropic wire
 * formats through the official clients (no internet here); the servers answer with Apertium's translation
 * so the vote compares real texts. Their latency is loopback HTTP plus Apertium: the overhead measured is
 * dubd's (fan-out, waiting for the slowest, the vote), not a remote model's.
 */
import { ApertiumMt } from '../pipeline/providers/mt-apertium.js';
import { AnthropicMt } from '../pipeline/providers/mt/anthropic.js';
import { CachedMt, MemoryCacheStore } from '../pipeline/providers/mt/cache.js';
import { ConsensusMt } from '../pipeline/providers/mt/consensus.js';
import { OpenAiMt } from '../pipeline/providers/mt/openai.js';
import { meanAgreement } from '../pipeline/providers/mt/similarity.js';
import { startWireServer, type WireServer } from '../pipeline/providers/mt/testing/wire-servers.js';
import { detailed, type DetailedMtProvider } from '../pipeline/providers/mt/types.js';

export interface MtBenchmarkOptions {
  /** Sentences translated per provider setup in the overhead run. */
  sentences?: number;
  /** Length of the cache replay. */
  replay?: number;
  /** Distinct phrases the replay draws from. */
  phrases?: number;
  /** Seed of the replay's draws (the same seed replays the same talk). */
  seed?: number;
  /** Where the table goes. */
  print?: (text: string) => void;
}

export interface Timing {
  calls: number;
  meanMs: number;
  p50Ms: number;
  p95Ms: number;
}

export interface CacheRun {
  chain: string;
  keyedByContext: boolean;
  hits: number;
  misses: number;
  hitRate: number;
  /** Mean time of a hit and of a miss. */
  hitMs: number;
  missMs: number;
}

export interface MtBenchmarkResult {
  single: Timing & { provider: string };
  consensus: Timing & { providers: string[]; overheadMs: number; overheadPct: number; overheadP50Ms: number };
  /** The vote alone (similarity of every pair of candidates), per unit. */
  voteMeanMs: number;
  cache: CacheRun[];
}

/** Things a talk says, some of them many times. */
const PHRASES = [
  'thank you very much',
  'next slide please',
  'can everyone hear me',
  'let me show you an example',
  'this is the most important part',
  'any questions so far',
  'we will come back to this later',
  'as you can see on the screen',
  'the results were very good',
  'let us take a short break',
  'good morning everyone',
  'welcome to the conference',
  'the train leaves at nine',
  'I will share the slides after the talk',
  'please raise your hand',
  'this was our first attempt',
  'it works on my machine',
  'the second version is much faster',
  'we measured it every day',
  'thank you for coming',
  'that is a great question',
  'let me repeat the question',
  'we are running out of time',
  'the code is open source',
  'see you next year',
  'here is the plan for today',
  'the data comes from real users',
  'one more thing',
  'this is where it gets interesting',
  'I hope this was useful',
];

/** mulberry32: a small seeded PRNG, so a replay is the same every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A talk: phrases drawn with a Zipf-like skew (a few said often, most rarely). */
export function replayPhrases(n: number, distinct: number, seed: number): string[] {
  const pool = PHRASES.slice(0, Math.max(1, Math.min(distinct, PHRASES.length)));
  const weights = pool.map((_, i) => 1 / (i + 1));
  const total = weights.reduce((a, b) => a + b, 0);
  const rnd = prng(seed);
  return Array.from({ length: n }, () => {
    let x = rnd() * total;
    for (const [i, w] of weights.entries()) {
      x -= w;
      if (x <= 0) return pool[i];
    }
    return pool[pool.length - 1];
  });
}

function timing(ms: number[]): Timing {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
  const r = (n: number): number => Math.round(n * 100) / 100;
  return { calls: s.length, meanMs: r(s.reduce((a, b) => a + b, 0) / Math.max(1, s.length)), p50Ms: r(at(0.5)), p95Ms: r(at(0.95)) };
}

async function timeEach(p: DetailedMtProvider, texts: string[]): Promise<number[]> {
  const out: number[] = [];
  for (const text of texts) {
    const t0 = performance.now();
    await p.translateDetailed({ text, from: 'en', to: 'es', context: [] });
    out.push(performance.now() - t0);
  }
  return out;
}

/** Replays the talk through a cache the way the translate stage calls it (three sentences of context). */
async function replayThroughCache(chain: string, inner: DetailedMtProvider, talk: string[], contextInKey = true): Promise<CacheRun> {
  const cached = new CachedMt(inner, new MemoryCacheStore({ maxEntries: 10_000, ttlMs: 3_600_000 }), { ttlMs: 3_600_000, contextInKey });
  const hitMs: number[] = [];
  const missMs: number[] = [];
  const context: string[] = [];
  for (const text of talk) {
    const t0 = performance.now();
    const r = await cached.translateDetailed({ text, from: 'en', to: 'es', context: context.slice() });
    (r.cacheHit ? hitMs : missMs).push(performance.now() - t0);
    context.push(text);
    if (context.length > 3) context.shift();
    // Let the cache write land before the next phrase, as the time between units would.
    await new Promise((resolve) => setImmediate(resolve));
  }
  const s = cached.stats();
  return {
    chain,
    keyedByContext: inner.capabilities.usesContext && contextInKey,
    hits: s.hits,
    misses: s.misses,
    hitRate: Math.round(s.hitRate * 1000) / 1000,
    hitMs: timing(hitMs).meanMs,
    missMs: timing(missMs).meanMs,
  };
}

export function mtBenchmarkTable(r: MtBenchmarkResult): string {
  const lines = [
    '| setup | units | mean | p50 | p95 |',
    '|---|---|---|---|---|',
    `| single (${r.single.provider}) | ${r.single.calls} | ${r.single.meanMs} ms | ${r.single.p50Ms} ms | ${r.single.p95Ms} ms |`,
    `| consensus (${r.consensus.providers.join(' + ')}) | ${r.consensus.calls} | ${r.consensus.meanMs} ms | ${r.consensus.p50Ms} ms | ${r.consensus.p95Ms} ms |`,
    '',
    `consensus overhead per unit: mean ${r.consensus.overheadMs} ms (${r.consensus.overheadPct}%), p50 ${r.consensus.overheadP50Ms} ms; the vote itself: ${r.voteMeanMs} ms`,
    '',
    '| cache replay | key has context | hits | misses | hit rate | hit | miss |',
    '|---|---|---|---|---|---|---|',
    ...r.cache.map((c) => `| ${c.chain} | ${c.keyedByContext ? 'yes' : 'no'} | ${c.hits} | ${c.misses} | ${(c.hitRate * 100).toFixed(1)}% | ${c.hitMs} ms | ${c.missMs} ms |`),
  ];
  return `${lines.join('\n')}\n`;
}

export async function runMtBenchmark(opts: MtBenchmarkOptions = {}): Promise<MtBenchmarkResult> {
  const sentences = opts.sentences ?? 100;
  const print = opts.print ?? ((text: string) => void process.stdout.write(text));
  // One Apertium per server and one for the local member: a pipeline answers one request at a time, and
  // sharing one would serialise the three candidates the consensus waits for.
  const apertiums = await Promise.all([0, 1, 2].map(() => ApertiumMt.load({})));
  const [apertium, forOpenAi, forAnthropic] = apertiums;
  const servers: WireServer[] = [];
  const providers: DetailedMtProvider[] = [];
  try {
    const answer = (mt: ApertiumMt) => async (r: { text: string }): Promise<string> => mt.translate({ text: r.text, from: 'en', to: 'es', context: [] });
    const openaiServer = await startWireServer('openai', { respond: answer(forOpenAi), chunkChars: 8 });
    const anthropicServer = await startWireServer('anthropic', { respond: answer(forAnthropic), chunkChars: 8 });
    servers.push(openaiServer, anthropicServer);
    const openai = await OpenAiMt.load({ baseUrl: openaiServer.baseUrl, apiKey: 'bench' });
    const anthropic = await AnthropicMt.load({ baseUrl: anthropicServer.baseUrl, apiKey: 'bench' });
    // Closed with the others in finally.
    const local: DetailedMtProvider = { ...detailed(apertium), close: async () => undefined };
    providers.push(openai, anthropic);
    const texts = Array.from({ length: sentences }, (_, i) => PHRASES[i % PHRASES.length]);
    // Warm-up: first connections and Apertium's first sentences are not what a stream pays per unit.
    await timeEach(openai, texts.slice(0, 5));
    await timeEach(anthropic, texts.slice(0, 5));
    const single = timing(await timeEach(openai, texts));
    const consensus = new ConsensusMt([openai, anthropic, local]);
    const voteMs: number[] = [];
    const consensusMs: number[] = [];
    for (const text of texts) {
      const t0 = performance.now();
      const r = await consensus.translateDetailed({ text, from: 'en', to: 'es', context: [] });
      consensusMs.push(performance.now() - t0);
      const candidates = r.candidates.flatMap((c) => (c.text !== undefined ? [c.text] : []));
      const v0 = performance.now();
      meanAgreement(candidates);
      voteMs.push(performance.now() - v0);
    }
    const c = timing(consensusMs);
    const overheadMs = Math.round((c.meanMs - single.meanMs) * 100) / 100;
    const talk = replayPhrases(opts.replay ?? 300, opts.phrases ?? 30, opts.seed ?? 7);
    const cache = [
      await replayThroughCache('apertium', local, talk),
      await replayThroughCache('openai (wire)', openai, talk),
      await replayThroughCache('openai (wire), contextInKey off', openai, talk, false),
    ];
    const result: MtBenchmarkResult = {
      single: { ...single, provider: 'openai (wire)' },
      consensus: { ...c, providers: ['openai (wire)', 'anthropic (wire)', 'apertium'], overheadMs, overheadPct: Math.round((overheadMs / Math.max(0.001, single.meanMs)) * 1000) / 10, overheadP50Ms: Math.round((c.p50Ms - single.p50Ms) * 100) / 100 },
      voteMeanMs: timing(voteMs).meanMs,
      cache,
    };
    print(mtBenchmarkTable(result));
    return result;
  } finally {
    await Promise.allSettled(providers.map((p) => p.close()));
    await Promise.allSettled(servers.map((s) => s.close()));
    await Promise.allSettled(apertiums.map((a) => a.close()));
  }
}
