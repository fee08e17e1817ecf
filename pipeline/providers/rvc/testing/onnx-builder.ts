/**
 * Builds small ONNX models in memory (no python/onnx here): a generic ModelProto encoder plus two model
 * factories shaped like the RVC parts, a content encoder and a generator. Their outputs are simple,
 * documented functions of their inputs, so tests can check shapes and data flow exactly (see
 * contentReference and generatorFrameValue). Used by tests and benchmarks only.
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

export type DType = 'float32' | 'int64';

export interface ValueSpec {
  name: string;
  type: DType;
  /** Numbers are fixed dims, strings symbolic (dynamic) ones. */
  shape: (number | string)[];
}

export interface InitializerSpec {
  name: string;
  dims: number[];
  data: Float32Array | BigInt64Array;
}

export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  /** number → INT, number[] → INTS, string → STRING (the ops used here need no float attributes). */
  attrs?: Record<string, number | number[] | string>;
}

export interface ModelSpec {
  inputs: ValueSpec[];
  outputs: ValueSpec[];
  nodes: NodeSpec[];
  initializers?: InitializerSpec[];
  /** Default opset 17 (what the RVC exporters use). */
  opset?: number;
  /** ModelProto.metadata_props, e.g. { sample_rate: '40000' }. */
  metadata?: Record<string, string>;
}

const ELEM = { float32: onnx.TensorProto.DataType.FLOAT, int64: onnx.TensorProto.DataType.INT64 } as const;
const ATTR = onnx.AttributeProto.AttributeType;

function valueInfo(v: ValueSpec): onnxProto.onnx.IValueInfoProto {
  return {
    name: v.name,
    type: {
      tensorType: {
        elemType: ELEM[v.type],
        shape: { dim: v.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function tensor(t: InitializerSpec): onnxProto.onnx.ITensorProto {
  const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  return {
    name: t.name,
    dims: t.dims,
    dataType: t.data instanceof Float32Array ? ELEM.float32 : ELEM.int64,
    // raw_data is little-endian, which is what typed arrays hold on every platform Node runs on.
    rawData: bytes.slice(),
  };
}

function attribute(name: string, v: number | number[] | string): onnxProto.onnx.IAttributeProto {
  if (typeof v === 'string') return { name, type: ATTR.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: ATTR.INTS, ints: v };
  return { name, type: ATTR.INT, i: v };
}

/** Encodes a ModelProto (IR version 8) holding one graph. */
export function encodeModel(spec: ModelSpec): Uint8Array {
  const model: onnxProto.onnx.IModelProto = {
    irVersion: 8,
    producerName: 'dubd onnx-builder',
    opsetImport: [{ domain: '', version: spec.opset ?? 17 }],
    metadataProps: Object.entries(spec.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph: {
      name: 'g',
      input: spec.inputs.map(valueInfo),
      output: spec.outputs.map(valueInfo),
      initializer: (spec.initializers ?? []).map(tensor),
      node: spec.nodes.map((n, i) => ({
        name: `${n.op}_${i}`,
        opType: n.op,
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attribute(k, v)),
      })),
    },
  };
  return onnx.ModelProto.encode(model).finish();
}

const i64 = (values: number[]): BigInt64Array => BigInt64Array.from(values.map(BigInt));

/** hidden x hidden MatMul + Tanh layers: compute proxies for benchmarks, with small weights so values stay bounded. */
function hiddenStack(prefix: string, input: string, dim: number, layers: number, nodes: NodeSpec[], inits: InitializerSpec[]): string {
  let x = input;
  for (let l = 0; l < layers; l++) {
    const w = new Float32Array(dim * dim);
    for (let i = 0; i < w.length; i++) w[i] = (((i * 2654435761) >>> 0) / 2 ** 32 - 0.5) * (2 / Math.sqrt(dim));
    inits.push({ name: `${prefix}_w${l}`, dims: [dim, dim], data: w });
    nodes.push({ op: 'MatMul', inputs: [x, `${prefix}_w${l}`], outputs: [`${prefix}_m${l}`] });
    nodes.push({ op: 'Tanh', inputs: [`${prefix}_m${l}`], outputs: [`${prefix}_h${l}`] });
    x = `${prefix}_h${l}`;
  }
  return x;
}

// ---------- content encoder ----------

export interface ContentModelOptions {
  /** Feature size: 768 (ContentVec/HuBERT for RVC v2) or 256 (v1). */
  dim: number;
  /** Samples per frame at 16 kHz: 320 (20 ms), as HuBERT. */
  hop: number;
  /** [1, N] or [1, 1, N] audio input (exports differ). */
  inputRank: 2 | 3;
  /** [1, T, C] (most exports) or [1, C, T]. */
  layout: 'btc' | 'bct';
  inputName: string;
  outputName: string;
  /** Extra dim x dim layers after the projection (benchmarks); 0 keeps the output checkable. */
  hiddenLayers: number;
}

export const defaultContentModelOptions: ContentModelOptions = {
  dim: 768,
  hop: 320,
  inputRank: 3,
  layout: 'btc',
  inputName: 'source',
  outputName: 'embed',
  hiddenLayers: 0,
};

/** The projection weights W[k][c] (hop x dim): cosines, so every channel sees the frame differently. */
export function contentWeights(dim: number, hop: number): Float32Array {
  const w = new Float32Array(hop * dim);
  for (let k = 0; k < hop; k++) {
    for (let c = 0; c < dim; c++) w[k * dim + c] = Math.cos((Math.PI * (k + 0.5) * c) / hop) / hop;
  }
  return w;
}

/**
 * A content encoder: cuts the audio to whole hops, frames it ([1, T, hop]) and projects each frame to `dim`
 * features (MatMul), so T = floor(N / hop) and feature[t][c] = sum_k x[t * hop + k] * W[k][c].
 */
export function contentModel(opts: Partial<ContentModelOptions> = {}): Uint8Array {
  const o = { ...defaultContentModelOptions, ...opts };
  const nodes: NodeSpec[] = [
    { op: 'Shape', inputs: [o.inputName], outputs: ['n'], attrs: { start: -1 } },
    { op: 'Div', inputs: ['n', 'hop'], outputs: ['t'] },
    { op: 'Mul', inputs: ['t', 'hop'], outputs: ['len'] },
    { op: 'Slice', inputs: [o.inputName, 'zero', 'len', 'last_axis'], outputs: ['cut'] },
    { op: 'Reshape', inputs: ['cut', 'frame_shape'], outputs: ['frames'] },
    { op: 'MatMul', inputs: ['frames', 'w'], outputs: ['proj'] },
  ];
  const inits: InitializerSpec[] = [
    { name: 'hop', dims: [1], data: i64([o.hop]) },
    { name: 'zero', dims: [1], data: i64([0]) },
    { name: 'last_axis', dims: [1], data: i64([-1]) },
    { name: 'frame_shape', dims: [3], data: i64([1, -1, o.hop]) },
    { name: 'w', dims: [o.hop, o.dim], data: contentWeights(o.dim, o.hop) },
  ];
  const feats = hiddenStack('content', 'proj', o.dim, o.hiddenLayers, nodes, inits);
  if (o.layout === 'bct') nodes.push({ op: 'Transpose', inputs: [feats], outputs: [o.outputName], attrs: { perm: [0, 2, 1] } });
  else nodes.push({ op: 'Identity', inputs: [feats], outputs: [o.outputName] });
  const input: ValueSpec = { name: o.inputName, type: 'float32', shape: o.inputRank === 3 ? [1, 1, 'n'] : [1, 'n'] };
  const output: ValueSpec = { name: o.outputName, type: 'float32', shape: o.layout === 'btc' ? [1, 't', o.dim] : [1, o.dim, 't'] };
  return encodeModel({ inputs: [input], outputs: [output], nodes, initializers: inits });
}

/** What contentModel (without hidden layers) computes, as [T x dim] row-major. */
export function contentReference(audio: Float32Array, dim: number, hop: number): Float32Array {
  const w = contentWeights(dim, hop);
  const frames = Math.floor(audio.length / hop);
  const out = new Float32Array(frames * dim);
  for (let t = 0; t < frames; t++) {
    for (let k = 0; k < hop; k++) {
      const x = audio[t * hop + k];
      for (let c = 0; c < dim; c++) out[t * dim + c] += x * w[k * dim + c];
    }
  }
  return out;
}

// ---------- generator ----------

export interface GeneratorModelOptions {
  /** Feature size the generator takes (768 for v2). */
  dim: number;
  /** Output samples per 10 ms frame: sampleRate / 100 (400 at 40 kHz, 480 at 48 kHz). */
  hop: number;
  /** Input names; the RVC-Project exporter uses phone, phone_lengths, pitch, pitchf, ds, rnd. */
  names: { phone: string; lengths: string; pitch: string; pitchf: string; speaker: string; rnd: string };
  /** A no-f0 ("nono") model has no pitch inputs. */
  withPitch: boolean;
  /** Noise channels of the rnd input ([1, rndChannels, T]); 0 = no rnd input. */
  rndChannels: number;
  /** Written as metadata_props (e.g. { sample_rate: '40000' }). */
  metadata: Record<string, string>;
  hiddenLayers: number;
}

export const defaultGeneratorModelOptions: GeneratorModelOptions = {
  dim: 768,
  hop: 400,
  names: { phone: 'phone', lengths: 'phone_lengths', pitch: 'pitch', pitchf: 'pitchf', speaker: 'ds', rnd: 'rnd' },
  withPitch: true,
  rndChannels: 192,
  metadata: {},
  hiddenLayers: 0,
};

/** Weights of generatorFrameValue: small, so real pitch values (100-300 Hz, bins 1-255) keep audio in [-1, 1]. */
export const GENERATOR_WEIGHTS = { pitchf: 1e-3, pitch: 1e-3, speaker: 1e-2 } as const;

/** How the generator weighs feature channel c: 1 / (c + 1), so every channel counts, the low ones most. */
export function generatorPhoneWeights(dim: number): Float32Array {
  return Float32Array.from({ length: dim }, (_, c) => 1 / (c + 1));
}

/**
 * The value every output sample of frame t holds (no hidden layers):
 * sum_c phone[t][c] / (c + 1) + 1e-3 * pitchf[t] + 1e-3 * pitch[t] + 1e-2 * speaker.
 */
export function generatorFrameValue(phone: Float32Array, pitchf: number, pitch: number, speaker: number): number {
  const g = generatorPhoneWeights(phone.length);
  let dot = 0;
  for (let c = 0; c < phone.length; c++) dot += phone[c] * g[c];
  const w = GENERATOR_WEIGHTS;
  return dot + w.pitchf * pitchf + w.pitch * pitch + w.speaker * speaker;
}

/**
 * A generator with the RVC I/O: (phone [1,T,C], lengths [1], pitch [1,T] int64, pitchf [1,T], speaker [1] int64,
 * rnd [1,R,T]) → audio [1, 1, T * hop], each frame's `hop` samples equal to generatorFrameValue(...).
 */
export function generatorModel(opts: Partial<GeneratorModelOptions> = {}): Uint8Array {
  const o = { ...defaultGeneratorModelOptions, ...opts, names: { ...defaultGeneratorModelOptions.names, ...opts.names } };
  const n = o.names;
  const w = GENERATOR_WEIGHTS;
  const nodes: NodeSpec[] = [];
  const inits: InitializerSpec[] = [
    { name: 'phone_w', dims: [o.dim, 1], data: generatorPhoneWeights(o.dim) },
    { name: 'k_speaker', dims: [1], data: Float32Array.of(w.speaker) },
    { name: 'expand_shape', dims: [3], data: i64([1, 1, o.hop]) },
    { name: 'audio_shape', dims: [3], data: i64([1, 1, -1]) },
  ];
  const phone = hiddenStack('gen', n.phone, o.dim, o.hiddenLayers, nodes, inits);
  nodes.push({ op: 'MatMul', inputs: [phone, 'phone_w'], outputs: ['v_phone'] }); // [1,T,1]
  let v = 'v_phone';
  if (o.withPitch) {
    inits.push(
      { name: 'axis2', dims: [1], data: i64([2]) },
      { name: 'k_pitchf', dims: [1], data: Float32Array.of(w.pitchf) },
      { name: 'k_pitch', dims: [1], data: Float32Array.of(w.pitch) },
    );
    nodes.push(
      { op: 'Unsqueeze', inputs: [n.pitchf, 'axis2'], outputs: ['pf3'] },
      { op: 'Mul', inputs: ['pf3', 'k_pitchf'], outputs: ['v_pf'] },
      { op: 'Cast', inputs: [n.pitch], outputs: ['pc'], attrs: { to: ELEM.float32 } },
      { op: 'Unsqueeze', inputs: ['pc', 'axis2'], outputs: ['pc3'] },
      { op: 'Mul', inputs: ['pc3', 'k_pitch'], outputs: ['v_pc'] },
      { op: 'Add', inputs: [v, 'v_pf'], outputs: ['v1'] },
      { op: 'Add', inputs: ['v1', 'v_pc'], outputs: ['v2'] },
    );
    v = 'v2';
  }
  nodes.push(
    { op: 'Cast', inputs: [n.speaker], outputs: ['sf'], attrs: { to: ELEM.float32 } },
    { op: 'Mul', inputs: ['sf', 'k_speaker'], outputs: ['v_sid'] },
    { op: 'Add', inputs: [v, 'v_sid'], outputs: ['v3'] },
    { op: 'Expand', inputs: ['v3', 'expand_shape'], outputs: ['frames'] }, // [1,T,hop]
    { op: 'Reshape', inputs: ['frames', 'audio_shape'], outputs: ['audio'] },
  );
  const inputs: ValueSpec[] = [
    { name: n.phone, type: 'float32', shape: [1, 'T', o.dim] },
    { name: n.lengths, type: 'int64', shape: [1] },
  ];
  if (o.withPitch) {
    inputs.push({ name: n.pitch, type: 'int64', shape: [1, 'T'] }, { name: n.pitchf, type: 'float32', shape: [1, 'T'] });
  }
  inputs.push({ name: n.speaker, type: 'int64', shape: [1] });
  if (o.rndChannels > 0) inputs.push({ name: n.rnd, type: 'float32', shape: [1, o.rndChannels, 'T'] });
  return encodeModel({
    inputs,
    outputs: [{ name: 'audio', type: 'float32', shape: [1, 1, 'S'] }],
    nodes,
    initializers: inits,
    metadata: o.metadata,
  });
}
