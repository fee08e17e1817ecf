/**
 * Backup and restore throughput for a generated projects folder (1 GiB by default, shaped like Project
 * mode's media: a few large source videos, many small HLS segments, PCM audio, subtitles and JSON), through
 * the real BackupService on the embedded database. Prints MB/s (of the folder's bytes) and the peak RSS,
 * which shows the archive is streamed rather than held in memory. Not a test: run it by hand.
 */
import { randomFillSync } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BackupService } from '../backups/service.js';
import { openDatabase } from '../store/db.js';
import { migrate } from '../store/migrate.js';

export interface BackupBenchOptions {
  /** Working folder (the generated data is kept there and reused). */
  dir: string;
  /** Size of the projects folder in MiB. */
  sizeMiB?: number;
  compression?: ('zip' | 'none')[];
  log?: (line: string) => void;
}

export interface BackupBenchRow {
  compression: 'zip' | 'none';
  folderBytes: number;
  files: number;
  archiveBytes: number;
  backupS: number;
  backupMBs: number;
  restoreS: number;
  restoreMBs: number;
  /** RSS before the backup started (the embedded database's WASM heap is most of it). */
  baseRssMiB: number;
  peakRssMiB: number;
}

const MiB = 1 << 20;

/** Writes `bytes` to `path` in 1 MiB chunks produced by `fill`. */
async function writeGenerated(path: string, bytes: number, fill: (buf: Buffer, offset: number) => void): Promise<void> {
  const fh = await open(path, 'w');
  try {
    const buf = Buffer.alloc(MiB);
    for (let off = 0; off < bytes; off += MiB) {
      const n = Math.min(MiB, bytes - off);
      fill(buf, off);
      await fh.write(buf, 0, n);
    }
  } finally {
    await fh.close();
  }
}

const random = (buf: Buffer): void => void randomFillSync(buf);
/** 16-bit PCM: a tone with a little noise, which deflate shrinks only somewhat, like real speech. */
const pcm = (buf: Buffer, offset: number): void => {
  randomFillSync(buf);
  for (let i = 0; i + 1 < buf.length; i += 2) {
    const t = (offset + i) / 2;
    const v = Math.round(8000 * Math.sin(t / 7.3) + ((buf[i] ?? 0) - 128) * 4);
    buf.writeInt16LE(Math.max(-32768, Math.min(32767, v)), i);
  }
};

/** The projects folder: 60 % large videos, 20 % segments, 20 % audio, plus small text files. */
async function generate(root: string, sizeMiB: number, log: (s: string) => void): Promise<number> {
  const marker = join(root, `.generated-${sizeMiB}`);
  if (existsSync(marker)) return Number(await readFile(marker, 'utf8'));
  await rm(root, { recursive: true, force: true });
  log(`generating a ${sizeMiB} MiB projects folder in ${root}`);
  const total = sizeMiB * MiB;
  let files = 0;
  for (let p = 0; p < 3; p++) {
    const dir = join(root, `project-${p}`);
    await mkdir(join(dir, 'hls', 'es'), { recursive: true });
    await mkdir(join(dir, 'audio'), { recursive: true });
    await mkdir(join(dir, 'subs'), { recursive: true });
    await writeGenerated(join(dir, 'source.mp4'), Math.floor((total * 0.6) / 3), random);
    files++;
    const segBytes = 100 * 1024;
    const segs = Math.floor((total * 0.2) / 3 / segBytes);
    for (let s = 0; s < segs; s++) {
      await writeGenerated(join(dir, 'hls', 'es', `seg_${String(s).padStart(5, '0')}.m4s`), segBytes, random);
      files++;
    }
    for (let a = 0; a < 4; a++) {
      await writeGenerated(join(dir, 'audio', `track-${a}.wav`), Math.floor((total * 0.2) / 12), pcm);
      files++;
    }
    for (let t = 0; t < 300; t++) {
      await writeFile(join(dir, 'subs', `cue-${t}.vtt`), `WEBVTT\n\n00:00:${String(t % 60).padStart(2, '0')}.000 --> 00:00:59.000\nline ${t} of the dub\n`.repeat(20));
      files++;
    }
  }
  await writeFile(marker, String(files));
  return files;
}

export async function runBackupBenchmark(opts: BackupBenchOptions): Promise<BackupBenchRow[]> {
  const log = opts.log ?? (() => undefined);
  const sizeMiB = opts.sizeMiB ?? 1024;
  const work = join(opts.dir, 'backup-bench');
  const dataDir = join(work, 'data');
  const projectsDir = join(dataDir, 'projects');
  const files = await generate(projectsDir, sizeMiB, log);
  const folderBytes = sizeMiB * MiB;
  await rm(join(dataDir, 'db'), { recursive: true, force: true });
  const db = await openDatabase({ dataDir });
  const rows: BackupBenchRow[] = [];
  let peak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  try {
    await migrate(db.sql);
    for (const compression of opts.compression ?? ['zip', 'none']) {
      const base = process.memoryUsage().rss;
      peak = base;
      const service = await BackupService.load({ sql: db.sql, dbKind: db.kind, dataDir, config: { compressionType: compression, sourceDir: work } });
      try {
        const actor = { userId: null, name: 'bench' };
        let t = performance.now();
        const backup = await service.create({ type: 'PROJECTS', actor });
        const backupS = (performance.now() - t) / 1000;
        log(`${compression}: backup ${backupS.toFixed(1)} s, archive ${((backup.fileSize ?? 0) / MiB).toFixed(0)} MiB`);
        t = performance.now();
        await service.restore(backup.id, actor);
        const restoreS = (performance.now() - t) / 1000;
        log(`${compression}: restore ${restoreS.toFixed(1)} s (checksum, checks, extraction, swap)`);
        rows.push({
          compression,
          folderBytes,
          files,
          archiveBytes: backup.fileSize ?? 0,
          backupS,
          backupMBs: folderBytes / 1e6 / backupS,
          restoreS,
          restoreMBs: folderBytes / 1e6 / restoreS,
          baseRssMiB: Math.round(base / MiB),
          peakRssMiB: Math.round(peak / MiB),
        });
        await service.delete(backup.id, actor);
      } finally {
        await service.close();
      }
    }
  } finally {
    clearInterval(sampler);
    await db.close();
  }
  return rows;
}

export function backupBenchTable(rows: readonly BackupBenchRow[]): string {
  const lines = [
    '| compression | folder | files | archive | backup | backup MB/s | restore | restore MB/s | RSS before → peak |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.compression} | ${(r.folderBytes / MiB).toFixed(0)} MiB | ${r.files} | ${(r.archiveBytes / MiB).toFixed(0)} MiB | ${r.backupS.toFixed(1)} s | ` +
        `**${r.backupMBs.toFixed(0)}** | ${r.restoreS.toFixed(1)} s | **${r.restoreMBs.toFixed(0)}** | ${r.baseRssMiB} → ${r.peakRssMiB} MiB |`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}
