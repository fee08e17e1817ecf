/**
 * The public HLS of one live session across packager generations. Each generation (a publisher
 * connection, or a restart after an output or decoder failure) is its own packager writing into its own
 * folder `<dir>/<generation>/`; the stitcher publishes `<dir>/index.m3u8` and one media playlist per
 * rendition at `<dir>/<rendition>/index.m3u8`, listing the newest segments of every generation in order with
 * EXT-X-DISCONTINUITY (and the generation's own EXT-X-MAP) where one generation gives way to the next.
 * Viewers keep one URL for the session's whole life; a reconnecting publisher is a discontinuity, not a 404.
 *
 * Generation folders carry a per-session token so an HTTP cache never serves a segment of an earlier
 * session under the same name, and a folder is removed once none of its segments is listed any more.
 */
import { watch, type FSWatcher } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { toError } from '../../pipeline/errors.js';
import { parseMediaPlaylist, stitchedPlaylist, type StitchedSegment } from './playlist.js';

export interface HlsStitcherOptions {
  dir: string;
  listSize: number;
  log: Logger;
  /** Fallback poll when file-system events are missed. */
  pollMs?: number;
}

interface Generation {
  name: string;
  /** Rendition folders seen in this generation's master playlist. */
  renditions: Set<string>;
  watchers: FSWatcher[];
  ended: boolean;
}

interface RenditionList {
  segments: StitchedSegment[];
  /** Segments that left the window, and discontinuities among them (EXT-X-MEDIA-SEQUENCE, -DISCONTINUITY-SEQUENCE). */
  removed: number;
  removedDiscontinuities: number;
  targetDurationS: number;
  /** The last generation whose segments were seen here (the next one starts with a discontinuity), and its newest segment's sequence number. */
  lastGeneration?: string;
  lastSequence: number;
  written?: string;
}

const MASTER = 'index.m3u8';

export class HlsStitcher {
  private readonly token = Date.now().toString(36);
  private readonly generations: Generation[] = [];
  private readonly lists = new Map<string, RenditionList>();
  private master: string | undefined;
  private timer: NodeJS.Timeout;
  private busy: Promise<void> = Promise.resolve();
  private again = false;
  private running = false;
  private closed = false;
  private ended = false;

  constructor(private readonly o: HlsStitcherOptions) {
    this.timer = setInterval(() => this.refresh(), o.pollMs ?? 250);
    this.timer.unref();
  }

  /** Number of generations begun so far. */
  get count(): number {
    return this.generations.length;
  }

  /** A new generation's folder (created); every later segment of the session is read from it. */
  async begin(): Promise<string> {
    const gen: Generation = { name: `g${this.token}-${this.generations.length + 1}`, renditions: new Set(), watchers: [], ended: false };
    const path = join(this.o.dir, gen.name);
    await mkdir(path, { recursive: true });
    for (const g of this.generations) g.ended = true;
    this.generations.push(gen);
    this.watch(gen, path);
    return path;
  }

  /** Re-reads the current generation's playlists soon (the packager wrote something). */
  refresh(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    this.busy = this.stitch()
      .catch((err: unknown) => this.o.log.warn({ err: toError(err).message }, 'hls stitch failed'))
      .finally(() => {
        this.running = false;
        if (this.again) {
          this.again = false;
          this.refresh();
        }
      });
  }

  /** Resolves once no re-read is running or due. */
  async idle(): Promise<void> {
    while (this.running) await this.busy;
  }

  /** The session is over: one last read, then EXT-X-ENDLIST on every public playlist. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    clearInterval(this.timer);
    for (const g of this.generations) for (const w of g.watchers.splice(0)) w.close();
    await this.busy;
    this.ended = true;
    await this.stitch().catch((err: unknown) => this.o.log.warn({ err: toError(err).message }, 'hls stitch failed'));
    this.closed = true;
  }

  /** Playlists are renamed into place: a directory event is the earliest sign of a new segment. */
  private watch(gen: Generation, path: string): void {
    try {
      const w = watch(path, (_event, file) => {
        if (file === null || String(file).endsWith('.m3u8')) this.refresh();
      });
      w.on('error', () => w.close());
      gen.watchers.push(w);
    } catch {
      // The folder is not there yet or inotify is exhausted: the poll still finds it.
    }
  }

  private async stitch(): Promise<void> {
    const current = this.generations.at(-1);
    if (!current) return;
    const masterText = await readFile(join(this.o.dir, current.name, MASTER), 'utf8').catch(() => undefined);
    if (masterText !== undefined) {
      for (const uri of masterUris(masterText)) {
        const rendition = uri.split('/')[0];
        if (!current.renditions.has(rendition)) {
          current.renditions.add(rendition);
          this.watch(current, join(this.o.dir, current.name, rendition));
        }
      }
    }
    for (const rendition of current.renditions) await this.stitchRendition(current, rendition);
    if (masterText !== undefined && masterText !== this.master) {
      this.master = masterText;
      await atomicWrite(join(this.o.dir, MASTER), masterText);
    }
    await this.dropUnlisted();
  }

  private async stitchRendition(gen: Generation, rendition: string): Promise<void> {
    const text = await readFile(join(this.o.dir, gen.name, rendition, 'index.m3u8'), 'utf8').catch(() => undefined);
    const list = this.lists.get(rendition) ?? { segments: [], removed: 0, removedDiscontinuities: 0, targetDurationS: 1, lastSequence: -1 };
    this.lists.set(rendition, list);
    if (text !== undefined) {
      const info = parseMediaPlaylist(text);
      const prefix = `../${gen.name}/${rendition}/`;
      const fresh = list.lastGeneration !== gen.name;
      info.segments.forEach((seg, i) => {
        const sequence = info.mediaSequence + i;
        if (!fresh && sequence <= list.lastSequence) return;
        const uri = prefix + seg.uri;
        const discontinuity = list.lastGeneration !== undefined && list.lastGeneration !== gen.name;
        list.lastGeneration = gen.name;
        list.lastSequence = sequence;
        list.segments.push({ generation: gen.name, uri, durationS: seg.durationS, programDateTimeMs: seg.programDateTimeMs, map: info.map && prefix + info.map, discontinuity });
        list.targetDurationS = Math.max(list.targetDurationS, Math.ceil(seg.durationS));
      });
      while (list.segments.length > this.o.listSize) {
        const gone = list.segments.shift();
        list.removed += 1;
        // Its EXT-X-DISCONTINUITY leaves with it (RFC 8216 6.2.2).
        if (gone?.discontinuity) list.removedDiscontinuities += 1;
      }
    }
    if (list.segments.length === 0) return;
    const out = stitchedPlaylist({
      targetDurationS: list.targetDurationS,
      mediaSequence: list.removed,
      discontinuitySequence: list.removedDiscontinuities,
      segments: list.segments,
      ended: this.ended,
    });
    if (out === list.written) return;
    list.written = out;
    await mkdir(join(this.o.dir, rendition), { recursive: true });
    await atomicWrite(join(this.o.dir, rendition, 'index.m3u8'), out);
  }

  /** Generations that are over and listed nowhere any more leave the disk. */
  private async dropUnlisted(): Promise<void> {
    const listed = new Set<string>();
    for (const l of this.lists.values()) for (const s of l.segments) listed.add(s.generation);
    for (const g of this.generations) {
      if (!g.ended || listed.has(g.name) || g.renditions.size === 0) continue;
      g.renditions.clear();
      for (const w of g.watchers.splice(0)) w.close();
      await rm(join(this.o.dir, g.name), { recursive: true, force: true });
    }
  }
}

/** URIs of a master playlist's media playlists (EXT-X-MEDIA URI attributes and variant lines). */
function masterUris(text: string): string[] {
  const uris: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const attr = /URI="([^"]+)"/.exec(line);
    if (line.startsWith('#EXT-X-MEDIA:') && attr) uris.push(attr[1]);
    else if (line && !line.startsWith('#')) uris.push(line);
  }
  return uris.filter((u) => /^[A-Za-z0-9_-]+\/index\.m3u8$/.test(u));
}

async function atomicWrite(path: string, text: string): Promise<void> {
  await writeFile(`${path}.tmp`, text);
  await rename(`${path}.tmp`, path);
}
