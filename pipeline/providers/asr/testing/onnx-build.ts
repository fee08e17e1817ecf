/** Helpers to write small ONNX graphs with onnx-proto (test models built from data, no downloads). */
import { createRequire } from 'node:module';
import type { onnx as OnnxTypes } from 'onnx-proto';

const require = createRequire(import.meta.url);
export const { onnx } = require('onnx-proto') as typeof import('onnx-proto');
export type { OnnxTypes };

export const FLOAT = onnx.TensorProto.DataType.FLOAT;
export const INT32 = onnx.TensorProto.DataType.INT32;
export const INT64 = onnx.TensorProto.DataType.INT64;

type Dim = number | string;
export function valueInfo(name: string, elemType: number, dims: Dim[]): OnnxTypes.IValueInfoProto {
  return { name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } } };
}

export function floats(name: string, dims: number[], values: ArrayLike<number>): OnnxTypes.ITensorProto {
  return { name, dataType: FLOAT, dims, floatData: Array.from(values) };
}

export function node(opType: string, input: string[], output: string[], ints: Record<string, number> = {}): OnnxTypes.INodeProto {
  return { opType, input, output, attribute: Object.entries(ints).map(([name, i]) => ({ name, type: onnx.AttributeProto.AttributeType.INT, i })) };
}

/** A model (opset 13) with string metadata, as sherpa-onnx reads it. */
export function modelBytes(graph: OnnxTypes.IGraphProto, meta: Record<string, string | number>): Uint8Array {
  return onnx.ModelProto.encode({
    irVersion: 7,
    opsetImport: [{ domain: '', version: 13 }],
    producerName: 'dubd-test',
    graph,
    metadataProps: Object.entries(meta).map(([key, value]) => ({ key, value: String(value) })),
  }).finish();
}

/** Weights of a linear layer over sherpa's 7 stacked 80-bin fbank frames (560 inputs) that compare two mel bands. */
export function bandWeights(outputs: number, lowOut: number, highOut: number, scale: number): Float32Array {
  const w = new Float32Array(560 * outputs);
  for (let f = 0; f < 7; f++) {
    for (let m = 0; m < 80; m++) {
      const i = (f * 80 + m) * outputs;
      const low = m < 20;
      const high = m >= 40;
      // Mean log energy of one band minus the other's: positive only where that band dominates.
      w[i + lowOut] = low ? scale / 140 : high ? -scale / 280 : 0;
      w[i + highOut] = high ? scale / 280 : low ? -scale / 140 : 0;
    }
  }
  return w;
}

/** 16 kHz test audio: `tones` as [startS, endS, hz] at amplitude 0.5 over silence. */
export function toneBursts(durationS: number, tones: [number, number, number][], sampleRate = 16_000): Float32Array {
  const x = new Float32Array(Math.round(durationS * sampleRate));
  for (const [s, e, hz] of tones) {
    for (let i = Math.round(s * sampleRate); i < Math.min(x.length, Math.round(e * sampleRate)); i++) {
      x[i] = 0.5 * Math.sin((2 * Math.PI * hz * i) / sampleRate);
    }
  }
  return x;
}
