/**
 * `dubd dub <input> --to es[,pt] --out <file>`: dubs a media file; writes the media, subtitles per language
 * and a JSON report, or nothing at all when it fails.
 */
import type { CliIo } from './io.js';
import { languages, parseCliArgs } from './args.js';
import { noProgress, progressBar } from './progress.js';
import { loadConfig } from '../config/load.js';
import { dubFile } from '../pipeline/jobs/dub-file.js';
import { DubdError } from '../pipeline/errors.js';
import { createLogger } from '../config/logger.js';
import { languageCode } from '../config/schema.js';

const USAGE = 'dubd dub <input media> --to es[,pt] --out <file.mp4|.mkv|.mov|.m4a> [--realtime] [--from en] [--config file.json]';

export async function dubCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCliArgs(
    {
      args,
      allowPositionals: true,
      options: {
        to: { type: 'string', short: 't' },
        out: { type: 'string', short: 'o' },
        from: { type: 'string' },
        realtime: { type: 'boolean', default: false },
        config: { type: 'string' },
        quiet: { type: 'boolean', short: 'q', default: false },
      },
    },
    USAGE,
  );
  if (positionals.length !== 1) throw new DubdError('INVALID_ARGUMENT', `expected one input file\nusage: ${USAGE}`);
  if (!values.out) throw new DubdError('INVALID_ARGUMENT', `--out is required\nusage: ${USAGE}`);
  const targets = languages(values.to);
  if (targets.length === 0) throw new DubdError('INVALID_ARGUMENT', `--to is required (e.g. --to es,pt)\nusage: ${USAGE}`);
  for (const t of [...targets, values.from ?? 'en']) {
    if (!languageCode.safeParse(t).success) throw new DubdError('INVALID_ARGUMENT', `'${t}' is not a language code (e.g. es, pt)`);
  }
  const settings = loadConfig({ file: values.config, env: io.env, overrides: values.from ? { sourceLanguage: values.from } : {} });
  const log = createLogger(io.env.DUBD_LOG_LEVEL ?? 'warn');
  const bar = values.quiet ? noProgress : progressBar(io.stderr, 'dubbing');
  const controller = new AbortController();
  const onSignal = (): void => controller.abort(new DubdError('ABORTED', 'interrupted'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const { report, files } = await dubFile({
      input: positionals[0],
      output: values.out,
      targets,
      settings,
      realtime: values.realtime,
      onProgress: (done, total) => bar.update(done, total),
      signal: controller.signal,
      log,
    });
    bar.stop();
    if (!values.quiet) {
      const lag = report.lag ? Object.entries(report.lag).map(([l, s]) => ` | ${l} dub lag p50 ${s.p50Ms} ms p95 ${s.p95Ms} ms`).join('') : '';
      io.stdout.write(`dubbed ${report.segments.length} segments of ${(report.durationMs / 1000).toFixed(1)} s in ${(report.wallMs / 1000).toFixed(1)} s (${report.speedX}x real time)${lag}\n`);
      for (const f of files) io.stdout.write(`  ${f}\n`);
    }
    return 0;
  } finally {
    bar.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
