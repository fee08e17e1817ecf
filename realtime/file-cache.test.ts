import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileCache } from './file-cache.js';

describe('FileCache', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dubd-cache-'));

  it('serves a segment from memory once read, even after the file changes on disk', async () => {
    const f = join(dir, 'a.m4s');
    writeFileSync(f, 'one');
    const cache = new FileCache({ maxBytes: 1000, playlistTtlMs: 50 });
    expect((await cache.get(f)).toString()).toBe('one');
    writeFileSync(f, 'two');
    expect((await cache.get(f)).toString()).toBe('one');
  });

  it('re-reads a playlist once it is older than the TTL', async () => {
    const f = join(dir, 'index.m3u8');
    writeFileSync(f, '#1');
    let now = 0;
    const cache = new FileCache({ maxBytes: 1000, playlistTtlMs: 30, now: () => now });
    expect((await cache.get(f)).toString()).toBe('#1');
    writeFileSync(f, '#2');
    now = 29;
    expect((await cache.get(f)).toString()).toBe('#1');
    now = 30;
    expect((await cache.get(f)).toString()).toBe('#2');
  });

  it('peek() answers only from memory: nothing before the first read, the body after, nothing for a stale playlist', async () => {
    const seg = join(dir, 'p.m4s');
    const list = join(dir, 'p.m3u8');
    writeFileSync(seg, 'seg');
    writeFileSync(list, '#p');
    let now = 0;
    const cache = new FileCache({ maxBytes: 1000, playlistTtlMs: 30, now: () => now });
    expect(cache.peek(seg)).toBeUndefined();
    await cache.get(seg);
    await cache.get(list);
    expect(cache.peek(seg)?.toString()).toBe('seg');
    expect(cache.peek(list)?.toString()).toBe('#p');
    now = 30;
    expect(cache.peek(list)).toBeUndefined();
    expect(cache.peek(seg)?.toString()).toBe('seg');
  });

  it('stays within its byte bound, evicting the least recently used', async () => {
    const cache = new FileCache({ maxBytes: 25, playlistTtlMs: 50 });
    for (const n of ['x', 'y', 'z']) writeFileSync(join(dir, `${n}.m4s`), n.repeat(10));
    await cache.get(join(dir, 'x.m4s'));
    await cache.get(join(dir, 'y.m4s'));
    await cache.get(join(dir, 'x.m4s')); // x is now the most recent
    await cache.get(join(dir, 'z.m4s'));
    expect(cache.size).toBeLessThanOrEqual(25);
    writeFileSync(join(dir, 'x.m4s'), 'changed');
    expect((await cache.get(join(dir, 'x.m4s'))).toString()).toBe('x'.repeat(10)); // kept
  });

  it('a missing file rejects and is not cached', async () => {
    const cache = new FileCache();
    await expect(cache.get(join(dir, 'nope.m4s'))).rejects.toThrow();
  });
});
