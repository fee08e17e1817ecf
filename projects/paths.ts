/**
 * Where a project's artifacts live: `<dataDir>/projects/<id>/` holds the source, the analysis audio, one
 * WAV per (segment, language, translation revision), the compose generations and the outputs. Paths
 * stored in the database are relative to that folder (store/repos/validate.ts refuses anything else).
 */
import { realpathSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { DubdError } from '../pipeline/errors.js';

export const ANALYSIS_RATE = 16_000;

export class ProjectPaths {
  readonly dir: string;

  constructor(dataDir: string, readonly projectId: string) {
    this.dir = join(resolve(dataDir), 'projects', projectId);
  }

  /** Absolute path of a stored relative path. */
  abs(rel: string): string {
    return join(this.dir, rel);
  }

  sourceRel(fileName: string): string {
    return `source/${fileName}`;
  }

  /** 16 kHz mono float32 PCM, no header: a segment is a seek away. */
  readonly analysisRel = 'audio/analysis.f32le';

  synthRel(lang: string, segmentId: string, translationRevision: number): string {
    return `synth/${lang}/${segmentId}.r${translationRevision}.wav`;
  }

  composeDir(lang: string): string {
    return this.abs(`compose/${lang}`);
  }

  outRel(name: string): string {
    return `out/${name}`;
  }
}

/**
 * A file name a client sent (an upload's name): refused, not repaired, when it tries to leave its folder
 * or hides itself. Spaces and unicode letters are fine.
 */
export function checkFileName(name: string): string {
  const bad = (why: string): DubdError => new DubdError('INVALID_ARGUMENT', `file name '${name.slice(0, 80)}' is not allowed: ${why}`);
  if (name.length === 0 || Buffer.byteLength(name) > 200) throw bad('it must be 1–200 bytes');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) throw bad('control characters');
  if (name.includes('/') || name.includes('\\')) throw bad('it contains a path separator');
  if (name === '.' || name === '..' || name.startsWith('.')) throw bad('it starts with a dot');
  if (/^[A-Za-z]:/.test(name)) throw bad('it looks like a drive path');
  return name;
}

/** A file name from anywhere (a path's last part, a URL) made safe to use: unsafe characters become '_'. */
export function safeFileName(name: string, fallback = 'source'): string {
  // eslint-disable-next-line no-control-regex
  const cleaned = name.replace(/[\u0000-\u001f\u007f/\\:*?"<>|]/g, '_').replace(/^\.+/, '').slice(0, 120);
  return cleaned.length > 0 ? cleaned : fallback;
}

/** Whether `p` lies strictly inside `root` (both absolute). */
function inside(root: string, p: string): boolean {
  const rel = relative(root, p);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

function realOr(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return resolve(p);
  }
}

/**
 * Resolves `path` (symlinks too) and checks it lies inside one of `roots`: the only local files a
 * project may be created from. Returns the real path. A path outside is refused whether or not it
 * exists, so the answer says nothing about the server's other files.
 */
export function resolveImportPath(path: string, roots: string[]): string {
  if (!isAbsolute(path)) throw new DubdError('INVALID_ARGUMENT', `source path must be absolute: ${path.slice(0, 200)}`);
  const realRoots = roots.map(realOr);
  const forbidden = (): DubdError => new DubdError('FORBIDDEN', `source path is outside the import folders (projects.importDirs): ${path.slice(0, 200)}`);
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    if (!realRoots.some((r) => inside(r, resolve(path)))) throw forbidden();
    throw new DubdError('INPUT_NOT_FOUND', `input not found: ${path.slice(0, 200)}`);
  }
  if (!realRoots.some((r) => inside(r, real))) throw forbidden();
  return real;
}
