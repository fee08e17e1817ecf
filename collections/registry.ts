/**
 * The model registry: the catalog plus what is on disk. Downloadable models live in `<dataDir>/models/<id>/`;
 * system models are wherever their package put them. `list()` is cheap (existence and size); `verify()` hashes.
 */
import { stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { DubdError } from '../pipeline/errors.js';
import { builtinCatalog } from './catalog.js';
import { isSystemManifest, type ModelManifest } from './manifest.js';
import { pullModel, sha256File, type PullOptions, type PullResult } from './pull.js';

export type ModelStatus = 'installed (system)' | 'missing (system)' | 'installed' | 'not installed' | 'corrupt';

export interface ModelListEntry {
  manifest: ModelManifest;
  status: ModelStatus;
  /** The model's folder (downloadable) or its first file (system). */
  location: string;
}

export interface FileCheck {
  path: string;
  ok: boolean;
  reason?: 'missing' | 'size' | 'sha256';
  expected?: string;
  actual?: string;
}

export interface VerifyResult {
  id: string;
  /** 'missing' is a system model whose package is gone; 'not installed' a downloadable never pulled. */
  status: 'ok' | 'corrupt' | 'not installed' | 'missing';
  files: FileCheck[];
}

export interface ModelRegistryOptions {
  dataDir: string;
  /** Defaults to the built-in catalog; tests pass their own. */
  catalog?: ModelManifest[];
}

async function sizeOf(path: string): Promise<number | undefined> {
  return stat(path).then(
    (s) => (s.isFile() ? s.size : 0),
    () => undefined,
  );
}

export class ModelRegistry {
  readonly modelsDir: string;
  private readonly byId: Map<string, ModelManifest>;

  constructor(opts: ModelRegistryOptions) {
    this.modelsDir = resolve(opts.dataDir, 'models');
    this.byId = new Map((opts.catalog ?? builtinCatalog()).map((m) => [m.id, m]));
  }

  ids(): string[] {
    return [...this.byId.keys()];
  }

  get(id: string): ModelManifest {
    const manifest = this.byId.get(id);
    if (!manifest) throw new DubdError('MODEL_NOT_FOUND', `unknown model '${id}'; see dubd models list`);
    return manifest;
  }

  /** Where a downloadable model's files go. */
  dirOf(id: string): string {
    this.get(id);
    return join(this.modelsDir, id);
  }

  /**
   * Absolute path of one of a model's files. For system models `file` is a listed path or its base name; for
   * downloadable ones any relative path inside the model folder (archives unpack files the manifest doesn't list).
   */
  pathOf(id: string, file: string): string {
    const manifest = this.get(id);
    if (isSystemManifest(manifest)) {
      const hit = manifest.files.find((f) => f.path === file || basename(f.path) === file);
      if (!hit) throw new DubdError('INVALID_ARGUMENT', `model '${id}' has no file '${file}'`);
      return hit.path;
    }
    if (file.startsWith('/') || file.split(/[\\/]/).includes('..')) {
      throw new DubdError('INVALID_ARGUMENT', `'${file}' is not a path inside model '${id}'`);
    }
    return join(this.modelsDir, id, file);
  }

  /** Installed state from existence and declared sizes only: fast enough for every `list`. */
  async status(id: string): Promise<ModelStatus> {
    const manifest = this.get(id);
    if (isSystemManifest(manifest)) {
      const sizes = await Promise.all(manifest.files.map((f) => sizeOf(f.path)));
      return sizes.every((s) => s !== undefined) ? 'installed (system)' : 'missing (system)';
    }
    const checks = await Promise.all(
      manifest.files.map(async (f) => {
        const size = await sizeOf(this.pathOf(id, f.path));
        return { present: size !== undefined, sizeOk: size !== undefined && (f.sizeBytes === undefined || size === f.sizeBytes) };
      }),
    );
    if (checks.every((c) => !c.present)) return 'not installed';
    return checks.every((c) => c.sizeOk) ? 'installed' : 'corrupt';
  }

  async list(): Promise<ModelListEntry[]> {
    return Promise.all(
      [...this.byId.values()].map(async (manifest) => ({
        manifest,
        status: await this.status(manifest.id),
        location: isSystemManifest(manifest) ? manifest.files[0].path : join(this.modelsDir, manifest.id),
      })),
    );
  }

  /** Hashes every file of a downloadable model against its manifest (streamed); checks system files exist. */
  async verify(id: string, opts: { signal?: AbortSignal } = {}): Promise<VerifyResult> {
    const manifest = this.get(id);
    if (isSystemManifest(manifest)) {
      const files = await Promise.all(
        manifest.files.map(async (f): Promise<FileCheck> => {
          const ok = (await sizeOf(f.path)) !== undefined;
          return ok ? { path: f.path, ok } : { path: f.path, ok, reason: 'missing' };
        }),
      );
      return { id, status: files.every((f) => f.ok) ? 'ok' : 'missing', files };
    }
    // One file at a time: hashing is disk-bound and parallel reads only thrash.
    const files: FileCheck[] = [];
    for (const f of manifest.files) {
      const path = this.pathOf(id, f.path);
      const size = await sizeOf(path);
      if (size === undefined) files.push({ path, ok: false, reason: 'missing' });
      else if (f.sizeBytes !== undefined && size !== f.sizeBytes) {
        files.push({ path, ok: false, reason: 'size', expected: `${f.sizeBytes} bytes`, actual: `${size} bytes` });
      } else {
        const actual = await sha256File(path, opts.signal);
        files.push(actual === f.sha256 ? { path, ok: true } : { path, ok: false, reason: 'sha256', expected: f.sha256, actual });
      }
    }
    const status = files.every((f) => f.reason === 'missing') ? 'not installed' : files.every((f) => f.ok) ? 'ok' : 'corrupt';
    return { id, status, files };
  }

  /** Pulls a downloadable model into its folder. */
  async pull(id: string, opts: PullOptions = {}): Promise<PullResult> {
    return pullModel(this.get(id), this.dirOf(id), opts);
  }
}
