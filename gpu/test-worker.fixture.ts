/** A tiny worker module for host tests: echoes, fails, crashes and sleeps on request. */
import { workerData as rawWorkerData } from 'node:worker_threads';
import { DubdError } from '../pipeline/errors.js';
import { serveWorker, withTransfer, type Handlers, type WorkerData } from './worker-runtime.js';

const workerData = rawWorkerData as WorkerData;
let calls = 0;

const handlers: Handlers = {
  echo: (args: unknown) => args,
  whoami: (_args: unknown, wd) => ({ index: wd.index, device: wd.device, data: wd.data, calls: ++calls }),
  fail: (args: { retryable?: boolean }) => {
    throw new DubdError('ENGINE_FAILED', 'asked to fail', { retryable: args?.retryable ?? false });
  },
  throwPlain: () => {
    throw new Error('plain failure');
  },
  crash: () => process.exit(3),
  slow: async (args: { ms: number; tag?: string }) => {
    await new Promise((r) => setTimeout(r, args.ms));
    return args.tag ?? 'done';
  },
  double: (args: Float32Array) => {
    const out = args.map((x) => x * 2);
    return withTransfer(out, [out.buffer]);
  },
};

/** Tests pass an Int32Array over a SharedArrayBuffer as `data`; dispose marks this worker's cell. */
function dispose(): void {
  const flags = workerData.data;
  if (flags instanceof Int32Array) Atomics.store(flags, workerData.index, 1);
}

serveWorker(handlers, { dispose });
