import { describe, expect, it } from 'vitest';
import { runPipeline, type Sink } from './run.js';
import { dubStages } from './dub-stages.js';
import { VirtualClock } from './clock.js';
import type { Frame, SynthAudioFrame, TranscriptFrame, TranslationFrame } from './frames.js';
import { defaultConfig } from '../config/schema.js';
import { CountingAsr, from, LoudnessVad, NoteVoice, PrefixMt, spans, ToneTts } from '../test/fakes.js';
import type { Stage } from './stage.js';
import { DubdError } from './errors.js';
import type { MtRequest } from './providers/types.js';

function providers() {
  return { vad: new LoudnessVad(), asr: new CountingAsr(), mt: new PrefixMt(), tts: new ToneTts(), voice: new NoteVoice() };
}

const collectSink = (into: Frame[]): Sink => async (frames) => {
  for await (const f of frames) into.push(f);
};

describe('runPipeline', () => {
  it('turns speech into placed dubs in every target language', async () => {
    const p = providers();
    const out: Frame[] = [];
    const clock = new VirtualClock();
    await runPipeline({
      source: from(spans([[500, false], [2000, true], [1000, false], [1600, true], [800, false]])),
      stages: dubStages(p, defaultConfig, ['es', 'pt'], clock),
      sinks: [collectSink(out)],
      clock,
      settings: defaultConfig,
      policy: 'block',
    });
    const finals = out.filter((f): f is TranscriptFrame => f.kind === 'transcript' && f.isFinal);
    expect(finals).toHaveLength(2);
    const translations = out.filter((f): f is TranslationFrame => f.kind === 'translation');
    expect(new Set(translations.map((t) => t.lang))).toEqual(new Set(['es', 'pt']));
    expect(translations.every((t) => t.text.startsWith(`${t.lang}:`))).toBe(true);
    const dubs = out.filter((f): f is SynthAudioFrame => f.kind === 'synth-audio');
    expect(dubs.length).toBe(translations.length);
    for (const lang of ['es', 'pt']) {
      const mine = dubs.filter((d) => d.lang === lang);
      for (let i = 1; i < mine.length; i += 1) {
        const prevEnd = mine[i - 1].placedStartMs + (mine[i - 1].samples.length * 1000) / mine[i - 1].sampleRate;
        expect(mine[i].placedStartMs).toBeGreaterThanOrEqual(prevEnd);
      }
    }
    expect(p.voice.references.every((n) => n > 0)).toBe(true);
    expect(out.at(-1)?.kind).toBe('eos');
  });

  it('translates an early clause before the speaker finishes a long segment', async () => {
    const p = providers();
    const out: Frame[] = [];
    const clock = new VirtualClock();
    // 6 s of speech: CountingAsr hears a word every 400 ms with 200 ms pauses between words.
    const cfg = { ...defaultConfig, mt: { ...defaultConfig.mt, clauseMinWords: 4, clausePauseMs: 150 } };
    await runPipeline({
      source: from(spans([[300, false], [6000, true], [800, false]])),
      stages: dubStages(p, cfg, ['es'], clock),
      sinks: [collectSink(out)],
      clock,
      settings: cfg,
      policy: 'block',
    });
    const firstTranslation = out.findIndex((f) => f.kind === 'translation');
    const speechEnd = out.findIndex((f) => f.kind === 'speech-end');
    expect(firstTranslation).toBeGreaterThan(-1);
    expect(firstTranslation).toBeLessThan(speechEnd);
    // context: the second unit's request carries the first unit's text
    expect(p.mt.requests[1]?.context).toEqual([p.mt.requests[0].text]);
  });

  it('a failing stage rejects the run with its error and ends every sink', async () => {
    const broken: Stage = async function* (input) {
      for await (const f of input) {
        if (f.kind === 'audio' && f.ptsMs > 200) throw new Error('engine exploded');
        yield f;
      }
    };
    let sinkEnded = false;
    const clock = new VirtualClock();
    await expect(
      runPipeline({
        source: from(spans([[1000, true]])),
        stages: [broken],
        sinks: [
          async (frames) => {
            try {
              for await (const _ of frames) void _;
            } finally {
              sinkEnded = true;
            }
          },
        ],
        clock,
        settings: defaultConfig,
        policy: 'block',
      }),
    ).rejects.toThrow('engine exploded');
    expect(sinkEnded).toBe(true);
  });

  it('stops when its signal aborts', async () => {
    const controller = new AbortController();
    const clock = new VirtualClock();
    async function* endless() {
      for (let i = 0; ; i += 1) {
        if (i === 50) controller.abort();
        yield spans([[20, false]])[0];
      }
    }
    await expect(
      runPipeline({ source: endless(), stages: [], sinks: [async (f) => { for await (const _ of f) void _; }], clock, settings: defaultConfig, policy: 'block', signal: controller.signal }),
    ).rejects.toThrow();
  });

  it('an abort while a producer waits for room in a full channel ends the run with the caller’s reason', async () => {
    const controller = new AbortController();
    const clock = new VirtualClock();
    async function* endless() {
      for (;;) yield spans([[20, false]])[0];
    }
    const slow: Stage = async function* (input) {
      for await (const f of input) {
        await new Promise((r) => setTimeout(r, 20));
        yield f;
      }
    };
    const run = runPipeline({
      source: endless(),
      stages: [slow, slow],
      sinks: [async (f) => { for await (const _ of f) void _; }],
      clock,
      settings: defaultConfig,
      policy: 'block',
      ingestCapacity: 1,
      stageCapacity: 1,
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(new DubdError('ABORTED', 'stopped by the test')), 100);
    await expect(run).rejects.toThrow('stopped by the test');
  });

  it("a 'drop-oldest' ingest counts what a slow pipeline could not take", async () => {
    const clock = new VirtualClock();
    const slow: Stage = async function* (input) {
      for await (const f of input) {
        await new Promise((r) => setTimeout(r, 1));
        yield f;
      }
    };
    const m = await runPipeline({
      source: from(spans([[4000, false]])),
      stages: [slow],
      sinks: [async (f) => { for await (const _ of f) void _; }],
      clock,
      settings: defaultConfig,
      policy: 'drop-oldest',
      ingestCapacity: 4,
      stageCapacity: 1,
    });
    expect(m.counters.get('ingest.dropped')).toBeGreaterThan(0);
  });

  it('a retryable engine failure costs one unit, not the run; any other failure ends it', async () => {
    class FlakyMt extends PrefixMt {
      calls = 0;
      constructor(private readonly error: DubdError) {
        super();
      }
      override async translate(req: MtRequest): Promise<string> {
        if (++this.calls === 1) throw this.error;
        return super.translate(req);
      }
    }
    const run = async (mt: FlakyMt) => {
      const out: Frame[] = [];
      const clock = new VirtualClock();
      const metrics = await runPipeline({
        source: from(spans([[300, false], [1500, true], [800, false], [1500, true], [800, false]])),
        stages: dubStages({ ...providers(), mt }, defaultConfig, ['es'], clock),
        sinks: [collectSink(out)],
        clock,
        settings: defaultConfig,
        policy: 'block',
      });
      return { out, metrics };
    };
    const { out, metrics } = await run(new FlakyMt(new DubdError('ENGINE_FAILED', 'apertium died', { retryable: true })));
    expect(metrics.counters.get('translate.failures')).toBe(1);
    expect(out.filter((f) => f.kind === 'translation')).toHaveLength(1);
    expect(out.filter((f) => f.kind === 'synth-audio')).toHaveLength(1);
    await expect(run(new FlakyMt(new DubdError('UNSUPPORTED_LANGUAGE_PAIR', 'no pair')))).rejects.toThrow('no pair');
  });
});
