/**
 * A stage is a pull-based transform: frames in, frames out. Pulling gives backpressure for free, and a
 * stage test is an array in and an array out.
 */
import type { Logger } from 'pino';
import type { Clock } from './clock.js';
import type { Frame } from './frames.js';
import type { PipelineMetrics } from './metrics.js';
import type { DubdConfig } from '../config/schema.js';

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
