/** `dubd bench latency|batch [--duration S] [--minutes M] [--to es,pt]`: runs a benchmark, prints markdown rows. */
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import type { CliIo } from '../cli/io.js';
import { languages, parseCliArgs } from '../cli/args.js';
import { progressBar } from '../cli/progress.js';
import { DubdError } from '../pipeline/errors.js';
import { loadConfig } from '../config/load.js';
import { latencyBenchmark } from './latency.js';
import { batchBenchmark } from './batch.js';
import { glassBenchmark } from './glass.js';
import { capacityBenchmark } from './capacity.js';
import { fanoutBenchmark } from './fanout.js';
import { soakBenchmark } from './soak.js';
import { runAsrBenchmark } from './asr.js';
import { runMtBenchmark } from './mt.js';
import { runTtsBenchmark } from './tts.js';
import { runVoiceBenchmark } from './voice.js';
import { runProjectBenchmark } from './projects.js';
import { backupBenchTable, runBackupBenchmark } from './backup.js';

const USAGE = 'dubd bench latency [--duration 60] | batch [--minutes 10] [--to es] | glass [--duration 60] | capacity [--sessions 4] [--duration 60] | fanout [--duration 10] | soak [--minutes 60] | asr [--duration 60] | mt [--sentences 100] | tts | voice [--duration 5] | projects [--projects 3] | backup [--size 1024]';

export function machine(): string {
  const c = cpus();
  return `${c.length} × ${c[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}

export async function benchCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCliArgs(
    { args, allowPositionals: true, options: { duration: { type: 'string' }, sentences: { type: 'string' }, projects: { type: 'string' }, size: { type: 'string' }, minutes: { type: 'string' }, to: { type: 'string' }, dir: { type: 'string' }, sessions: { type: 'string' } } },
    USAGE,
  );
  const dir = resolve(io.cwd, values.dir ?? join('benchmarks', 'out'));
  // DUBD_* env vars and DUBD_CONFIG apply, so settings can be compared run by run.
  const cfg = loadConfig({ env: io.env });
  const say = (s: string): void => void io.stderr.write(`${s}\n`);
  io.stdout.write(`machine: ${machine()}\ndate: ${new Date().toISOString()}\n`);
  switch (positionals[0]) {
    case 'latency': {
      const results = await latencyBenchmark({ dir, durationS: Number(values.duration ?? 60), cfg, log: say });
      io.stdout.write('| pipeline | units | dub lag p50 | p95 | max | ASR RTF | MT RTF | TTS RTF | VAD RTF |\n|---|---|---|---|---|---|---|---|---|\n');
      for (const r of results) {
        io.stdout.write(`| ${r.name} | ${r.lag.count} | ${r.lag.p50Ms} ms | ${r.lag.p95Ms} ms | ${r.lag.maxMs} ms | ${r.rtf.asr} | ${r.rtf.translate} | ${r.rtf.tts} | ${r.rtf.vad} |\n`);
      }
      if (results.length === 2) {
        io.stdout.write(`\nours ÷ naive: p50 ${(results[0].lag.p50Ms / results[1].lag.p50Ms).toFixed(2)}, p95 ${(results[0].lag.p95Ms / results[1].lag.p95Ms).toFixed(2)}\n`);
      }
      return 0;
    }
    case 'batch': {
      const bar = progressBar(io.stderr, 'batch');
      const r = await batchBenchmark({ dir, cfg, minutes: Number(values.minutes ?? 10), targets: languages(values.to ?? 'es'), onProgress: (d, t) => bar.update(d, t) });
      bar.stop();
      io.stdout.write(`| input | targets | segments | wall | speed | peak RSS |\n|---|---|---|---|---|---|\n`);
      io.stdout.write(`| ${r.durationS.toFixed(0)} s real speech | ${r.targets.join(',')} | ${r.segments} | ${r.wallS.toFixed(1)} s | ${r.speedX}× real time | ${r.peakRssMb} MB |\n`);
      return 0;
    }
    case 'glass': {
      const r = await glassBenchmark({ dir, durationS: Number(values.duration ?? 60), cfg, log: say });
      io.stdout.write('| units | WHEP fed p50 | p95 | HLS listed p50 | p95 | max | dub lag p50 | p95 | late-shifted | missed | ingest drops | A/V offset |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n');
      io.stdout.write(`| ${r.units} | ${r.whepDelivered.p50Ms} ms | ${r.whepDelivered.p95Ms} ms | ${r.hlsListed.p50Ms} ms | ${r.hlsListed.p95Ms} ms | ${r.hlsListed.maxMs} ms | ${r.dubLag.p50Ms} ms | ${r.dubLag.p95Ms} ms | ${r.shifted} | ${r.missed} | ${r.dropped} | ${r.avOffsetMs?.toFixed(2) ?? 'n/a'} ms |\n`);
      return 0;
    }
    case 'capacity': {
      const rows = await capacityBenchmark({ dir, maxSessions: Number(values.sessions ?? 4), durationS: Number(values.duration ?? 60), cfg, log: say });
      io.stdout.write('| live sessions | ingest drops | dubs | started late | skipped | dubd CPU (of all cores) |\n|---|---|---|---|---|---|\n');
      for (const r of rows) io.stdout.write(`| ${r.sessions} | ${r.dropped} | ${r.dubs} | ${r.shifted} | ${r.missed} | ${r.cpuPercent}% |\n`);
      return 0;
    }
    case 'fanout': {
      const paced = [{ connections: 10_000, delayMs: 500 }];
      const rows = await fanoutBenchmark({ dir, connections: [1000, 4000], paced, seconds: Number(values.duration ?? 10), log: say });
      io.stdout.write('| server | load | connections | requests/s | p50 | p99 | errors | viewers (1 playlist + 1 segment / s) |\n|---|---|---|---|---|---|---|---|\n');
      for (const r of rows) io.stdout.write(`| ${r.server} | ${r.mode} | ${r.connections} | ${r.requestsPerS} | ${r.p50Ms} ms | ${r.p99Ms} ms | ${r.errors} | ${r.viewers} |\n`);
      return 0;
    }
    case 'asr':
      await runAsrBenchmark({ dir, cfg, durationS: Number(values.duration ?? 60), log: say, print: (t) => void io.stdout.write(t) });
      return 0;
    case 'mt':
      await runMtBenchmark({ sentences: Number(values.sentences ?? 100), print: (t) => void io.stdout.write(t) });
      return 0;
    case 'tts':
      await runTtsBenchmark({ cfg, env: io.env, log: say, print: (l) => void io.stdout.write(`${l}\n`) });
      return 0;
    case 'voice':
      await runVoiceBenchmark({ segmentS: Number(values.duration ?? 5), print: (l) => void io.stdout.write(`${l}\n`), log: say });
      return 0;
    case 'projects':
      await runProjectBenchmark({ dir, projects: Number(values.projects ?? 3), log: say, print: (t) => void io.stdout.write(t) });
      return 0;
    case 'backup':
      io.stdout.write(backupBenchTable(await runBackupBenchmark({ dir, sizeMiB: Number(values.size ?? 1024), log: say })));
      return 0;
    case 'soak': {
      const r = await soakBenchmark({ dir, minutes: Number(values.minutes ?? 60), cfg, log: say });
      io.stdout.write('| minute | RSS | heap used | external |\n|---|---|---|---|\n');
      const every = Math.max(1, Math.round(r.samples.length / 12));
      for (const [i, s] of r.samples.entries()) if (i % every === 0 || i === r.samples.length - 1) io.stdout.write(`| ${s.minute} | ${s.rssMb} MB | ${s.heapMb} MB | ${s.externalMb} MB |\n`);
      io.stdout.write(`\nsecond half: RSS ${r.rssMbPer10Min} MB / 10 min, heap ${r.heapMbPer10Min} MB / 10 min; dubs ${r.dubs}, ingest drops ${r.dropped}\n`);
      return 0;
    }
    default:
      throw new DubdError('INVALID_ARGUMENT', `unknown benchmark '${positionals[0] ?? ''}'; usage: ${USAGE}`);
  }
}
