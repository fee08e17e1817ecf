/**
 * A structural check of an ONNX file before a native library sees it. onnxruntime inside sherpa-onnx
 * aborts the whole process (an uncaught C++ exception) on a file that is not a model, and sherpa-onnx
 * calls exit() when a metadata key it needs is missing; neither can be caught from JavaScript.
 *
 * The check walks the protobuf wire format of ModelProto and of its GraphProto one level deep, reading
 * only tags and lengths (big initializers are skipped, not read), so a 300 MB model costs a few reads.
 * A truncated download, an HTML error page or a random file fails here; bit flips inside a tensor do not
 * (the catalog's sha256 catches those).
 */
import { open, type FileHandle } from 'node:fs/promises';
import { DubdError } from '../../errors.js';

export interface OnnxSummary {
  irVersion: number;
  producer: string;
  /** metadata_props, where sherpa-onnx keeps sample_rate, n_speakers, … */
  metadata: Record<string, string>;
  inputs: string[];
  outputs: string[];
  nodes: number;
  sizeBytes: number;
}

const CHUNK = 64 * 1024;
/** Strings we read (names, metadata values) are small; anything larger is skipped or refused. */
const MAX_STRING = 1 << 20;

class Cursor {
  pos = 0;
  private readonly buf = Buffer.alloc(CHUNK);
  private start = 0;
  private end = 0;

  constructor(
    private readonly fh: FileHandle,
    readonly size: number,
  ) {}

  /** Makes at least `n` bytes from `pos` available (fewer at the end of the file). */
  private async ensure(n: number): Promise<void> {
    if (this.pos >= this.start && this.pos + n <= this.end) return;
    const { bytesRead } = await this.fh.read(this.buf, 0, CHUNK, this.pos);
    this.start = this.pos;
    this.end = this.pos + bytesRead;
  }

  async varint(limit: number): Promise<number> {
    await this.ensure(10);
    let value = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= Math.min(this.end, limit)) throw new Error('truncated varint');
      const b = this.buf[this.pos - this.start];
      this.pos++;
      value += (b & 0x7f) * 2 ** (7 * i);
      if (b < 0x80) return value;
    }
    throw new Error('varint longer than 10 bytes');
  }

  async string(len: number): Promise<string> {
    if (len > MAX_STRING) throw new Error(`string field of ${len} bytes`);
    const out = Buffer.alloc(len);
    const { bytesRead } = await this.fh.read(out, 0, len, this.pos);
    if (bytesRead !== len) throw new Error('truncated string');
    this.pos += len;
    return out.toString('utf8');
  }
}

type Field = { no: number; wire: number; value: number; start: number; end: number };

/** Walks the fields of one message in [cursor.pos, end), calling `visit` for each; checks it ends exactly at `end`. */
async function walk(c: Cursor, end: number, visit: (f: Field) => Promise<void> | void): Promise<void> {
  while (c.pos < end) {
    const key = await c.varint(end);
    const no = Math.floor(key / 8);
    const wire = key % 8;
    if (no === 0) throw new Error(`field number 0 at byte ${c.pos}`);
    let value = 0;
    let start = c.pos;
    if (wire === 0) value = await c.varint(end);
    else if (wire === 1) c.pos += 8;
    else if (wire === 5) c.pos += 4;
    else if (wire === 2) {
      value = await c.varint(end);
      start = c.pos;
      c.pos += value;
    } else throw new Error(`wire type ${wire} at byte ${start}`);
    if (c.pos > end) throw new Error(`field ${no} runs past the end of its message (truncated file?)`);
    const fieldEnd = c.pos;
    if (wire === 2) {
      c.pos = start;
      await visit({ no, wire, value, start, end: fieldEnd });
      c.pos = fieldEnd;
    } else {
      await visit({ no, wire, value, start, end: fieldEnd });
    }
  }
  if (c.pos !== end) throw new Error('message does not end on a field boundary');
}

/** key (1) / value (2) of a StringStringEntryProto, or the name (1) of a ValueInfoProto. */
async function stringFields(c: Cursor, end: number, wanted: number[]): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  await walk(c, end, async (f) => {
    if (f.wire === 2 && wanted.includes(f.no)) out.set(f.no, await c.string(f.value));
  });
  return out;
}

async function summarise(c: Cursor): Promise<OnnxSummary> {
  const s: OnnxSummary = { irVersion: 0, producer: '', metadata: {}, inputs: [], outputs: [], nodes: 0, sizeBytes: c.size };
  let graphs = 0;
  await walk(c, c.size, async (f) => {
    if (f.no === 1 && f.wire === 0) s.irVersion = f.value;
    else if (f.no === 2 && f.wire === 2) s.producer = await c.string(Math.min(f.value, 256));
    else if (f.no === 14 && f.wire === 2) {
      const kv = await stringFields(c, f.end, [1, 2]);
      const key = kv.get(1);
      if (key !== undefined) s.metadata[key] = kv.get(2) ?? '';
    } else if (f.no === 7 && f.wire === 2) {
      graphs++;
      await walk(c, f.end, async (g) => {
        if (g.wire !== 2) return;
        if (g.no === 1) s.nodes++;
        else if (g.no === 11) s.inputs.push((await stringFields(c, g.end, [1])).get(1) ?? '');
        else if (g.no === 12) s.outputs.push((await stringFields(c, g.end, [1])).get(1) ?? '');
      });
    }
  });
  if (s.irVersion < 3) throw new Error(s.irVersion ? `IR version ${s.irVersion} is too old` : 'no IR version (not an ONNX model)');
  if (graphs !== 1) throw new Error(graphs ? 'more than one graph' : 'no graph');
  if (s.nodes === 0 || s.outputs.length === 0) throw new Error('the graph has no nodes or no outputs');
  return s;
}

/**
 * Reads an ONNX file's structure and metadata. MODEL_NOT_FOUND when it is missing or not a file,
 * INVALID_CONFIG when it is not a well-formed model.
 */
export async function checkOnnx(path: string, what = 'model'): Promise<OnnxSummary> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    throw new DubdError('MODEL_NOT_FOUND', `${what} ${path} not found`, { cause: err });
  }
  try {
    const stat = await fh.stat();
    if (!stat.isFile()) throw new DubdError('MODEL_NOT_FOUND', `${what} ${path} is not a file`);
    if (stat.size < 16) throw new DubdError('INVALID_CONFIG', `${what} ${path} is not an ONNX model (${stat.size} bytes)`);
    return await summarise(new Cursor(fh, stat.size));
  } catch (err) {
    if (err instanceof DubdError) throw err;
    const why = err instanceof Error ? err.message : String(err);
    throw new DubdError('INVALID_CONFIG', `${what} ${path} is not a valid ONNX model (${why}); download it again`, { cause: err });
  } finally {
    await fh.close();
  }
}

/** The metadata keys a model must carry; sherpa-onnx exits the process when one is missing. */
export function requireMetadata(summary: OnnxSummary, keys: string[], path: string): void {
  const missing = keys.filter((k) => !(k in summary.metadata));
  if (missing.length) {
    throw new DubdError('INVALID_CONFIG', `model ${path} lacks metadata ${missing.join(', ')}: not a model sherpa-onnx packaged for this kind`);
  }
}

/** A metadata value that must be a whole number (sample_rate, n_speakers, …). */
export function intMetadata(summary: OnnxSummary, key: string, path: string, min = 0): number {
  const raw = summary.metadata[key];
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new DubdError('INVALID_CONFIG', `model ${path} has metadata ${key}='${raw}', not a whole number ≥ ${min}`);
  return n;
}
