/** Request bodies on uWS: read whole (JSON, limited) or streamed (uploads, limited), and parsed strictly. */
import { Readable } from 'node:stream';
import type uWS from 'uWebSockets.js';
import { z, type ZodTypeAny } from 'zod';
import { DubdError } from '../../pipeline/errors.js';
import { apiError } from './errors.js';

export interface BodyState {
  aborted: boolean;
  responded: boolean;
  /** The whole request body arrived. */
  bodyDone?: boolean;
  /** The request's Content-Length, if it declared one. */
  contentLength?: number;
  /** Answered before the body arrived: the rest is being read and dropped (see answerBeforeBody). */
  draining?: boolean;
  /** uWS delivery of the body is paused (a streamed body whose reader is behind). */
  paused?: boolean;
  onAbort?: () => void;
}

export const aborted = (): DubdError => new DubdError('ABORTED', 'the client went away');

/** A body declared larger than this is not read to its end after an early answer: the connection is closed. */
export const DRAIN_LIMIT = 16 << 20;

/**
 * Called (corked) as an answer ends while the request body is still arriving (413, 401 on an upload, …);
 * says whether to close the connection with the answer. Closing resets a client still writing, and most
 * (fetch, browsers) then report a network error instead of the answer; so, like nginx's lingering close,
 * the rest is read and dropped, and the connection stays usable. Only a body declared larger than
 * DRAIN_LIMIT is cut off.
 */
export function answerBeforeBody(res: uWS.HttpResponse, state: BodyState): boolean {
  if (state.bodyDone || state.draining) return false;
  if ((state.contentLength ?? 0) > DRAIN_LIMIT) return true;
  state.draining = true;
  // A streamed body may be paused for backpressure (resuming one that is not confuses uWS's keep-alive).
  if (state.paused) res.resume();
  state.paused = false;
  return false;
}

/** First in every onData: while draining, drops the chunk and says so. */
function dropped(state: BodyState, isLast: boolean): boolean {
  if (!state.draining) return false;
  if (isLast) state.bodyDone = true;
  return true;
}

/** The whole body, refused past `limit` (onTooLarge answers 413 at once). uWS reuses its chunks: copy them. */
export function readBody(res: uWS.HttpResponse, state: BodyState, limit: number, onTooLarge: () => void): Promise<Uint8Array> {
  const body = new Promise<Uint8Array>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    state.onAbort = () => reject(aborted());
    res.onData((chunk, isLast) => {
      if (dropped(state, isLast) || size > limit) return;
      size += chunk.byteLength;
      if (size > limit) {
        onTooLarge();
        return reject(apiError('PAYLOAD_TOO_LARGE', `the request body is larger than ${limit} bytes`));
      }
      if (chunk.byteLength > 0) chunks.push(Buffer.copyBytesFrom(new Uint8Array(chunk)));
      if (isLast) {
        state.bodyDone = true;
        resolve(Buffer.concat(chunks));
      }
    });
  });
  body.catch(() => undefined); // may settle before the handler awaits it
  return body;
}

/** The body as a Readable with backpressure (uWS pause/resume); past `limit` it errors with PAYLOAD_TOO_LARGE. */
export function streamBody(res: uWS.HttpResponse, state: BodyState, limit: number, onTooLarge: () => void): Readable {
  let size = 0;
  const live = (): boolean => !state.aborted && !state.responded;
  const stream = new Readable({
    highWaterMark: 1 << 20,
    read() {
      if (state.paused && live()) res.resume();
      state.paused = false;
    },
  });
  state.onAbort = () => stream.destroy(aborted());
  // Errors reach a handler through its own listeners (pipeline); one that never started must not crash the process.
  stream.on('error', () => undefined);
  res.onData((chunk, isLast) => {
    if (dropped(state, isLast) || stream.destroyed || size > limit) return;
    size += chunk.byteLength;
    if (size > limit) {
      stream.destroy(apiError('PAYLOAD_TOO_LARGE', `the request body is larger than ${limit} bytes`));
      return onTooLarge();
    }
    if (chunk.byteLength > 0 && !stream.push(Buffer.copyBytesFrom(new Uint8Array(chunk))) && !isLast) {
      state.paused = true;
      res.pause();
    }
    if (isLast) {
      state.bodyDone = true;
      stream.push(null);
    }
  });
  return stream;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** JSON text → the route's body, strictly: unknown fields are named, not dropped. */
export function parseBody(raw: Uint8Array, schema: ZodTypeAny | undefined): unknown {
  let text: string;
  try {
    text = utf8.decode(raw);
  } catch {
    throw apiError('INVALID_JSON', 'the request body is not UTF-8 text');
  }
  let value: unknown;
  if (text.trim() !== '') {
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw apiError('INVALID_JSON', `the request body is not valid JSON: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  if (!schema) {
    if (value === undefined || value === null || (isObject(value) && Object.keys(value).length === 0)) return undefined;
    const first = isObject(value) ? Object.keys(value)[0] : undefined;
    throw first ? apiError('UNKNOWN_FIELD', `unknown field '${first}': this route takes no body`, first) : apiError('INVALID_ARGUMENT', 'this route takes no body');
  }
  const unknown = unknownField(schema, value, []);
  if (unknown) throw apiError('UNKNOWN_FIELD', `unknown field '${unknown}'`, unknown);
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  if (issue?.code === 'unrecognized_keys') {
    const field = [...issue.path, issue.keys[0]].join('.');
    throw apiError('UNKNOWN_FIELD', `unknown field '${field}'`, field);
  }
  if (value === undefined) throw apiError('INVALID_ARGUMENT', 'this route needs a JSON body');
  throw parsed.error;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The first key of `value` that `schema` (or a nested object schema) does not know, unless it allows extra keys. */
export function unknownField(schema: ZodTypeAny, value: unknown, path: string[]): string | undefined {
  const s = unwrap(schema);
  if (s instanceof z.ZodObject && isObject(value)) {
    const shape = s.shape as Record<string, ZodTypeAny>;
    const def = s._def as { unknownKeys: string; catchall: ZodTypeAny };
    const allowsExtra = def.unknownKeys === 'passthrough' || !(def.catchall instanceof z.ZodNever);
    for (const [k, v] of Object.entries(value)) {
      if (!Object.hasOwn(shape, k)) {
        if (!allowsExtra) return [...path, k].join('.');
        continue;
      }
      const inner = unknownField(shape[k], v, [...path, k]);
      if (inner) return inner;
    }
  } else if (s instanceof z.ZodArray && Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const inner = unknownField(s.element as ZodTypeAny, value[i], [...path, String(i)]);
      if (inner) return inner;
    }
  }
  return undefined;
}

function unwrap(schema: ZodTypeAny): ZodTypeAny {
  let s = schema;
  for (let i = 0; i < 20; i++) {
    if (s instanceof z.ZodOptional || s instanceof z.ZodNullable) s = s.unwrap() as ZodTypeAny;
    else if (s instanceof z.ZodDefault || s instanceof z.ZodCatch || s instanceof z.ZodReadonly) s = (s._def as { innerType: ZodTypeAny }).innerType;
    else if (s instanceof z.ZodEffects) s = s.innerType() as ZodTypeAny;
    else if (s instanceof z.ZodBranded) s = s.unwrap() as ZodTypeAny;
    else if (s instanceof z.ZodLazy) s = s.schema as ZodTypeAny;
    else if (s instanceof z.ZodPipeline) s = (s._def as { in: ZodTypeAny }).in;
    else break;
  }
  return s;
}
