/** SRT and WebVTT writers (and readers, for round trips and tests). */
export interface Cue {
  startMs: number;
  endMs: number;
  text: string;
}

function stamp(ms: number, sep: ',' | '.'): string {
  const t = Math.max(0, Math.round(ms));
  const h = Math.floor(t / 3_600_000);
  const m = Math.floor((t % 3_600_000) / 60_000);
  const s = Math.floor((t % 60_000) / 1000);
  const f = t % 1000;
  return `${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)}${sep}${pad(f, 3)}`;
}

function pad(n: number, w: number): string {
  return String(n).padStart(w, '0');
}

/** Cues must not overlap on screen: each ends no later than the next begins. */
function ordered(cues: Cue[]): Cue[] {
  const sorted = cues.filter((c) => c.text.trim()).sort((a, b) => a.startMs - b.startMs);
  return sorted.map((c, i) => {
    const next = sorted[i + 1];
    const endMs = Math.max(c.startMs + 1, next ? Math.min(c.endMs, next.startMs) : c.endMs);
    return { startMs: c.startMs, endMs, text: c.text.trim() };
  });
}

export function toSrt(cues: Cue[]): string {
  return ordered(cues)
    .map((c, i) => `${i + 1}\n${stamp(c.startMs, ',')} --> ${stamp(c.endMs, ',')}\n${c.text}\n`)
    .join('\n');
}

export function toVtt(cues: Cue[]): string {
  const body = ordered(cues).map((c) => `${stamp(c.startMs, '.')} --> ${stamp(c.endMs, '.')}\n${c.text}\n`);
  return `WEBVTT\n\n${body.join('\n')}`;
}

function parseStamp(s: string): number {
  const m = /^(?:(\d+):)?(\d{2}):(\d{2})[.,](\d{3})$/.exec(s.trim());
  if (!m) throw new SyntaxError(`bad timestamp '${s}'`);
  return Number(m[1] ?? 0) * 3_600_000 + Number(m[2]) * 60_000 + Number(m[3]) * 1000 + Number(m[4]);
}

/** Parses SRT or WebVTT; throws SyntaxError on malformed input. */
export function parseSubtitles(text: string): Cue[] {
  const blocks = text.replace(/\r/g, '').split(/\n{2,}/);
  const cues: Cue[] = [];
  for (const block of blocks) {
    const lines = block.split('\n').filter((l) => l.length > 0);
    const timing = lines.findIndex((l) => l.includes('-->'));
    if (timing < 0) {
      if (lines.length && !/^WEBVTT/.test(lines[0]) && !/^NOTE/.test(lines[0])) throw new SyntaxError(`cue without timing: ${lines[0]}`);
      continue;
    }
    const [a, b] = lines[timing].split('-->');
    cues.push({ startMs: parseStamp(a), endMs: parseStamp(b.trim().split(/\s+/)[0]), text: lines.slice(timing + 1).join('\n') });
  }
  return cues;
}
