/**
 * End to end: the real `dubd` binary dubs a short video on the real engines (espeak-ng speech in,
 * PocketSphinx, Apertium, espeak-ng, ffmpeg), and fails cleanly on bad input.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { makeSpeechSample, type Sample } from '../../pipeline/media/sample.js';
import { SileroVad } from '../../pipeline/providers/vad-silero.js';
import { parseSubtitles } from '../../pipeline/outputs/subtitles.js';
import type { DubReport } from '../../pipeline/outputs/report.js';
import { decodeMono16k, PORTUGUESE_WORDS, probe, readJson, shareOfWords, SPANISH_WORDS, speechRegions } from '../media.js';
import { FfmpegProcess } from '../../pipeline/media/ffmpeg.js';

const execFileAsync = promisify(execFile);
const BIN = resolve(import.meta.dirname, '../../bin/dubd.js');

async function dubd(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync('node', [BIN, ...args], { env: { ...process.env, ...env }, timeout: 300_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Normalised correlation of two 16 kHz signals over [startMs, endMs). */
function correlation(a: Float32Array, b: Float32Array, startMs: number, endMs: number): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = Math.round(startMs * 16); i < Math.min(a.length, b.length, Math.round(endMs * 16)); i += 1) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return ab / Math.sqrt(aa * bb + 1e-12);
}

describe('dubd dub (binary, real engines)', () => {
  let dir: string;
  let sample: Sample;
  let out: string;
  let run: { code: number; stdout: string; stderr: string };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dubd-e2e-'));
    sample = await makeSpeechSample({ dir, video: true, backgroundDb: -30 });
    out = join(dir, 'dubbed.mp4');
    run = await dubd(['dub', sample.path, '--to', 'es,pt', '--out', out]);
  }, 300_000);

  it('exits 0 and writes the media, subtitles for every language and the report', () => {
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    for (const suffix of ['', '.en.srt', '.en.vtt', '.es.srt', '.es.vtt', '.pt.srt', '.pt.vtt', '.report.json']) {
      expect(existsSync(out + suffix), out + suffix).toBe(true);
    }
    expect(readdirSync(dir).filter((f) => f.includes('.dubd-'))).toEqual([]);
  });

  it('keeps the duration within 100 ms, copies the video and adds language-tagged tracks', async () => {
    const [src, dst] = await Promise.all([probe(sample.path), probe(out)]);
    expect(Math.abs(dst.durationMs - src.durationMs)).toBeLessThanOrEqual(100);
    const video = dst.streams.filter((s) => s.codec_type === 'video');
    expect(video).toHaveLength(1);
    expect(video[0].codec_name).toBe(src.streams.find((s) => s.codec_type === 'video')?.codec_name);
    const audio = dst.streams.filter((s) => s.codec_type === 'audio');
    expect(audio.map((a) => a.tags?.language)).toEqual(['spa', 'por', 'eng']);
    expect(audio[0].disposition?.default).toBe(1);
  });

  it('the dubbed tracks have new speech where the source had speech, and the untouched original elsewhere', async () => {
    const vad = await SileroVad.load();
    const original = await decodeMono16k(sample.path, 0);
    try {
      for (const index of [0, 1]) {
        const dubbed = await decodeMono16k(out, index);
        vad.reset();
        const regions = speechRegions(dubbed, (w) => vad.confidence(w) > 0.5);
        for (const s of sample.sentences) {
          const overlap = regions.some((r) => r.startMs < s.endMs + 300 && r.endMs > s.startMs);
          expect(overlap, `track ${index}: speech near "${s.text}" at ${s.startMs} ms`).toBe(true);
          // Where the speaker talks, the track is the dub (over a ducked original), not the original.
          expect(correlation(original, dubbed, s.startMs, s.endMs), `track ${index}: dub over "${s.text}"`).toBeLessThan(0.6);
        }
        // Between sentences (past the duck's release) the background is kept as it was.
        const gap = { startMs: sample.sentences[0].endMs + 700, endMs: sample.sentences[1].startMs - 100 };
        expect(correlation(original, dubbed, gap.startMs, gap.endMs), `track ${index}: background kept`).toBeGreaterThan(0.9);
      }
    } finally {
      await vad.close();
    }
  });

  it('translates into Spanish and Portuguese words, with a speed factor per segment', () => {
    const report = readJson<DubReport>(`${out}.report.json`);
    expect(report.segments.length).toBeGreaterThanOrEqual(sample.sentences.length);
    const es = report.segments.map((s) => s.targets.es?.text ?? '').join(' ');
    const pt = report.segments.map((s) => s.targets.pt?.text ?? '').join(' ');
    expect(shareOfWords(es, SPANISH_WORDS)).toBeGreaterThan(0.15);
    expect(shareOfWords(pt, PORTUGUESE_WORDS)).toBeGreaterThan(0.15);
    for (const seg of report.segments) {
      expect(seg.endMs).toBeGreaterThan(seg.startMs);
      for (const t of Object.values(seg.targets)) {
        expect(t.speedFactor).toBeGreaterThanOrEqual(1);
        expect(t.speedFactor).toBeLessThanOrEqual(1.3 + 1e-6);
      }
    }
    expect(report.engines.asr.id).toBe('pocketsphinx');
    expect(report.engines.mt.id).toBe('apertium');
    expect(Object.keys(report.stages)).toEqual(expect.arrayContaining(['vad', 'asr', 'translate', 'tts']));
  });

  it('writes subtitles that parse, one cue per segment', () => {
    const report = readJson<DubReport>(`${out}.report.json`);
    for (const lang of ['en', 'es', 'pt']) {
      const cues = parseSubtitles(readFileSync(`${out}.${lang}.srt`, 'utf8'));
      expect(cues.length).toBe(report.segments.length);
      expect(parseSubtitles(readFileSync(`${out}.${lang}.vtt`, 'utf8'))).toEqual(cues);
    }
  });

  describe('bad input: one clear line, non-zero exit, nothing left behind', () => {
    const expectClean = (r: { code: number; stderr: string }, code: string, target: string): void => {
      expect(r.code).not.toBe(0);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`[${code}]`);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(existsSync(target)).toBe(false);
      expect(readdirSync(dir).filter((f) => f.includes('.dubd-'))).toEqual([]);
    };

    it('a missing file', async () => {
      const target = join(dir, 'x1.mp4');
      expectClean(await dubd(['dub', join(dir, 'nope.mp4'), '--to', 'es', '--out', target]), 'INPUT_NOT_FOUND', target);
    });

    it('a file that is not media', async () => {
      const txt = join(dir, 'notes.mp4');
      writeFileSync(txt, 'this is not a video\n'.repeat(50));
      const target = join(dir, 'x2.mp4');
      expectClean(await dubd(['dub', txt, '--to', 'es', '--out', target]), 'INPUT_NOT_MEDIA', target);
    });

    it('a video without an audio track', async () => {
      const silent = join(dir, 'video-only.mp4');
      await new FfmpegProcess(['-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=10:duration=1', '-c:v', 'libx264', '-preset', 'ultrafast', '-y', silent]).done;
      const target = join(dir, 'x3.mp4');
      expectClean(await dubd(['dub', silent, '--to', 'es', '--out', target]), 'INPUT_NO_AUDIO', target);
    });

    it('an unknown language pair', async () => {
      const target = join(dir, 'x4.mp4');
      expectClean(await dubd(['dub', sample.path, '--to', 'de', '--out', target]), 'UNSUPPORTED_LANGUAGE_PAIR', target);
    });

    it('a missing engine (the PocketSphinx model moved away)', async () => {
      const target = join(dir, 'x5.mp4');
      expectClean(await dubd(['dub', sample.path, '--to', 'es', '--out', target], { DUBD_ASR__POCKETSPHINX__HMM: '/nonexistent/en-us' }), 'ENGINE_MISSING', target);
    });

    it('an unsupported output format', async () => {
      const target = join(dir, 'x6.avi');
      expectClean(await dubd(['dub', sample.path, '--to', 'es', '--out', target]), 'INVALID_ARGUMENT', target);
    });
  });
});
