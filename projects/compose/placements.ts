/**
 * Where each line's synthesis goes in a language's track, and which parts of the track a change touches.
 * Placements come from the database alone (segment times, synthesis lengths), so comparing this compose's
 * placements with the last one's says exactly which regions must be mixed again: a dub that appeared,
 * disappeared or moved, widened by the ducking ramps around it. Everything else is copied unchanged.
 */

export interface DubPlacement {
  segmentId: string;
  /** The synthesis WAV, relative to the project folder (its name carries the translation revision). */
  path: string;
  /** First sample in the track. */
  startSample: number;
  /** Samples the dub may use before the next segment (null = to the end of the track). */
  maxSamples: number | null;
  /** The synthesis length in samples, from its recorded duration (rounded to the ms, so a little over). */
  approxSamples: number;
}

export interface PlacementInput {
  segments: { id: string; startMs: number }[];
  /** Syntheses by segment id. */
  syntheses: Map<string, { path: string; durationMs: number }>;
  sampleRate: number;
  guardMs: number;
}

/** A dub starts at its segment, or just after the previous dub if that one runs over; it never runs into the next segment. */
export function placeDubs(input: PlacementInput): DubPlacement[] {
  const out: DubPlacement[] = [];
  const rate = input.sampleRate;
  let prevEndMs = -Infinity;
  input.segments.forEach((seg, i) => {
    const syn = input.syntheses.get(seg.id);
    if (!syn || syn.durationMs <= 0) return;
    const placedMs = Math.max(seg.startMs, prevEndMs + input.guardMs);
    const next = input.segments[i + 1];
    const limitMs = next ? Math.max(1, next.startMs - input.guardMs - placedMs) : Infinity;
    out.push({
      segmentId: seg.id,
      path: syn.path,
      startSample: Math.round((placedMs * rate) / 1000),
      maxSamples: Number.isFinite(limitMs) ? Math.floor((limitMs * rate) / 1000) : null,
      approxSamples: Math.ceil(((syn.durationMs + 1) * rate) / 1000),
    });
    prevEndMs = placedMs + Math.min(syn.durationMs, limitMs);
  });
  return out;
}

/** Half-open [start, end) in samples. */
export interface Region {
  start: number;
  end: number;
}

export function signature(p: DubPlacement): string {
  return `${p.path}@${p.startSample}/${p.maxSamples ?? '-'}`;
}

/** The samples a dub's sound (with its ducking ramps) can touch. */
export function reach(p: DubPlacement, attack: number, release: number): Region {
  const length = p.maxSamples === null ? p.approxSamples : Math.min(p.approxSamples, p.maxSamples);
  return { start: Math.max(0, p.startSample - attack), end: p.startSample + length + release };
}

/** Regions that differ between two sets of placements, merged and sorted. */
export function dirtyRegions(before: DubPlacement[], after: DubPlacement[], attack: number, release: number): Region[] {
  const a = new Set(before.map(signature));
  const b = new Set(after.map(signature));
  const changed = [...before.filter((p) => !b.has(signature(p))), ...after.filter((p) => !a.has(signature(p)))];
  return mergeRegions(changed.map((p) => reach(p, attack, release)));
}

export function mergeRegions(regions: Region[]): Region[] {
  const sorted = [...regions].sort((x, y) => x.start - y.start);
  const out: Region[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.start <= last.end) last.end = Math.max(last.end, r.end);
    else out.push({ ...r });
  }
  return out;
}

/** Whether [start, end) meets any region (regions sorted; `from` is a cursor the caller keeps). */
export function overlaps(regions: Region[], start: number, end: number, cursor: { i: number }): boolean {
  while (cursor.i < regions.length && regions[cursor.i].end <= start) cursor.i += 1;
  const r = regions[cursor.i];
  return r !== undefined && r.start < end;
}
