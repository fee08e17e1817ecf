/**
 * Inference-worker module for RVC: holds one engine (content + generator sessions) and converts windows.
 * The 16 kHz window comes in as a (transferred) Float32Array and the converted audio goes back transferred.
 */
import { serveWorker, withTransfer, type Handlers } from '../../../gpu/worker-runtime.js';
import { DubdError } from '../../errors.js';
import { RvcEngine, type RvcEngineInfo, type RvcEngineOptions, type WindowRequest } from './engine.js';

let engine: RvcEngine | undefined;

const handlers: Handlers = {
  open: async (opts: RvcEngineOptions): Promise<RvcEngineInfo> => {
    const next = await RvcEngine.open(opts);
    await engine?.close();
    engine = next;
    return next.info;
  },
  window: async (req: WindowRequest) => {
    if (!engine) throw new DubdError('INVALID_STATE', 'RVC worker: open() was not called');
    const out = await engine.convert(req);
    return withTransfer(out, [out.buffer as ArrayBuffer]);
  },
};

serveWorker(handlers, { dispose: () => engine?.close() });
