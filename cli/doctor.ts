/**
 * `dubd doctor [--json] [--config file] [--data-dir dir]`: one row per engine (found or missing, version,
 * how to install it). Exits 0 only when every engine the configured pipeline needs is ok.
 */
import { resolve } from 'node:path';
import type { CliIo } from './io.js';
import { loadConfig } from '../config/load.js';
import { parseCliArgs } from './args.js';
import { formatTable } from './table.js';
import { probeSystemEngines, type ProbeResult } from '../collections/system-engines.js';

function row(r: ProbeResult): string[] {
  const detail = r.hint ? `${r.detail}; fix: ${r.hint}` : r.detail;
  return [r.id, r.kind, r.status, r.required ? 'yes' : 'no', r.version ?? '-', detail];
}

export async function doctorCommand(args: string[], io: CliIo): Promise<number> {
  const { values } = parseCliArgs({
    args,
    options: {
      json: { type: 'boolean', default: false },
      config: { type: 'string' },
      'data-dir': { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  const config = loadConfig({ file: values.config, env: io.env });
  // Relative data dirs are relative to where the user ran the command, not to the process.
  config.dataDir = resolve(io.cwd, values['data-dir'] ?? config.dataDir);

  const results = await probeSystemEngines({ config, env: io.env });
  const failing = results.filter((r) => r.required && r.status !== 'ok');

  if (values.json) {
    io.stdout.write(`${JSON.stringify({ ok: failing.length === 0, engines: results }, null, 2)}\n`);
  } else {
    io.stdout.write(formatTable(['ENGINE', 'KIND', 'STATUS', 'REQUIRED', 'VERSION', 'DETAIL'], results.map(row)));
    io.stdout.write(
      failing.length === 0
        ? '\nall engines the configured pipeline needs are ok\n'
        : `\n${failing.length} required engine(s) not ok: ${failing.map((r) => r.id).join(', ')}\n`,
    );
  }
  return failing.length === 0 ? 0 : 1;
}
