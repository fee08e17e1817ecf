/**
 * `dubd models list|pull <id>|verify [id]` over the model registry in `<dataDir>/models`.
 * Progress goes to stderr and only on a terminal, so piped output stays clean.
 */
import { resolve } from 'node:path';
import type { CliIo } from './io.js';
import { parseCliArgs } from './args.js';
import { formatTable } from './table.js';
import { loadConfig } from '../config/load.js';
import { DubdError } from '../pipeline/errors.js';
import { ModelRegistry, type VerifyResult } from '../collections/registry.js';
import { isSystemManifest } from '../collections/manifest.js';

const USAGE = 'usage: dubd models list [--json] | pull <id> | verify [id] [--json]  [--data-dir dir] [--config file]';

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** A `\r`-redrawn bar, redrawn at most every 100 ms (a progress call per network chunk would flood the terminal). */
function progressBar(io: CliIo, id: string): { update: (bytes: number, total: number | undefined) => void; end: () => void } {
  let last = 0;
  let drawn = false;
  const draw = (bytes: number, total: number | undefined): void => {
    const width = 30;
    const text =
      total && total > 0
        ? (() => {
            const frac = Math.min(1, bytes / total);
            const fill = Math.round(frac * width);
            return `${id} [${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${Math.floor(frac * 100)}% ${mb(bytes)} / ${mb(total)}`;
          })()
        : `${id} ${mb(bytes)}`;
    // \x1b[K clears what a longer previous line left behind.
    io.stderr.write(`\r${text}\x1b[K`);
    drawn = true;
  };
  return {
    update(bytes, total) {
      const now = Date.now();
      if (now - last < 100 && !(total !== undefined && bytes >= total)) return;
      last = now;
      draw(bytes, total);
    },
    end() {
      if (drawn) io.stderr.write('\n');
    },
  };
}

async function list(registry: ModelRegistry, json: boolean, io: CliIo): Promise<number> {
  const entries = await registry.list();
  if (json) {
    const out = entries.map(({ manifest: m, status, location }) => ({
      id: m.id,
      kind: m.kind,
      engine: m.engine,
      status,
      system: isSystemManifest(m),
      sizeBytes: isSystemManifest(m) ? undefined : m.files.reduce((a, f) => a + (f.sizeBytes ?? 0), 0) || undefined,
      license: m.license,
      description: m.description,
      location,
    }));
    io.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    return 0;
  }
  const rows = entries.map(({ manifest: m, status, location }) => {
    const size = isSystemManifest(m) ? '-' : m.files.every((f) => f.sizeBytes) ? mb(m.files.reduce((a, f) => a + (f.sizeBytes ?? 0), 0)) : '?';
    return [m.id, m.kind, m.engine, status, size, location];
  });
  io.stdout.write(formatTable(['ID', 'KIND', 'ENGINE', 'STATUS', 'SIZE', 'LOCATION'], rows));
  return 0;
}

async function pull(registry: ModelRegistry, id: string | undefined, io: CliIo): Promise<number> {
  if (!id) throw new DubdError('INVALID_ARGUMENT', `missing model id; ${USAGE}`);
  const bar = io.stderr.isTTY ? progressBar(io, id) : undefined;
  try {
    const result = await registry.pull(id, { onProgress: bar?.update });
    bar?.end();
    const how = result.downloadedBytes > 0 ? `downloaded ${mb(result.downloadedBytes)}, sha256 ok` : 'already present, sha256 ok';
    io.stdout.write(`${id}: ${how}; installed in ${result.dir}\n`);
    return 0;
  } catch (err) {
    bar?.end();
    throw err;
  }
}

function describe(r: VerifyResult): string {
  const bad = r.files.filter((f) => !f.ok);
  const why = bad.map((f) =>
    f.reason === 'missing' ? `${f.path}: missing` : `${f.path}: ${f.reason} mismatch (expected ${f.expected}, got ${f.actual})`,
  );
  return `${r.status.padEnd(13)} ${r.id}${why.length ? `\n  ${why.join('\n  ')}` : ''}`;
}

async function verify(registry: ModelRegistry, id: string | undefined, json: boolean, io: CliIo): Promise<number> {
  // Without an id: every model that is at least partly on disk (a never-pulled model is not a failure).
  const ids = id ? [registry.get(id).id] : (await registry.list()).filter((e) => e.status !== 'not installed').map((e) => e.manifest.id);
  const results: VerifyResult[] = [];
  for (const one of ids) {
    const r = await registry.verify(one);
    results.push(r);
    if (!json) io.stdout.write(`${describe(r)}\n`);
  }
  if (json) io.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  else if (!ids.length) io.stdout.write('no models installed; see dubd models list\n');
  return results.every((r) => r.status === 'ok') ? 0 : 1;
}

export async function modelsCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCliArgs({
    args,
    options: {
      json: { type: 'boolean', default: false },
      'data-dir': { type: 'string' },
      config: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: true,
  });
  const [sub, id, ...extra] = positionals;
  if (values.help) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (extra.length) throw new DubdError('INVALID_ARGUMENT', `unexpected argument '${extra[0]}'; ${USAGE}`);
  // The config is read only when --data-dir is not given, so a broken config file does not block `--data-dir`.
  const dataDir = values['data-dir'] ?? loadConfig({ file: values.config, env: io.env }).dataDir;
  const registry = new ModelRegistry({ dataDir: resolve(io.cwd, dataDir) });
  switch (sub) {
    case 'list':
      return list(registry, values.json === true, io);
    case 'pull':
      return pull(registry, id, io);
    case 'verify':
      return verify(registry, id, values.json === true, io);
    default:
      throw new DubdError('INVALID_ARGUMENT', sub ? `unknown subcommand '${sub}'; ${USAGE}` : USAGE);
  }
}
