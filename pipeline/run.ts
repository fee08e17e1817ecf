/**
 * One pipeline for every mode. The source feeds a bounded ingest channel (block for files, drop-oldest for
 * live), every stage runs concurrently behind a bounded channel, and the output is teed to the sinks.
 * Any failure aborts the whole run and is rethrown once; every channel is closed on the way out.
 */
import type { Logger } from 'pino';
import { Channel, pump, type OverflowPolicy } from './channel.js';
import type { Clock } from './clock.js';
import type { AudioFrame, Frame } from './frames.js';
import { PipelineMetrics } from './metrics.js';
import type { Stage, StageContext } from './stage.js';
import type { DubdConfig } from '../config/schema.js';
import { silentLogger } from '../config/logger.js';
import { DubdError, toError } from './errors.js';

export type Sink = (frames: AsyncIterable<Frame>, ctx: StageContext) => Promise<void>;

export interface RunPipelineOptions {
  source: AsyncIterable<AudioFrame>;
  stages: Stage[];
  sinks: Sink[];
  clock: Clock;
  settings: DubdConfig;
  policy: OverflowPolicy;
  ingestCapacity?: number;
  stageCapacity?: number;
  /** Called synchronously for every frame leaving the last stage (progress, event feeds). */
  observers?: ((frame: Frame) => void)[];
  signal?: AbortSignal;
  log?: Logger;
  metrics?: PipelineMetrics;
}

/** Appends an eos frame stamped with the end of the source. */
async function* withEos(source: AsyncIterable<AudioFrame>): AsyncGenerator<Frame> {
  let endMs = 0;
  for await (const frame of source) {
    endMs = frame.ptsMs + (frame.samples.length / frame.channels / frame.sampleRate) * 1000;
    yield frame;
  }
  yield { kind: 'eos', ptsMs: endMs };
}

export async function runPipeline(opts: RunPipelineOptions): Promise<PipelineMetrics> {
  const controller = new AbortController();
  const metrics = opts.metrics ?? new PipelineMetrics();
  const ctx: StageContext = { signal: controller.signal, clock: opts.clock, log: opts.log ?? silentLogger, metrics, settings: opts.settings };
  const channels: Channel[] = [];
  const pumps: Promise<void>[] = [];
  const channel = (capacity: number, policy: OverflowPolicy): Channel => {
    const c = new Channel({ capacity, policy, onDrop: () => metrics.count('ingest.dropped') });
    channels.push(c);
    return c;
  };

  const ingest = channel(opts.ingestCapacity ?? 256, opts.policy);
  pumps.push(pump(withEos(opts.source), ingest, controller.signal));
  let stream: AsyncIterable<Frame> = ingest;
  for (const stage of opts.stages) {
    const next = channel(opts.stageCapacity ?? 64, 'block');
    pumps.push(pump(stage(stream, ctx), next, controller.signal));
    stream = next;
  }

  const sinkChannels = opts.sinks.map(() => channel(opts.stageCapacity ?? 64, 'block'));
  const tee = (async () => {
    try {
      for await (const frame of stream) {
        for (const observe of opts.observers ?? []) observe(frame);
        for (const c of sinkChannels) await c.push(frame);
      }
      for (const c of sinkChannels) c.close();
    } catch (err) {
      for (const c of sinkChannels) c.fail(err);
    }
  })();
  // Stopping must fail every channel, not only abort the signal: a pump blocked in push() on a full channel
  // whose reader has already gone would otherwise wait for room forever.
  const stop = (reason: unknown): void => {
    controller.abort(reason);
    for (const c of channels) c.fail(reason);
  };
  let failure: unknown;
  const fail = (err: unknown): void => {
    if (failure === undefined) failure = err;
    stop(err);
  };
  const onOuterAbort = (): void => stop(opts.signal?.reason ?? new DubdError('ABORTED', 'aborted'));
  if (opts.signal?.aborted) onOuterAbort();
  else opts.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const sinks = opts.sinks.map((sink, i) => sink(sinkChannels[i], ctx).catch(fail));
  try {
    await Promise.all([...sinks, tee, ...pumps]);
  } finally {
    opts.signal?.removeEventListener('abort', onOuterAbort);
    for (const c of channels) c.close();
  }
  if (opts.signal?.aborted) throw opts.signal.reason instanceof DubdError ? opts.signal.reason : new DubdError('ABORTED', 'aborted');
  if (failure !== undefined) throw toError(failure);
  return metrics;
}
