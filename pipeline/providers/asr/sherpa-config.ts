/**
 * Finds a sherpa-onnx model's files in a folder by the names sherpa-onnx releases use, checks them, and builds
 * the recogniser config. Everything is checked here, before the native library sees a path: a missing path
 * makes it print and return null, but an empty or foreign file aborts the whole process.
 */
import { readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { DubdError } from '../../errors.js';
import type { OfflineRecognizerConfig, OnlineRecognizerConfig, RecognizerConfig } from './sherpa-types.js';

export type SherpaFamily = 'whisper' | 'moonshine' | 'sense-voice' | 'online';

interface Role {
  name: string;
  /** File name pattern (sherpa release naming); `.int8` variants match too. */
  pattern: RegExp;
  /** What the error message shows for a missing file. */
  looksLike: string;
  optional?: boolean;
}

const TOKENS: Role = { name: 'tokens', pattern: /(^|[-_.])tokens\.txt$/, looksLike: 'tokens.txt or <name>-tokens.txt' };

/** Release layouts: sherpa-onnx-whisper-base.en/base.en-encoder.int8.onnx, sherpa-onnx-moonshine-tiny-en-int8/encode.int8.onnx, ... */
const ROLES: Record<SherpaFamily, Role[]> = {
  whisper: [
    { name: 'encoder', pattern: /(^|[-_.])encoder(\.int8)?\.onnx$/, looksLike: '<name>-encoder[.int8].onnx' },
    { name: 'decoder', pattern: /(^|[-_.])decoder(\.int8)?\.onnx$/, looksLike: '<name>-decoder[.int8].onnx' },
    TOKENS,
  ],
  moonshine: [
    { name: 'preprocessor', pattern: /^preprocess(or)?(\.int8)?\.onnx$/, looksLike: 'preprocess.onnx' },
    { name: 'encoder', pattern: /^encode(r)?(\.int8)?\.onnx$/, looksLike: 'encode[.int8].onnx' },
    { name: 'uncachedDecoder', pattern: /^uncached_decode(r)?(\.int8)?\.onnx$/, looksLike: 'uncached_decode[.int8].onnx' },
    { name: 'cachedDecoder', pattern: /^cached_decode(r)?(\.int8)?\.onnx$/, looksLike: 'cached_decode[.int8].onnx' },
    TOKENS,
  ],
  'sense-voice': [{ name: 'model', pattern: /^model(\.int8)?\.onnx$/, looksLike: 'model[.int8].onnx' }, TOKENS],
  online: [
    { name: 'encoder', pattern: /^encoder.*\.onnx$/, looksLike: 'encoder[-epoch-…][.int8].onnx' },
    { name: 'decoder', pattern: /^decoder.*\.onnx$/, looksLike: 'decoder[-epoch-…][.int8].onnx' },
    // With a joiner the folder is a transducer (zipformer); without, a paraformer.
    { name: 'joiner', pattern: /^joiner.*\.onnx$/, looksLike: 'joiner[-epoch-…][.int8].onnx', optional: true },
    TOKENS,
  ],
};

export interface SherpaModelFiles {
  family: SherpaFamily;
  /** The folder the files are in (the given one, or the release folder unpacked inside it). */
  dir: string;
  /** Absolute path per role (encoder, decoder, tokens, ...). */
  files: Record<string, string>;
}

/** Subfolders searched below the given folder: `dubd models pull` unpacks the release folder inside the model's folder. */
function candidateDirs(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const subdirs = entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => join(dir, e.name));
  return [dir, ...subdirs.sort()];
}

function filesIn(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isFile() || e.isSymbolicLink())
      .map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
}

/** One file per role; among several, the int8 (or the fp32) one as preferred, then by name. */
function pick(names: string[], role: Role, preferInt8: boolean): string | undefined {
  const hits = names.filter((n) => role.pattern.test(n));
  const preferred = hits.filter((n) => /\.int8\.onnx$/.test(n) === preferInt8);
  return (preferred.length ? preferred : hits)[0];
}

/**
 * The model files for `family` in `dir` (or in a release folder inside it). MODEL_NOT_FOUND names what is
 * missing; an empty file is reported as corrupt before any library reads it.
 */
export function findModelFiles(family: SherpaFamily, dir: string, opts: { preferInt8: boolean; hint?: string }): SherpaModelFiles {
  const hint = opts.hint ? ` (${opts.hint})` : '';
  // Absolute: the workers and the check process must read the same files whatever their cwd.
  dir = resolve(dir);
  const dirs = candidateDirs(dir);
  if (dirs.length === 0) throw new DubdError('MODEL_NOT_FOUND', `${family} model folder ${dir} does not exist${hint}`);
  const roles = ROLES[family];
  let best: { dir: string; found: Record<string, string>; missing: Role[] } | undefined;
  for (const d of dirs) {
    const names = filesIn(d);
    const found: Record<string, string> = {};
    const missing: Role[] = [];
    for (const role of roles) {
      const name = pick(names, role, opts.preferInt8);
      if (name) found[role.name] = join(d, name);
      else if (!role.optional) missing.push(role);
    }
    if (missing.length === 0) {
      checkNotEmpty(family, found);
      return { family, dir: d, files: found };
    }
    if (!best || missing.length < best.missing.length) best = { dir: d, found, missing };
  }
  const where = best?.dir ?? dir;
  const listed = filesIn(where);
  const need = (best?.missing ?? roles).map((r) => `${r.name} (${r.looksLike})`).join(', ');
  throw new DubdError(
    'MODEL_NOT_FOUND',
    `${family} model folder ${where} is incomplete: no ${need}; it has ${listed.length ? listed.join(', ') : 'no files'}${hint}`,
  );
}

function checkNotEmpty(family: SherpaFamily, files: Record<string, string>): void {
  for (const [role, path] of Object.entries(files)) {
    let size = 0;
    try {
      size = statSync(path).size;
    } catch {
      throw new DubdError('MODEL_NOT_FOUND', `${family} ${role} file ${path} cannot be read`);
    }
    if (size === 0) {
      throw new DubdError('ENGINE_FAILED', `${family} ${role} file ${path} is empty: the model folder is corrupt (pull it again)`);
    }
  }
}

export interface RecognizerOptions {
  numThreads: number;
  device: 'cpu' | 'cuda';
  /** Recognition language (whisper multilingual, sense-voice); 'en', 'pt-BR', ... */
  language: string;
  /** sense-voice: inverse text normalisation. */
  useItn?: boolean;
}

/** English-only whisper exports carry `.en` in their names (tiny.en-encoder.onnx); they take no language. */
export function isEnglishOnlyWhisper(files: SherpaModelFiles): boolean {
  return /\.en[-_.]/.test(basename(files.files.encoder ?? ''));
}

const SENSE_VOICE_LANGUAGES = ['zh', 'en', 'ja', 'ko', 'yue'];

/** The languages a model folder recognises (what capabilities.languages reports). */
export function modelLanguages(files: SherpaModelFiles, configured: string): string[] {
  const base = configured.split('-')[0].toLowerCase();
  switch (files.family) {
    case 'whisper':
      return isEnglishOnlyWhisper(files) ? ['en'] : [base];
    case 'sense-voice':
      return SENSE_VOICE_LANGUAGES;
    case 'moonshine':
      return ['en'];
    case 'online':
      // A streaming folder does not say its language; trust the configured one.
      return [base];
  }
}

/** The recogniser config for a checked set of files. */
export function buildRecognizerConfig(files: SherpaModelFiles, o: RecognizerOptions): RecognizerConfig {
  const f = files.files;
  const common = { tokens: f.tokens, numThreads: o.numThreads, provider: o.device, debug: 0 };
  const featConfig = { sampleRate: 16_000, featureDim: 80 };
  const language = o.language.split('-')[0].toLowerCase();
  if (files.family === 'online') {
    const config: OnlineRecognizerConfig = {
      featConfig,
      modelConfig: f.joiner
        ? { transducer: { encoder: f.encoder, decoder: f.decoder, joiner: f.joiner }, ...common }
        : { paraformer: { encoder: f.encoder, decoder: f.decoder }, ...common },
      decodingMethod: 'greedy_search',
      maxActivePaths: 4,
      enableEndpoint: 0,
    };
    return { kind: 'online', config };
  }
  let modelConfig: OfflineRecognizerConfig['modelConfig'];
  switch (files.family) {
    case 'whisper':
      modelConfig = {
        // tailPaddings -1: sherpa's default padding (whisper needs silence after the speech to end cleanly).
        whisper: { encoder: f.encoder, decoder: f.decoder, language: isEnglishOnlyWhisper(files) ? '' : language, task: 'transcribe', tailPaddings: -1 },
        ...common,
      };
      break;
    case 'moonshine':
      modelConfig = {
        moonshine: { preprocessor: f.preprocessor, encoder: f.encoder, uncachedDecoder: f.uncachedDecoder, cachedDecoder: f.cachedDecoder },
        ...common,
      };
      break;
    case 'sense-voice':
      modelConfig = {
        senseVoice: { model: f.model, language: SENSE_VOICE_LANGUAGES.includes(language) ? language : 'auto', useInverseTextNormalization: o.useItn === false ? 0 : 1 },
        ...common,
      };
      break;
  }
  return { kind: 'offline', config: { featConfig, modelConfig, decodingMethod: 'greedy_search' } };
}
