/**
 * Rule-based MT through Debian's apertium. Each mode (eng-spa, es-pt…) runs once as a long-lived pipeline
 * in null-flush mode: a process per sentence costs ~1 s, a kept-alive one a few milliseconds.
 *
 * Why not `apertium -z eng-spa`: the wrapper's deformatter (apertium-destxt) swallows the `\0`, so the
 * answer never comes. We run the mode's own pipeline as `apertium-wblank-mode -z` rewrites it (what the
 * wrapper does inside) and do the deformatter's one job, escaping the stream format's reserved characters.
 */
import { execFile as execFileCb } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DubdError, InvalidStateError } from '../errors.js';
import { NullFlushProcess } from './null-flush-process.js';
import type { EngineInfo, MtCapabilities, MtProvider, MtRequest } from './types.js';

const execFile = promisify(execFileCb);

export interface ApertiumOptions {
  /** Where the `.mode` files live. */
  modesDir: string;
  /** Pairs started (and checked) by load(), so the first sentence does not pay the start-up. */
  warm: string[];
  /** Capitalise the first letter of the translation (ASR text comes lowercase). */
  capitalize: boolean;
  /** A sentence taking longer means a hung pipeline: it is killed and restarted. */
  timeoutMs: number;
  /** The first sentence of a freshly started pipeline may take this long (it loads its dictionaries first). */
  startTimeoutMs: number;
}

export const defaultApertiumOptions: ApertiumOptions = {
  modesDir: '/usr/share/apertium/modes',
  warm: ['en-es'],
  capitalize: true,
  timeoutMs: 10_000,
  startTimeoutMs: 60_000,
};

const INSTALL_HINT = 'apt-get install apertium apertium-eng-spa apertium-es-pt';

/** Apertium names languages by ISO 639-3 in newer pairs and 639-1 in older ones. */
const ISO3_TO_1: Record<string, string> = {
  eng: 'en', spa: 'es', por: 'pt', cat: 'ca', fra: 'fr', ita: 'it', deu: 'de', glg: 'gl', eus: 'eu',
  oci: 'oc', nld: 'nl', ron: 'ro', rus: 'ru', ukr: 'uk', pol: 'pl', ces: 'cs', swe: 'sv', dan: 'da',
  nob: 'nb', nno: 'nn', isl: 'is', ara: 'ar', epo: 'eo', arg: 'an', bel: 'be', bul: 'bg', hbs: 'sh',
};

/** One installed mode: a direct translation step. */
interface ModeEdge {
  mode: string;
  from: string;
  to: string;
}

/** 'pt_br', 'pt-BR', 'por' → 'pt-BR', 'pt'. */
export function normaliseLang(code: string): string {
  const [base = '', region] = code.trim().replace('_', '-').split('-', 2);
  const lower = base.toLowerCase();
  const b = ISO3_TO_1[lower] ?? lower;
  return region ? `${b}-${region.toUpperCase()}` : b;
}

function baseLang(code: string): string {
  return code.split('-')[0] ?? code;
}

/** Translation modes only (not the debugging modes such as eng-spa-tagger). */
export function discoverModes(modesDir: string): ModeEdge[] {
  if (!existsSync(modesDir)) return [];
  const edges: ModeEdge[] = [];
  for (const file of readdirSync(modesDir).sort()) {
    const m = /^([a-z]{2,3})-([a-z]{2,3})(?:_([A-Za-z]+))?\.mode$/.exec(file);
    if (!m) continue;
    const [, from = '', to = '', variant] = m;
    edges.push({
      mode: file.slice(0, -'.mode'.length),
      from: normaliseLang(from),
      to: normaliseLang(variant ? `${to}-${variant}` : to),
    });
  }
  return edges;
}

/** The modes to run for from→to: a direct mode, or two chained through a pivot (en→es→pt). */
export function findRoute(edges: ModeEdge[], from: string, to: string): ModeEdge[] | undefined {
  const src = baseLang(normaliseLang(from));
  const dst = normaliseLang(to);
  // Exact variant first, then the plain language, then any variant of it (pt → es-pt_BR if alone).
  const targets = [dst, baseLang(dst)];
  const matches = (e: ModeEdge, t: string): boolean => e.to === t;
  const anyVariant = (e: ModeEdge): boolean => baseLang(e.to) === baseLang(dst);
  for (const accept of [...targets.map((t) => (e: ModeEdge) => matches(e, t)), anyVariant]) {
    const direct = edges.find((e) => e.from === src && accept(e));
    if (direct) return [direct];
  }
  for (const accept of [...targets.map((t) => (e: ModeEdge) => matches(e, t)), anyVariant]) {
    for (const first of edges.filter((e) => e.from === src && !e.to.includes('-'))) {
      const second = edges.find((e) => e.from === first.to && accept(e) && baseLang(e.to) !== src);
      if (second) return [first, second];
    }
  }
  return undefined;
}

/** Every pair reachable directly or through one pivot, as 'en-es', 'en-pt-BR'. */
export function listPairs(edges: ModeEdge[]): string[] {
  const pairs = new Set<string>();
  for (const e of edges) pairs.add(`${e.from}-${e.to}`);
  for (const a of edges) {
    if (a.to.includes('-')) continue;
    for (const b of edges) if (b.from === a.to && baseLang(b.to) !== a.from) pairs.add(`${a.from}-${b.to}`);
  }
  return [...pairs].sort();
}

/** Escapes the stream format's reserved characters (what apertium-destxt does) and flattens whitespace. */
export function toStream(text: string): string {
  return [...text]
    .map((c) => (c.charCodeAt(0) < 0x20 || c === '\x7f' ? ' ' : c))
    .join('')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[\\[\]^$/@<>{}]/g, (c) => `\\${c}`);
}

/**
 * Plain text from the stream: drops unknown-word marks (`*word`, `#word`, `@word`) that survive `-n`,
 * then unescapes.
 */
export function fromStream(stream: string): string {
  let out = '';
  for (let i = 0; i < stream.length; i++) {
    const c = stream[i] ?? '';
    if (c === '\\' && i + 1 < stream.length) {
      out += stream[++i];
      continue;
    }
    const atWordStart = i === 0 || /[\s([{"'¿¡]/.test(stream[i - 1] ?? '');
    if ((c === '*' || c === '#' || c === '@') && atWordStart && /[\p{L}\p{N}]/u.test(stream[i + 1] ?? '')) continue;
    out += c;
  }
  return out.replace(/\s+/g, ' ').trim();
}

/** ASR text is lowercase: apertium does not know the pronoun 'i' (it passes through untranslated). */
function fixEnglishCase(text: string): string {
  return text.replace(/\bi\b/g, 'I');
}

function capitaliseFirst(text: string): string {
  return text.replace(/\p{L}/u, (c) => c.toLocaleUpperCase());
}

async function apertiumVersion(): Promise<string> {
  try {
    const { stdout } = await execFile('dpkg-query', ['-W', '-f=${Version}', 'apertium']);
    if (stdout.trim()) return stdout.trim();
  } catch {
    // Not a Debian system: ask apertium itself.
  }
  try {
    const { stdout } = await execFile('apertium', ['-V']);
    return stdout.replace(/^Apertium\s*/i, '').trim() || 'unknown';
  } catch {
    return 'unknown';
  }
}

/** The mode's pipeline with `-z` on every program; our own rewrite if apertium-wblank-mode is absent. */
async function nullFlushScript(modeFile: string): Promise<string> {
  try {
    const { stdout } = await execFile('apertium-wblank-mode', ['-z', modeFile]);
    if (stdout.trim()) return stdout.trim();
  } catch {
    // Older apertium: add -z after each program name ourselves.
  }
  return readFileSync(modeFile, 'utf8')
    .trim()
    .split('|')
    .map((stage) => stage.trim().replace(/^(\S+)/, '$1 -z'))
    .join(' | ');
}

/** Programs and data files the pipeline names that are not there (a half-installed apertium). */
export function missingParts(script: string): string[] {
  const dirs = (process.env.PATH ?? '/usr/bin:/bin').split(':').filter(Boolean);
  const missing: string[] = [];
  for (const stage of script.split('|')) {
    const program = stage.trim().split(/\s+/)[0] ?? '';
    if (program && !dirs.some((d) => existsSync(join(d, program)))) missing.push(program);
    for (const [, file = ''] of stage.matchAll(/'([^']+)'/g)) if (!existsSync(file)) missing.push(file);
  }
  return missing;
}

export class ApertiumMt implements MtProvider {
  readonly info: EngineInfo;
  readonly capabilities: MtCapabilities;
  private readonly opts: ApertiumOptions;
  private readonly edges: ModeEdge[];
  private readonly processes = new Map<string, Promise<NullFlushProcess>>();
  private closed = false;

  private constructor(opts: ApertiumOptions, edges: ModeEdge[], version: string) {
    this.opts = opts;
    this.edges = edges;
    this.info = { id: 'apertium', version };
    this.capabilities = { pairs: listPairs(edges), usesContext: false, streaming: false };
  }

  static async load(opts: Partial<ApertiumOptions> = {}): Promise<ApertiumMt> {
    const o = { ...defaultApertiumOptions, ...opts };
    const edges = discoverModes(o.modesDir);
    if (edges.length === 0) {
      throw new DubdError('ENGINE_MISSING', `no apertium language pairs in ${o.modesDir} (${INSTALL_HINT})`);
    }
    const mt = new ApertiumMt(o, edges, await apertiumVersion());
    try {
      // One sentence through each warm pair proves the programs and the data are all there.
      for (const pair of o.warm) {
        const [from = '', ...rest] = pair.split('-');
        const to = rest.join('-');
        if (findRoute(edges, from, to)) await mt.translate({ text: 'hello', from, to, context: [] });
      }
    } catch (err) {
      await mt.close();
      if (err instanceof DubdError && err.code === 'ENGINE_MISSING') {
        throw new DubdError('ENGINE_MISSING', `${err.message} (${INSTALL_HINT})`, { cause: err });
      }
      throw err;
    }
    return mt;
  }

  async translate(req: MtRequest): Promise<string> {
    if (this.closed) throw new InvalidStateError('translate() after close()');
    const route = findRoute(this.edges, req.from, req.to);
    if (!route) {
      throw new DubdError(
        'UNSUPPORTED_LANGUAGE_PAIR',
        `no apertium pair for ${req.from}→${req.to}; installed: ${this.capabilities.pairs.join(', ')}`,
      );
    }
    let text = req.text;
    if (baseLang(normaliseLang(req.from)) === 'en') text = fixEnglishCase(text);
    for (const step of route) {
      const payload = toStream(text);
      if (!payload) return '';
      const proc = await this.process(step.mode);
      // `text\n\0` as apertium-destxt would frame it: the line ends before the flush.
      text = fromStream(await proc.request(`${payload}\n`, req.signal));
    }
    return this.opts.capitalize ? capitaliseFirst(text) : text;
  }

  /** Pids of the running pipelines (one shell per mode, each leading its process group). For diagnostics. */
  async processIds(): Promise<number[]> {
    const procs = await Promise.all([...this.processes.values()].map((p) => p.catch(() => undefined)));
    return procs.flatMap((p) => (p?.pid !== undefined ? [p.pid] : []));
  }

  /** Idempotent: ends every pipeline. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const procs = [...this.processes.values()];
    this.processes.clear();
    await Promise.all(procs.map(async (p) => (await p.catch(() => undefined))?.close()));
  }

  private process(mode: string): Promise<NullFlushProcess> {
    let proc = this.processes.get(mode);
    if (!proc) {
      proc = nullFlushScript(join(this.opts.modesDir, `${mode}.mode`)).then((script) => {
        // Checked up front: a pipeline with a missing program dies before its error can be read reliably.
        const missing = missingParts(script);
        if (missing.length > 0) {
          throw new DubdError('ENGINE_MISSING', `apertium ${mode} is incomplete, missing: ${missing.join(', ')}`);
        }
        // $1 = -n: generate without unknown-word marks; $2: no extra tagger option.
        const p = new NullFlushProcess({
          name: `apertium ${mode}`,
          script,
          args: ['-n', ''],
          timeoutMs: this.opts.timeoutMs,
          startTimeoutMs: this.opts.startTimeoutMs,
          dropEmptyAnswers: true,
        });
        // close() may have run while the script was being prepared.
        if (this.closed) throw new InvalidStateError('translate() after close()');
        p.start();
        return p;
      });
      this.processes.set(mode, proc);
      // A failed start is not cached: the next request tries again (apertium may have been installed since).
      const started = proc;
      void started.catch(() => {
        if (this.processes.get(mode) === started) this.processes.delete(mode);
      });
    }
    return proc;
  }
}
