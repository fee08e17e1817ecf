/**
 * Tiny but real ONNX models in the shapes sherpa-onnx loads as piper (vits) and kokoro voices, for tests
 * and for checking a machine's sherpa-onnx without downloading a voice. They do not speak: the audio is a
 * ramp of the token ids, repeated ~100 samples per token at speed 1 (so speed and speaker id show in the
 * output), which is enough to prove the whole path (folder → checks → worker → library → samples).
 */
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import onnxProto, { type onnx as OnnxTypes } from 'onnx-proto';

const { onnx } = onnxProto;
const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;
const ATTR_INT = onnx.AttributeProto.AttributeType.INT;

/** Samples per token at speed 1. */
export const SAMPLES_PER_TOKEN = 100;

type Dim = number | string;
const valueInfo = (name: string, elemType: number, dims: Dim[]): OnnxTypes.IValueInfoProto => ({
  name,
  type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } },
});
const floats = (name: string, dims: number[], values: number[]): OnnxTypes.ITensorProto => ({ name, dataType: FLOAT, dims, floatData: values });
const ints = (name: string, dims: number[], values: number[]): OnnxTypes.ITensorProto => ({ name, dataType: INT64, dims, int64Data: values });
const node = (opType: string, input: string[], output: string[], attrs: Record<string, number> = {}): OnnxTypes.INodeProto => ({
  opType,
  input,
  output,
  attribute: Object.entries(attrs).map(([name, i]) => ({ name, type: ATTR_INT, i })),
});

/** Metadata overrides: a value replaces, undefined removes the key (to make models sherpa would reject). */
export type MetadataOverrides = Record<string, string | undefined>;

function encode(graph: OnnxTypes.IGraphProto, base: Record<string, string>, overrides: MetadataOverrides = {}): Buffer {
  const metadata = Object.entries({ ...base, ...overrides }).filter((e): e is [string, string] => e[1] !== undefined);
  const model = onnx.ModelProto.fromObject({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    producerName: 'dubd-tiny-tts',
    graph,
    metadataProps: metadata.map(([key, value]) => ({ key, value })),
  });
  return Buffer.from(onnx.ModelProto.encode(model).finish());
}

/** `ids` (int64 [1,N]) → ramp repeated `reps` times → float [1,N*reps]. */
function ramp(ids: string, reps: string): OnnxTypes.INodeProto[] {
  return [
    node('Cast', [ids], ['ids_f'], { to: FLOAT }),
    node('Mul', ['ids_f', 'k_scale'], ['ramp']),
    node('Cast', [reps], ['reps_i'], { to: INT64 }),
    node('Concat', ['one_i', 'reps_i'], ['tile_reps'], { axis: 0 }),
    node('Tile', ['ramp', 'tile_reps'], ['tiled']),
  ];
}

export interface TinyPiperOptions {
  sampleRate?: number;
  speakers?: number;
  /** espeak voice the phonemiser uses, e.g. 'es'. */
  voice?: string;
  metadata?: MetadataOverrides;
}

/**
 * A piper-style vits model: inputs input/input_lengths/scales/sid like the real ones; length_scale
 * (1/speed) sets the samples per token and each speaker id adds 0.1 to every sample.
 */
export function tinyPiperModel(o: TinyPiperOptions = {}): Buffer {
  const nodes = [
    node('Gather', ['scales', 'index_1'], ['length_scale'], { axis: 0 }),
    node('Mul', ['length_scale', 'k_per_token'], ['reps']),
    ...ramp('input', 'reps'),
    node('Cast', ['sid'], ['sid_f'], { to: FLOAT }),
    node('Mul', ['sid_f', 'k_speaker'], ['offset']),
    node('Add', ['tiled', 'offset'], ['y']),
    node('Unsqueeze', ['y', 'axis_1'], ['output']),
  ];
  const graph: OnnxTypes.IGraphProto = {
    name: 'tiny-piper',
    node: nodes,
    initializer: [
      floats('k_scale', [], [0.001]),
      floats('k_per_token', [1], [SAMPLES_PER_TOKEN]),
      floats('k_speaker', [], [0.1]),
      ints('index_1', [1], [1]),
      ints('one_i', [1], [1]),
      ints('axis_1', [1], [1]),
    ],
    input: [valueInfo('input', INT64, [1, 'n']), valueInfo('input_lengths', INT64, [1]), valueInfo('scales', FLOAT, [3]), valueInfo('sid', INT64, [1])],
    output: [valueInfo('output', FLOAT, [1, 1, 'm'])],
  };
  return encode(graph, {
    sample_rate: String(o.sampleRate ?? 16_000),
    n_speakers: String(o.speakers ?? 2),
    language: 'Spanish',
    voice: o.voice ?? 'es',
    comment: 'piper',
    add_blank: '0',
  }, o.metadata);
}

export interface TinyKokoroOptions {
  sampleRate?: number;
  speakers?: number;
  /** Style vector: max tokens × dim. */
  maxTokens?: number;
  styleDim?: number;
  metadata?: MetadataOverrides;
}

/** A kokoro-style model: tokens/style/speed in, audio out; the style vector's mean is added to every sample. */
export function tinyKokoroModel(o: TinyKokoroOptions = {}): Buffer {
  const dim = o.styleDim ?? 4;
  const nodes = [
    node('Div', ['k_per_token', 'speed'], ['reps']),
    ...ramp('tokens', 'reps'),
    node('ReduceMean', ['style'], ['style_mean'], { keepdims: 1 }),
    node('Add', ['tiled', 'style_mean'], ['y']),
    node('Reshape', ['y', 'flat'], ['audio']),
  ];
  const graph: OnnxTypes.IGraphProto = {
    name: 'tiny-kokoro',
    node: nodes,
    initializer: [floats('k_scale', [], [0.001]), floats('k_per_token', [1], [SAMPLES_PER_TOKEN]), ints('one_i', [1], [1]), ints('flat', [1], [-1])],
    input: [valueInfo('tokens', INT64, [1, 'n']), valueInfo('style', FLOAT, [1, dim]), valueInfo('speed', FLOAT, [1])],
    output: [valueInfo('audio', FLOAT, ['m'])],
  };
  return encode(graph, {
    sample_rate: String(o.sampleRate ?? 24_000),
    n_speakers: String(o.speakers ?? 2),
    has_espeak: '1',
    voice: 'es',
    style_dim: `${o.maxTokens ?? 512},1,${dim}`,
    speaker_names: Array.from({ length: o.speakers ?? 2 }, (_, i) => `tiny_${i}`).join(','),
  }, o.metadata);
}

/** voices.bin for tinyKokoroModel: speaker k's style vectors are all 0.5·k. */
export function tinyKokoroVoices(o: TinyKokoroOptions = {}): Buffer {
  const perSpeaker = (o.maxTokens ?? 512) * (o.styleDim ?? 4);
  const out = new Float32Array(perSpeaker * (o.speakers ?? 2));
  for (let s = 0; s < (o.speakers ?? 2); s++) out.fill(0.5 * s, s * perSpeaker, (s + 1) * perSpeaker);
  return Buffer.from(out.buffer);
}

/** IPA symbols espeak-ng produces for Spanish and English, numbered like piper's tokens.txt. */
const SYMBOLS = ['_', '^', '$', ' ', '!', "'", '(', ')', ',', '-', '.', ':', ';', '?', ...'abcdefhijklmnopqrstuvwxyz', ...'æçðøħŋœɐɑɒɓɔɕɖɗɘəɚɛɜɞɟɠɡɢɣɤɥɦɧɨɪɫɬɭɮɯɰɱɲɳɴɵɶɸɹɺɻɽɾʀʁʂʃʄʈʉʊʋʌʍʎʏʐʑʒʔʕʘʙʛʜʝʟʡʢʲˈˌːˑ˞βθχᵻⱱ'];

export function tinyTokens(): string {
  return SYMBOLS.map((s, i) => `${s} ${i}`).join('\n') + '\n';
}

/** A piper voice folder the way sherpa-onnx packages one, with `espeakData` linked in. */
export async function makeTinyPiperFolder(dir: string, espeakData: string, o: TinyPiperOptions = {}): Promise<string> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'es_ES-tiny-medium.onnx'), tinyPiperModel(o));
  await writeFile(join(dir, 'tokens.txt'), tinyTokens());
  await symlink(espeakData, join(dir, 'espeak-ng-data'));
  return dir;
}

/** A kokoro folder (model.onnx, voices.bin, tokens.txt, espeak-ng-data). */
export async function makeTinyKokoroFolder(dir: string, espeakData: string, o: TinyKokoroOptions = {}): Promise<string> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'model.onnx'), tinyKokoroModel(o));
  await writeFile(join(dir, 'voices.bin'), tinyKokoroVoices(o));
  await writeFile(join(dir, 'tokens.txt'), tinyTokens());
  await symlink(espeakData, join(dir, 'espeak-ng-data'));
  return dir;
}
