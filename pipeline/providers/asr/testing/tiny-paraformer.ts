/**
 * A tiny but real streaming paraformer (encoder + decoder ONNX) in the shape sherpa-onnx's OnlineRecognizer
 * loads, for tests of the streaming path without downloading a model. The encoder fires (CIF alphas) while
 * the sound is loud and says which band holds its energy; the decoder turns each fired embedding into "low"
 * or "high". Each tone burst comes out as a few repeated words ("low low high high high").
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bandWeights, FLOAT, floats, INT32, INT64, modelBytes, node, valueInfo } from './onnx-build.js';

const DIM = 560;
/** encoder_output_size: one channel per band. */
const E = 2;
export const TINY_PARAFORMER_TOKENS = ['<blank>', '<s>', '</s>', 'low', 'high'];
const V = TINY_PARAFORMER_TOKENS.length;

function encoder(): Uint8Array {
  const mean = new Float32Array(DIM).fill(1 / DIM);
  const graph = {
    name: 'tiny-paraformer-encoder',
    node: [
      node('MatMul', ['speech', 'We'], ['encoder_out']),
      // alpha = 0.25 · sigmoid(mean log energy + 5): ~0.25 per frame in sound, ~0 in digital silence.
      node('MatMul', ['speech', 'Wm'], ['mean']),
      node('Add', ['mean', 'bias'], ['shifted']),
      node('Sigmoid', ['shifted'], ['gate']),
      node('Mul', ['gate', 'rate'], ['alphas']),
      node('Identity', ['speech_lengths'], ['encoder_out_lens']),
    ],
    initializer: [floats('We', [DIM, E], bandWeights(E, 0, 1, 1)), floats('Wm', [DIM], mean), floats('bias', [], [5]), floats('rate', [], [0.25])],
    input: [valueInfo('speech', FLOAT, [1, 'T', DIM]), valueInfo('speech_lengths', INT32, [1])],
    output: [valueInfo('encoder_out', FLOAT, [1, 'T', E]), valueInfo('encoder_out_lens', INT32, [1]), valueInfo('alphas', FLOAT, [1, 'T'])],
  };
  return modelBytes(graph, {
    vocab_size: V,
    lfr_window_size: 7,
    lfr_window_shift: 6,
    encoder_output_size: E,
    decoder_num_blocks: 1,
    decoder_kernel_size: 2,
    neg_mean: new Array<string>(DIM).fill('0').join(','),
    // sherpa multiplies inv_stddev by sqrt(encoder_output_size): undo it so features pass unscaled.
    inv_stddev: new Array<string>(DIM).fill(String(1 / Math.sqrt(E))).join(','),
  });
}

function decoder(): Uint8Array {
  const w = new Float32Array(E * V);
  w[0 * V + 3] = 1;
  w[1 * V + 4] = 1;
  const graph = {
    name: 'tiny-paraformer-decoder',
    node: [
      node('MatMul', ['acoustic_embeds', 'Wd'], ['logits']),
      node('ArgMax', ['logits'], ['sample_ids'], { axis: 2, keepdims: 0 }),
      node('Identity', ['in_cache_0'], ['out_cache_0']),
    ],
    initializer: [floats('Wd', [E, V], w)],
    input: [
      valueInfo('enc', FLOAT, [1, 'T', E]),
      valueInfo('enc_len', INT32, [1]),
      valueInfo('acoustic_embeds', FLOAT, [1, 'N', E]),
      valueInfo('acoustic_embeds_len', INT32, [1]),
      valueInfo('in_cache_0', FLOAT, [1, E, 1]),
    ],
    output: [valueInfo('logits', FLOAT, [1, 'N', V]), valueInfo('sample_ids', INT64, [1, 'N']), valueInfo('out_cache_0', FLOAT, [1, E, 1])],
  };
  return modelBytes(graph, {});
}

/** Writes encoder.int8.onnx, decoder.int8.onnx and tokens.txt (sherpa-onnx paraformer release names). */
export async function writeTinyParaformer(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'encoder.int8.onnx'), encoder());
  await writeFile(join(dir, 'decoder.int8.onnx'), decoder());
  await writeFile(join(dir, 'tokens.txt'), TINY_PARAFORMER_TOKENS.map((t, i) => `${t} ${i}`).join('\n') + '\n');
  return dir;
}
