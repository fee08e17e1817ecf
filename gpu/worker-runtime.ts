/**
 * Worker side of the inference host: answers `{id, method, args}` requests from the host with
 * `{id, ok, value}` or `{id, ok: false, error}`. Errors cross the thread boundary as plain
 * `{code, message, retryable}` records because class instances do not survive structured cloning.
 */
import { parentPort, workerData, type TransferListItem } from 'node:worker_threads';
import { DubdError, type ErrorCode } from '../pipeline/errors.js';

/** `never` so a handler may declare the argument type it expects; the host's caller supplies it. */
export type Handler = (args: never, workerData: WorkerData) => unknown;
export type Handlers = Record<string, Handler>;

/** What the host puts in workerData: the device plus whatever the host's owner added. */
export interface WorkerData {
  device: 'cpu' | 'cuda';
  index: number;
  data: unknown;
}

export interface WireRequest {
  id: number;
  method: string;
  args: unknown;
}
export interface WireError {
  code: ErrorCode;
  message: string;
  retryable: boolean;
}
export type WireResponse = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: WireError };

const TRANSFER = Symbol('dubd.transfer');
interface WithTransfer {
  [TRANSFER]: true;
  value: unknown;
  transfer: TransferListItem[];
}

/** Return this from a handler to move (not copy) large buffers back to the host. */
export function withTransfer<T>(value: T, transfer: TransferListItem[]): T {
  return { [TRANSFER]: true, value, transfer } as WithTransfer as T;
}

function isWithTransfer(v: unknown): v is WithTransfer {
  return typeof v === 'object' && v !== null && TRANSFER in v;
}

export function toWireError(err: unknown): WireError {
  if (err instanceof DubdError) return { code: err.code, message: err.message, retryable: err.retryable };
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'ENGINE_FAILED', message, retryable: false };
}

/** Reserved method the host sends before terminating a worker (see ServeOptions.dispose). */
export const DISPOSE_METHOD = '__dispose__';

export interface ServeOptions {
  /**
   * Frees native resources before the host terminates the thread: terminating a worker stops its
   * JavaScript but does not free what C libraries allocated, so without this a closed host leaks.
   */
  dispose?: () => unknown;
}

export function serveWorker(handlers: Handlers, opts: ServeOptions = {}): void {
  const port = parentPort;
  if (!port) throw new Error('serveWorker() must run inside a worker thread');
  const data = workerData as WorkerData;

  const answer = async (req: WireRequest): Promise<void> => {
    try {
      if (req.method === DISPOSE_METHOD) {
        await opts.dispose?.();
        port.postMessage({ id: req.id, ok: true, value: null } satisfies WireResponse);
        return;
      }
      const handler = Object.hasOwn(handlers, req.method) ? handlers[req.method] : undefined;
      if (!handler) throw new DubdError('INVALID_ARGUMENT', `worker has no method '${req.method}'`);
      const result = await handler(req.args as never, data);
      if (isWithTransfer(result)) {
        port.postMessage({ id: req.id, ok: true, value: result.value } satisfies WireResponse, result.transfer);
      } else {
        port.postMessage({ id: req.id, ok: true, value: result } satisfies WireResponse);
      }
    } catch (err) {
      port.postMessage({ id: req.id, ok: false, error: toWireError(err) } satisfies WireResponse);
    }
  };

  port.on('message', (req: WireRequest) => {
    void answer(req);
  });
}
