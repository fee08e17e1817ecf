/**
 * Checks that a file is an ONNX model before any session sees it, and reads what the RVC provider needs
 * from its header (opsets, metadata_props such as a sample rate). Only the top-level protobuf fields are
 * walked: the graph (tens to hundreds of MB) is skipped by its length, so this reads a few kB whatever the
 * model's size, and a truncated download shows up as a field that runs past the end of the file.
 */
import { open, stat, type FileHandle } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import onnxProto from 'onnx-proto';
import type { ModelRegistry } from '../../../collections/registry.js';
import { isSystemManifest } from '../../../collections/manifest.js';
import { DubdError } from '../../errors.js';

const { onnx } = onnxProto;

export interface OnnxFileInfo {
  path: string;
  sizeBytes: number;
  irVersion: number;
  /** Opset per domain ('' is the default ONNX domain). */
  opsets: Record<string, number>;
  metadata: Record<string, string>;
  producer: string;
}

// ModelProto field numbers (onnx.proto).
const F_IR_VERSION = 1;
const F_PRODUCER_NAME = 2;
const F_GRAPH = 7;
const F_OPSET_IMPORT = 8;
const F_METADATA_PROPS = 14;
/** Small fields are decoded; anything bigger than this that is not the graph is skipped. */
const MAX_SMALL_FIELD = 1 << 20;

/** Positional reads through a small window, so skipping a 100 MB graph costs nothing. */
class Cursor {
  pos = 0;
  private buf = Buffer.alloc(64 * 1024);
  private bufStart = 0;
  private bufLen = 0;

  constructor(
    private readonly fh: FileHandle,
    readonly size: number,
  ) {}

  async byte(): Promise<number> {
    if (this.pos >= this.size) throw new Error('unexpected end of file');
    if (this.pos < this.bufStart || this.pos >= this.bufStart + this.bufLen) {
      const { bytesRead } = await this.fh.read(this.buf, 0, this.buf.length, this.pos);
      this.bufStart = this.pos;
      this.bufLen = bytesRead;
      if (bytesRead === 0) throw new Error('unexpected end of file');
    }
    return this.buf[this.pos++ - this.bufStart];
  }

  async varint(): Promise<number> {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const b = await this.byte();
      value += (b & 0x7f) * scale;
      if (b < 0x80) return value;
      scale *= 128;
    }
    throw new Error('malformed varint');
  }

  async bytes(length: number): Promise<Uint8Array> {
    const out = Buffer.alloc(length);
    const { bytesRead } = await this.fh.read(out, 0, length, this.pos);
    if (bytesRead !== length) throw new Error('unexpected end of file');
    this.pos += length;
    return out;
  }

  skip(length: number): void {
    if (this.pos + length > this.size) throw new Error(`a field runs ${this.pos + length - this.size} bytes past the end of the file`);
    this.pos += length;
  }
}

/**
 * Reads an ONNX file's header. MODEL_NOT_FOUND when the file is absent; INVALID_CONFIG when it is not an
 * ONNX model (wrong file, truncated download). `what` names the setting in messages, e.g. 'voice.rvc.generatorModel'.
 */
export async function inspectOnnx(path: string, what: string): Promise<OnnxFileInfo> {
  const st = await stat(path).catch(() => undefined);
  if (!st?.isFile()) throw new DubdError('MODEL_NOT_FOUND', `${what}: ${path} not found`);
  const fh = await open(path, 'r');
  try {
    return await walk(new Cursor(fh, st.size), path);
  } catch (err) {
    if (err instanceof DubdError) throw err;
    throw new DubdError('INVALID_CONFIG', `${what}: ${path} is not a readable ONNX model (${(err as Error).message})`, { cause: err });
  } finally {
    await fh.close();
  }
}

async function walk(c: Cursor, path: string): Promise<OnnxFileInfo> {
  const info: OnnxFileInfo = { path, sizeBytes: c.size, irVersion: 0, opsets: {}, metadata: {}, producer: '' };
  let graph = false;
  while (c.pos < c.size) {
    const key = await c.varint();
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (field === 0) throw new Error('field number 0');
    if (wire === 0) {
      const v = await c.varint();
      if (field === F_IR_VERSION) info.irVersion = v;
    } else if (wire === 1) c.skip(8);
    else if (wire === 5) c.skip(4);
    else if (wire === 2) {
      const length = await c.varint();
      if (field === F_GRAPH) {
        c.skip(length);
        graph = true;
      } else if (length <= MAX_SMALL_FIELD && (field === F_OPSET_IMPORT || field === F_METADATA_PROPS || field === F_PRODUCER_NAME)) {
        const bytes = await c.bytes(length);
        if (field === F_OPSET_IMPORT) {
          const op = onnx.OperatorSetIdProto.decode(bytes);
          info.opsets[op.domain] = Number(op.version);
        } else if (field === F_METADATA_PROPS) {
          const kv = onnx.StringStringEntryProto.decode(bytes);
          info.metadata[kv.key] = kv.value;
        } else info.producer = new TextDecoder().decode(bytes);
      } else c.skip(length);
    } else throw new Error(`wire type ${wire} at byte ${c.pos}`);
  }
  if (!graph || info.irVersion === 0) throw new Error(graph ? 'no ir_version' : 'no graph');
  return info;
}

/** A sample rate written into the model's metadata by some exporters (keys differ between tools). */
export function metadataSampleRate(meta: Record<string, string>): number | undefined {
  for (const key of ['sample_rate', 'sampling_rate', 'sr', 'samplerate']) {
    const v = Number(meta[key]);
    if (Number.isInteger(v) && v >= 8000 && v <= 96000) return v;
  }
  return undefined;
}

/**
 * A model setting is a file path (has a slash or ends in .onnx) or the id of a voice model in the
 * collections, whose first .onnx file is used.
 */
export function modelPath(setting: string, registry: ModelRegistry): string {
  if (setting.includes('/') || setting.includes('\\') || setting.endsWith('.onnx')) return isAbsolute(setting) ? setting : resolve(setting);
  const manifest = registry.get(setting);
  if (manifest.kind !== 'voice') throw new DubdError('INVALID_CONFIG', `model '${setting}' is not a voice model (kind ${manifest.kind})`);
  const file = manifest.files.map((f) => f.path).find((p) => p.endsWith('.onnx'));
  if (!file) throw new DubdError('INVALID_CONFIG', `voice model '${setting}' has no .onnx file`);
  return isSystemManifest(manifest) ? file : registry.pathOf(setting, file);
}
