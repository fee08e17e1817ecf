/**
 * Turns a model folder (as sherpa-onnx packages piper/vits, kokoro and matcha voices) into the config
 * `new OfflineTts()` takes, checking every file first: sherpa-onnx aborts or exits the process on a
 * corrupt model, a missing metadata key or a bad voices.bin, so nothing reaches it unchecked.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { DubdError } from '../../errors.js';
import { checkOnnx, intMetadata, requireMetadata, type OnnxSummary } from './onnx-check.js';

export type SherpaKind = 'vits' | 'kokoro' | 'matcha';

export interface SherpaModelOptions {
  folder: string;
  kind: 'auto' | SherpaKind;
  /** Matcha's vocoder; empty = found in the folder or next to it. */
  vocoder: string;
  /** Kokoro's espeak language; empty = the model's own. */
  lang: string;
  numThreads: number;
  device: 'cpu' | 'cuda';
}

/** The plain object handed to sherpa-onnx's OfflineTts (see sherpa-onnx-node types.js). */
export interface SherpaTtsConfig {
  model: {
    vits?: { model: string; tokens: string; lexicon?: string; dataDir?: string };
    kokoro?: { model: string; voices: string; tokens: string; dataDir?: string; lexicon?: string; lang?: string };
    matcha?: { acousticModel: string; vocoder: string; tokens: string; dataDir?: string; lexicon?: string };
    numThreads: number;
    provider: string;
    debug: number;
  };
  ruleFsts?: string;
  maxNumSentences: number;
}

export interface ResolvedSherpaModel {
  kind: SherpaKind;
  folder: string;
  config: SherpaTtsConfig;
  sampleRate: number;
  numSpeakers: number;
  /** Languages the model's files say it speaks (may be empty: then the config must list them). */
  languages: string[];
  /** Kokoro voice names in sid order, when the model lists them. */
  speakerNames: string[];
}

const VOCODER = /vocos|hifigan|vocoder/i;

interface Listing {
  dir: string;
  files: Set<string>;
  dirs: Set<string>;
}

async function list(dir: string): Promise<Listing> {
  const entries = await readdir(dir, { withFileTypes: true }).catch((err: unknown) => {
    throw new DubdError('MODEL_NOT_FOUND', `TTS model folder ${dir} not found`, { cause: err });
  });
  const files = new Set<string>();
  const dirs = new Set<string>();
  for (const e of entries) {
    // Symlinks count as what they point to (a shared espeak-ng-data is often linked in).
    const s = e.isSymbolicLink() ? await stat(join(dir, e.name)).catch(() => undefined) : e;
    if (s?.isFile()) files.add(e.name);
    else if (s?.isDirectory()) dirs.add(e.name);
  }
  return { dir, files, dirs };
}

/** Archives unpack into one sub-folder: look inside it when the folder itself holds no model. */
async function modelListing(folder: string): Promise<Listing> {
  const top = await list(folder);
  // A vocoder downloaded next to an unpacked matcha archive is not the model.
  const hasOnnx = [...top.files].some((f) => f.endsWith('.onnx') && !VOCODER.test(f));
  if (!hasOnnx && top.dirs.size >= 1) {
    const inner = [...top.dirs].filter((d) => d !== 'espeak-ng-data' && d !== 'dict');
    if (inner.length === 1) return list(join(folder, inner[0]));
  }
  if (!hasOnnx) throw new DubdError('MODEL_NOT_FOUND', `no .onnx model in ${folder} (pull one: dubd models pull piper-es-davefx-medium-int8)`);
  return top;
}

function detectKind(l: Listing): SherpaKind {
  if (l.files.has('voices.bin')) return 'kokoro';
  if ([...l.files].some((f) => /^model-steps-\d+\.onnx$/.test(f)) || /matcha/i.test(basename(l.dir))) return 'matcha';
  return 'vits';
}

/** One .onnx of several: the preferred names first, then the only candidate left. */
function pickOnnx(l: Listing, preferred: string[], exclude: RegExp | undefined, what: string): string {
  for (const name of preferred) if (l.files.has(name)) return join(l.dir, name);
  const rest = [...l.files].filter((f) => f.endsWith('.onnx') && !(exclude?.test(f) ?? false));
  const int8 = rest.filter((f) => f.endsWith('.int8.onnx'));
  if (rest.length === 1) return join(l.dir, rest[0]);
  if (int8.length === 1) return join(l.dir, int8[0]);
  const found = rest.length ? `found ${rest.join(', ')}` : 'found none';
  throw new DubdError('INVALID_CONFIG', `cannot tell which .onnx in ${l.dir} is the ${what} (${found})`);
}

async function isNonEmptyFile(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile() && s.size > 0,
    () => false,
  );
}

/** tokens.txt: '<symbol> <id>' per line (the symbol may itself be a space). */
async function checkTokens(path: string): Promise<void> {
  if (!(await isNonEmptyFile(path))) throw new DubdError('MODEL_NOT_FOUND', `tokens file ${path} not found or empty`);
  const text = await readFile(path, 'utf8');
  const lines = text.split('\n').filter((line) => line.length > 0);
  const bad = lines.findIndex((line) => !/^.*[ \t]\d+\r?$/u.test(line));
  if (lines.length === 0 || bad >= 0) {
    throw new DubdError('INVALID_CONFIG', `tokens file ${path} is not '<symbol> <id>' lines (line ${bad + 1})`);
  }
}

/** espeak-ng-data: phonemisation data piper, kokoro and matcha (English) read at load. */
async function espeakData(l: Listing, required: boolean): Promise<string | undefined> {
  if (!l.dirs.has('espeak-ng-data')) {
    if (required) throw new DubdError('MODEL_NOT_FOUND', `${l.dir}/espeak-ng-data not found (the model needs it; unpack the whole archive)`);
    return undefined;
  }
  const dir = join(l.dir, 'espeak-ng-data');
  for (const f of ['phontab', 'phonindex', 'phondata', 'intonations']) {
    if (!(await isNonEmptyFile(join(dir, f)))) throw new DubdError('MODEL_NOT_FOUND', `${dir}/${f} not found: espeak-ng-data is incomplete`);
  }
  return dir;
}

function joined(l: Listing, pattern: RegExp): string | undefined {
  const names = [...l.files].filter((f) => pattern.test(f)).sort();
  return names.length ? names.map((f) => join(l.dir, f)).join(',') : undefined;
}

/** 'es_ES-davefx-medium.onnx', 'matcha-icefall-en_US-ljspeech' → ['es', 'es-ES']. */
function localeLanguages(...names: string[]): string[] {
  for (const name of names) {
    const m = /(?:^|[^a-z])([a-z]{2,3})_([A-Z]{2})(?:[^A-Za-z]|$)/.exec(name);
    if (m) return [m[1], `${m[1]}-${m[2]}`];
  }
  return [];
}

async function resolveVits(l: Listing) {
  const model = pickOnnx(l, ['model.onnx'], undefined, 'vits model');
  const meta = await checkOnnx(model, 'vits model');
  requireMetadata(meta, ['sample_rate', 'n_speakers', 'language', 'comment'], model);
  const comment = meta.metadata.comment ?? '';
  if (/melo/i.test(comment) && Number(meta.metadata.version ?? 0) < 2) {
    throw new DubdError('INVALID_CONFIG', `MeloTTS model ${model} is too old for this sherpa-onnx (needs metadata version 2)`);
  }
  const lexicon = l.files.has('lexicon.txt') ? join(l.dir, 'lexicon.txt') : undefined;
  const dataDir = await espeakData(l, /piper/i.test(comment) || !lexicon);
  return { meta, vits: { model, tokens: join(l.dir, 'tokens.txt'), lexicon, dataDir }, languages: localeLanguages(basename(model), basename(l.dir)) };
}

async function resolveKokoro(l: Listing, o: SherpaModelOptions) {
  const model = pickOnnx(l, ['model.int8.onnx', 'model.onnx'], undefined, 'kokoro model');
  const meta = await checkOnnx(model, 'kokoro model');
  requireMetadata(meta, ['sample_rate', 'n_speakers', 'has_espeak', 'style_dim'], model);
  const dims = (meta.metadata.style_dim ?? '').split(',').map((s) => Number(s.trim()));
  if (dims.length !== 3 || !dims.every((d) => Number.isInteger(d) && d > 0) || dims[1] !== 1) {
    throw new DubdError('INVALID_CONFIG', `kokoro model ${model} has style_dim '${meta.metadata.style_dim}', expected 'N,1,M'`);
  }
  const voices = join(l.dir, 'voices.bin');
  const speakers = intMetadata(meta, 'n_speakers', model, 1);
  const expected = dims[0] * dims[2] * speakers * 4;
  const size = await stat(voices).then((s) => s.size, () => -1);
  if (size !== expected) {
    throw new DubdError('INVALID_CONFIG', `kokoro voices ${voices} has ${size} bytes, the model expects ${expected} (${speakers} speakers): download it again`);
  }
  const dataDir = await espeakData(l, meta.metadata.has_espeak !== '0');
  const lexicon = joined(l, /^lexicon.*\.txt$/);
  return { meta, kokoro: { model, voices, tokens: join(l.dir, 'tokens.txt'), dataDir, lexicon, lang: o.lang || undefined }, languages: o.lang ? [o.lang] : ['en'] };
}

async function findVocoder(l: Listing, o: SherpaModelOptions): Promise<string> {
  if (o.vocoder) return o.vocoder;
  const isVocoder = (f: string) => f.endsWith('.onnx') && VOCODER.test(f);
  const here = [...l.files].filter(isVocoder);
  if (here.length) return join(l.dir, here.sort()[0]);
  // Vocoders ship as separate downloads, often next to the model folder.
  for (const dir of [dirname(l.dir), dirname(dirname(l.dir))]) {
    const up = await list(dir).catch(() => undefined);
    const hit = up && [...up.files].filter(isVocoder).sort()[0];
    if (hit) return join(dir, hit);
  }
  throw new DubdError('MODEL_NOT_FOUND', `no vocoder for the matcha model in ${l.dir} (set tts.sherpa.vocoder to vocos-22khz-univ.onnx)`);
}

async function resolveMatcha(l: Listing, o: SherpaModelOptions) {
  const steps = [...l.files].filter((f) => /^model-steps-\d+\.onnx$/.test(f)).sort();
  const acousticModel = steps.includes('model-steps-3.onnx') ? join(l.dir, 'model-steps-3.onnx') : steps.length ? join(l.dir, steps[0]) : pickOnnx(l, [], VOCODER, 'matcha acoustic model');
  const meta = await checkOnnx(acousticModel, 'matcha acoustic model');
  requireMetadata(meta, ['sample_rate', 'n_speakers'], acousticModel);
  const vocoder = await findVocoder(l, o);
  await checkOnnx(vocoder, 'matcha vocoder');
  const lexicon = l.files.has('lexicon.txt') ? join(l.dir, 'lexicon.txt') : undefined;
  const dataDir = await espeakData(l, !lexicon);
  return { meta, matcha: { acousticModel, vocoder, tokens: join(l.dir, 'tokens.txt'), dataDir, lexicon }, languages: localeLanguages(basename(l.dir)) };
}

/** Drops undefined fields: the addon reads every present key as a string. */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** Finds, checks and describes the model in `opts.folder`. MODEL_NOT_FOUND / INVALID_CONFIG on any problem. */
export async function resolveSherpaModel(opts: SherpaModelOptions): Promise<ResolvedSherpaModel> {
  if (!opts.folder) throw new DubdError('INVALID_CONFIG', 'no sherpa-onnx TTS model configured (tts.sherpa.model)');
  const l = await modelListing(opts.folder);
  const kind = opts.kind === 'auto' ? detectKind(l) : opts.kind;
  await checkTokens(join(l.dir, 'tokens.txt'));
  const common = { numThreads: opts.numThreads, provider: opts.device, debug: 0 };
  let meta: OnnxSummary;
  let languages: string[];
  let model: SherpaTtsConfig['model'];
  if (kind === 'kokoro') {
    const r = await resolveKokoro(l, opts);
    ({ meta, languages } = r);
    model = { kokoro: defined(r.kokoro), ...common };
  } else if (kind === 'matcha') {
    const r = await resolveMatcha(l, opts);
    ({ meta, languages } = r);
    model = { matcha: defined(r.matcha), ...common };
  } else {
    const r = await resolveVits(l);
    ({ meta, languages } = r);
    model = { vits: defined(r.vits), ...common };
  }
  const sampleRate = intMetadata(meta, 'sample_rate', opts.folder, 1);
  const numSpeakers = Math.max(1, intMetadata(meta, 'n_speakers', opts.folder, 0));
  const ruleFsts = joined(l, /\.fst$/);
  const speakerNames = (meta.metadata.speaker_names ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return {
    kind,
    folder: l.dir,
    config: defined({ model, ruleFsts, maxNumSentences: 1 }),
    sampleRate,
    numSpeakers,
    languages,
    speakerNames: speakerNames.length === numSpeakers ? speakerNames : [],
  };
}
