/**
 * A stage is a pull-based transform: frames in, frames out. Pulling gives backpressure for free, and a
 * stage test is an array in and an array out.
 */
import type { Logger } from 'pino';
import type { Clock } from './clock.js';
import type { Frame } from './frames.js';
import type { PipelineMetrics } from './metrics.js';
import type { DubdConfig } from '../config/schema.js';
import { DubdError } from './errors.js';

export interface StageContext {
  signal: AbortSignal;
  clock: Clock;
  log: Logger;
  metrics: PipelineMetrics;
  settings: DubdConfig;
}

export type Stage<I extends Frame = Frame, O extends Frame = Frame> = (
  input: AsyncIterable<I>,
  ctx: StageContext,
) => AsyncIterable<O>;

/** Chains stages left to right. */
export function compose(stages: Stage[]): Stage {
  return (input, ctx) => stages.reduce<AsyncIterable<Frame>>((acc, stage) => stage(acc, ctx), input);
}

/**
 * Runs one unit of an engine's work; a retryable engine failure (a crashed child, a timeout) costs that
 * unit only: it is logged, counted as `<stage>.failures`, and undefined comes back so the stage skips the
 * unit (live, the original audio plays there). Anything else fails the stage.
 */
export async function unitOfWork<T>(ctx: StageContext, stage: string, work: () => Promise<T>): Promise<T | undefined> {
  try {
    return await ctx.metrics.time(stage, work);
  } catch (err) {
    if (!(err instanceof DubdError && err.retryable) || ctx.signal.aborted) throw err;
    ctx.log.warn({ stage, err: err.message }, 'engine failed; unit skipped');
    ctx.metrics.count(`${stage}.failures`);
    return undefined;
  }
}
