/** A progress bar on a TTY (stderr), nothing otherwise: piped output and CI logs stay clean. */
import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number, total: number): void;
  stop(): void;
}

export const noProgress: Progress = { update: () => undefined, stop: () => undefined };

export function progressBar(stream: NodeJS.WritableStream & { isTTY?: boolean }, label: string): Progress {
  if (!stream.isTTY) return noProgress;
  const bar = new cliProgress.SingleBar(
    { stream, format: `${label} [{bar}] {percentage}% | {doneS}/{totalS} s | eta {eta_formatted}`, hideCursor: true, clearOnComplete: false },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(done, total) {
      const payload = { doneS: (done / 1000).toFixed(0), totalS: (total / 1000).toFixed(0) };
      if (!started) {
        bar.start(total, done, payload);
        started = true;
      } else bar.update(done, payload);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
