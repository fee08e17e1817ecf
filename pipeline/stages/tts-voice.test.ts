import { describe, expect, it } from 'vitest';
import { ttsStage } from './tts.js';
import { voiceStage } from './voice.js';
import { collect, from, NoteVoice, testContext, tone, ToneTts } from '../../test/fakes.js';
import type { Frame, SynthAudioFrame, TranslationFrame } from '../frames.js';

function translation(text: string, startMs: number, endMs: number, segmentId = 's1'): TranslationFrame {
  return { kind: 'translation', ptsMs: endMs, segmentId, unitId: `${segmentId}.1`, lang: 'es', startMs, endMs, sourceText: 'x', closesSegment: true, text, provider: 'fake' };
}

describe('ttsStage', () => {
  it('speaks each translation and passes the translation on for observers', async () => {
    const out = await collect(ttsStage(new ToneTts(40), { speakers: {}, maxRate: 1.15 })(from([translation('hola', 0, 1000)]), testContext()));
    expect(out.map((f) => f.kind)).toEqual(['translation', 'synth-audio']);
    const dub = out[1] as SynthAudioFrame;
    expect(dub.samples.length).toBe(4 * 40 * 16);
    expect(dub.notes).toEqual([]);
  });

  it('asks once for a faster rendering, no faster than maxRate, when the first is too long', async () => {
    // 50 chars × 40 ms = 2000 ms into a 1000 ms slot: re-rendered at 1.15.
    const out = await collect(ttsStage(new ToneTts(40), { speakers: {}, maxRate: 1.15 })(from([translation('x'.repeat(50), 0, 1000)]), testContext()));
    const dub = out[1] as SynthAudioFrame;
    expect(dub.notes).toEqual(['rendered at rate 1.15']);
    expect(dub.samples.length).toBe(Math.round((50 * 40 * 16) / 1.15));
  });
});

describe('voiceStage', () => {
  it('uses the segment speech as the reference, also for a unit spoken before its segment ended', async () => {
    const voice = new NoteVoice();
    const audio: Frame = { kind: 'audio', ptsMs: 0, sampleRate: 16000, channels: 1, samples: tone(16000, 16000, 120, 0.3) };
    const early: SynthAudioFrame = {
      kind: 'synth-audio', ptsMs: 0, segmentId: 's1', unitId: 's1.1', lang: 'es', startMs: 0, endMs: 500, sourceText: 'x', closesSegment: false,
      text: 'y', sampleRate: 16000, samples: tone(800, 16000, 200, 0.3), placedStartMs: 0, speedFactor: 1, notes: [],
    };
    const frames: Frame[] = [
      { kind: 'speech-start', ptsMs: 0, segmentId: 's1' },
      audio,
      early,
      { kind: 'speech-end', ptsMs: 2000, segmentId: 's1', startMs: 0, endMs: 2000, audio: tone(32000, 16000, 120, 0.3), sampleRate: 16000 },
      { ...early, unitId: 's1.2', closesSegment: true, notes: [] },
      { ...early, segmentId: 's9', unitId: 's9.1', notes: [] },
    ];
    const out = (await collect(voiceStage(voice)(from(frames), testContext()))).filter((f): f is SynthAudioFrame => f.kind === 'synth-audio');
    expect(voice.references).toEqual([16000, 32000]);
    expect(out.map((f) => f.notes.at(-1))).toEqual(['fake voice', 'fake voice', 'voice unchanged (no reference speech)']);
  });
});
