import { mkdtemp, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../config/logger.js';
import { HlsStitcher } from './stitcher.js';
import { parseMediaPlaylist } from './playlist.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** Writes what one packager generation writes: a master and one rendition playlist of `count` segments from `first`. */
async function writeGeneration(genDir: string, first: number, count: number): Promise<void> {
  await mkdir(join(genDir, 'audio_es'), { recursive: true });
  await writeFile(join(genDir, 'index.m3u8'), '#EXTM3U\n#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",LANGUAGE="es",NAME="Español",URI="audio_es/index.m3u8"\n#EXT-X-STREAM-INF:BANDWIDTH=1\naudio_es/index.m3u8\n');
  const lines = ['#EXTM3U', '#EXT-X-VERSION:7', '#EXT-X-TARGETDURATION:1', `#EXT-X-MEDIA-SEQUENCE:${first}`, '#EXT-X-MAP:URI="init.mp4"'];
  for (let n = first; n < first + count; n += 1) lines.push('#EXTINF:1.000000,', `seg_${String(n).padStart(5, '0')}.m4s`);
  await writeFile(join(genDir, 'audio_es', 'index.m3u8'), lines.join('\n') + '\n');
}

async function settle(s: HlsStitcher): Promise<void> {
  s.refresh();
  await s.idle();
  s.refresh();
  await s.idle();
}

describe('HlsStitcher', () => {
  it('publishes one playlist per rendition across generations, with a discontinuity and the new init section where they meet', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dubd-stitch-'));
    dirs.push(dir);
    const s = new HlsStitcher({ dir, listSize: 4, log: silentLogger, pollMs: 10_000 });
    const g1 = await s.begin();
    await writeGeneration(g1, 0, 3);
    await settle(s);
    expect(await readFile(join(dir, 'index.m3u8'), 'utf8')).toContain('URI="audio_es/index.m3u8"');
    let text = await readFile(join(dir, 'audio_es', 'index.m3u8'), 'utf8');
    expect(text).not.toContain('#EXT-X-DISCONTINUITY');
    expect(parseMediaPlaylist(text).segments.map((x) => x.uri)).toEqual([0, 1, 2].map((n) => `../${g1.split('/').at(-1)}/audio_es/seg_0000${n}.m4s`));

    const g2 = await s.begin();
    await writeGeneration(g2, 0, 2);
    await settle(s);
    text = await readFile(join(dir, 'audio_es', 'index.m3u8'), 'utf8');
    const g2name = g2.split('/').at(-1) ?? '';
    // Window of 4: seg 1, 2 of g1, then a discontinuity and g2's own init section before its segments.
    expect(text).toContain('#EXT-X-MEDIA-SEQUENCE:1\n');
    expect(text).toMatch(new RegExp(`seg_00002\\.m4s\\n#EXT-X-DISCONTINUITY\\n#EXT-X-MAP:URI="\\.\\./${g2name}/audio_es/init\\.mp4"\\n#EXTINF`));
    expect(text).not.toContain('#EXT-X-DISCONTINUITY-SEQUENCE');

    // g2 goes on: g1 leaves the window, its discontinuity is counted, its folder is removed.
    await writeGeneration(g2, 0, 5);
    await settle(s);
    text = await readFile(join(dir, 'audio_es', 'index.m3u8'), 'utf8');
    expect(text).toContain('#EXT-X-MEDIA-SEQUENCE:4\n');
    expect(text).toContain('#EXT-X-DISCONTINUITY-SEQUENCE:1\n');
    expect(text).not.toContain('#EXT-X-DISCONTINUITY\n');
    await expect(stat(g1)).rejects.toThrow();

    await s.close();
    expect(await readFile(join(dir, 'audio_es', 'index.m3u8'), 'utf8')).toMatch(/#EXT-X-ENDLIST\n$/);
  });

  it('names generations so that two sessions of one stream never share a segment path', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dubd-stitch-'));
    dirs.push(dir);
    const a = new HlsStitcher({ dir, listSize: 4, log: silentLogger });
    const first = await a.begin();
    await a.close();
    await new Promise((r) => setTimeout(r, 5));
    const b = new HlsStitcher({ dir, listSize: 4, log: silentLogger });
    expect(await b.begin()).not.toBe(first);
    await b.close();
  });
});
