/**
 * `dubd streams add <name> --to es,pt | list | rotate <name> | remove <name>`: live streams and their keys.
 * `add` and `rotate` print the secret key once, with the OBS settings to paste.
 */
import { resolve } from 'node:path';
import type { CliIo } from './io.js';
import { languages, parseCliArgs } from './args.js';
import { formatTable } from './table.js';
import { loadConfig } from '../config/load.js';
import { StreamRegistry } from '../realtime/streams.js';
import { DubdError } from '../pipeline/errors.js';
import { publicUrls } from '../realtime/urls.js';
import { settingsFor } from '../config/stream-settings.js';

const USAGE = "dubd streams add <name> --to es[,pt] [--settings '{\"mt\":{\"providers\":[\"openai\",\"apertium\"]}}'] | list | rotate <name> | remove <name>";

export async function streamsCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCliArgs(
    { args, allowPositionals: true, options: { to: { type: 'string', short: 't' }, settings: { type: 'string' }, config: { type: 'string' }, json: { type: 'boolean', default: false } } },
    USAGE,
  );
  const cfg = loadConfig({ file: values.config, env: io.env });
  const registry = new StreamRegistry(resolve(io.cwd, cfg.dataDir), cfg.live.streams);
  const [verb, name] = positionals;
  const needName = (): string => {
    if (!name) throw new DubdError('INVALID_ARGUMENT', `a stream name is needed\nusage: ${USAGE}`);
    return name;
  };
  const printKey = (streamName: string, key: string): void => {
    const urls = publicUrls(cfg.live, streamName);
    io.stdout.write(
      [
        `stream '${streamName}' — OBS: Settings → Stream → Service: Custom`,
        `  Server:      ${urls.rtmp}`,
        `  Stream Key:  ${key}`,
        `  (shown once; keep it secret — \`dubd streams rotate ${streamName}\` replaces it)`,
        'OBS: Settings → Output → Keyframe Interval 1 s (2 s works; segments are then 2 s), audio 48 kHz',
        `Watch: ${urls.hls}`,
        '',
      ].join('\n'),
    );
  };
  switch (verb) {
    case 'add': {
      const n = needName();
      const to = languages(values.to);
      const settings = values.settings === undefined ? undefined : parseSettings(values.settings);
      // Checked now (the same check the server makes when the stream goes live), not at the first publish.
      if (settings) settingsFor(cfg, settings, `stream ${n}`);
      printKey(n, await registry.add(n, to, settings));
      return 0;
    }
    case 'rotate': {
      const n = needName();
      printKey(n, await registry.rotate(n));
      return 0;
    }
    case 'remove':
      await registry.remove(needName());
      io.stdout.write(`stream '${name}' removed\n`);
      return 0;
    case 'list': {
      const list = registry.list();
      if (values.json) io.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
      else io.stdout.write(formatTable(['NAME', 'LANGUAGES', 'FROM', 'HLS'], list.map((s) => [s.name, s.to.join(','), s.source, publicUrls(cfg.live, s.name).hls])));
      return 0;
    }
    default:
      throw new DubdError('INVALID_ARGUMENT', `unknown streams command '${verb ?? ''}'\nusage: ${USAGE}`);
  }
}

function parseSettings(text: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new DubdError('INVALID_ARGUMENT', `--settings is not JSON: ${(err as Error).message}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new DubdError('INVALID_ARGUMENT', '--settings must be a JSON object, e.g. {"mt":{"providers":["openai","apertium"]}}');
  return v as Record<string, unknown>;
}
