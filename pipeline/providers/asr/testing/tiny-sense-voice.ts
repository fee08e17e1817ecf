/**
 * A tiny but real ONNX model in the shape sherpa-onnx loads as SenseVoice, for tests and for checking a
 * machine's sherpa-onnx without downloading a model. It does not understand speech: one linear layer over the
 * 560 stacked fbank features says "low" where the sound's energy is in the low mel bands (< ~800 Hz) and "high"
 * where it is in the upper half, and the blank (nothing) in silence. That is enough to prove the whole path —
 * folder → checks → config → worker → library → tokens with timestamps → words — with sherpa doing the work.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bandWeights, FLOAT, floats, INT32, modelBytes, node, valueInfo } from './onnx-build.js';

export { toneBursts } from './onnx-build.js';

export const TINY_SENSE_VOICE_TOKENS = ['<blank>', '<|en|>', '<|NEUTRAL|>', '<|Speech|>', '<|woitn|>', '▁low', '▁high'];
const V = TINY_SENSE_VOICE_TOKENS.length;
const DIM = 560;

/** The model bytes: logits = concat(4 prompt frames, x·W + b). */
export function tinySenseVoiceModel(): Uint8Array {
  const w = bandWeights(V, 5, 6, 10);
  // Silence has the same (floor) energy in every band: both scores are -1 there, below the blank's 0.
  const b = new Float32Array(V);
  b[5] = -1;
  b[6] = -1;
  // SenseVoice's first four outputs are language, emotion, event and text-norm tokens, which sherpa skips.
  const prompt = new Float32Array(4 * V);
  for (let k = 0; k < 4; k++) prompt[k * V + k + 1] = 100;
  const graph = {
    name: 'tiny-sense-voice',
    node: [node('MatMul', ['x', 'W'], ['y']), node('Add', ['y', 'B'], ['z']), node('Concat', ['P', 'z'], ['logits'], { axis: 1 })],
    initializer: [floats('W', [DIM, V], w), floats('B', [V], b), floats('P', [1, 4, V], prompt)],
    input: [valueInfo('x', FLOAT, ['N', 'T', DIM]), valueInfo('x_length', INT32, ['N']), valueInfo('language', INT32, ['N']), valueInfo('text_norm', INT32, ['N'])],
    output: [valueInfo('logits', FLOAT, ['N', 'U', V])],
  };
  return modelBytes(graph, {
    vocab_size: V,
    blank_id: 0,
    lfr_window_size: 7,
    lfr_window_shift: 6,
    normalize_samples: 0,
    with_itn: 14,
    without_itn: 15,
    lang_auto: 0,
    lang_zh: 3,
    lang_en: 4,
    lang_ja: 11,
    lang_ko: 12,
    lang_yue: 7,
    neg_mean: new Array<string>(DIM).fill('0').join(','),
    inv_stddev: new Array<string>(DIM).fill('1').join(','),
  });
}

/** Writes model.int8.onnx and tokens.txt into `dir` (the names of the sherpa-onnx sense-voice release). */
export async function writeTinySenseVoice(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'model.int8.onnx'), tinySenseVoiceModel());
  await writeFile(join(dir, 'tokens.txt'), TINY_SENSE_VOICE_TOKENS.map((t, i) => `${t} ${i}`).join('\n') + '\n');
  return dir;
}
