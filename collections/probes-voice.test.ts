import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema, type DubdConfig } from '../config/schema.js';
import { contentModel, generatorModel } from '../pipeline/providers/rvc/testing/onnx-builder.js';
import { modelDir, type ModelDir } from '../pipeline/providers/rvc/testing/fixtures.js';
import type { Probe } from './probe.js';
import { voiceProbes } from './probes-voice.js';

const probe = (id: string): Probe => voiceProbes.find((p) => p.id === id)!;
const ctx = (config: DubdConfig) => ({ config, env: process.env, timeoutMs: 3000 });
const withRvc = (rvc: Record<string, unknown>, provider = 'rvc') => configSchema.parse({ voice: { provider, rvc } });

describe('voice probes', () => {
  let dir: ModelDir;
  let content: string;
  let generator: string;
  beforeAll(async () => {
    dir = await modelDir();
    content = await dir.write('content.onnx', contentModel({ dim: 32 }));
    generator = await dir.write('gen.onnx', generatorModel({ dim: 32, metadata: { sample_rate: '40000' } }));
  });
  afterAll(async () => dir.remove());

  it("says 'unavailable: no RVC model configured' by default, and is not required", async () => {
    const config = configSchema.parse({});
    const out = await probe('rvc').run(ctx(config));
    expect(out).toMatchObject({ status: 'unavailable', detail: 'no RVC model configured' });
    expect(probe('rvc').required(config)).toBe(false);
  });

  it('is required only when RVC is selected without a fallback', () => {
    expect(probe('rvc').required(withRvc({}))).toBe(false);
    expect(probe('rvc').required(withRvc({ fallback: 'fail' }))).toBe(true);
    expect(probe('onnxruntime-node').required(withRvc({ fallback: 'fail' }))).toBe(true);
    expect(probe('rvc').required(withRvc({ fallback: 'fail' }, 'pitch-match'))).toBe(false);
  });

  it('reports a configured model pair with its size, opset and sample rate', async () => {
    const out = await probe('rvc').run(ctx(withRvc({ generatorModel: generator, contentModel: content })));
    expect(out.status).toBe('ok');
    expect(out.detail).toMatch(new RegExp(`^generator ${generator} \\(\\d+\\.\\d MB, opset 17, 40000 Hz \\(metadata\\)\\); content ${content} \\(\\d+\\.\\d MB\\)$`));
  });

  it('reports a missing or corrupt model file as missing, with the reason', async () => {
    const missing = await probe('rvc').run(ctx(withRvc({ generatorModel: `${dir.dir}/nope.onnx`, contentModel: content })));
    expect(missing).toMatchObject({ status: 'missing', detail: `voice.rvc.generatorModel: ${dir.dir}/nope.onnx not found` });
    const bad = await dir.write('bad.onnx', 'not a model');
    const corrupt = await probe('rvc').run(ctx(withRvc({ generatorModel: generator, contentModel: bad })));
    expect(corrupt.status).toBe('missing');
    expect(corrupt.detail).toMatch(/^voice\.rvc\.contentModel: .*bad\.onnx is not a readable ONNX model/);
  });

  it('finds onnxruntime-node with its CPU backend', async () => {
    const out = await probe('onnxruntime-node').run(ctx(configSchema.parse({})));
    expect(out.status).toBe('ok');
    expect(out.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(out.detail).toMatch(/backends .*cpu/);
  });
});
