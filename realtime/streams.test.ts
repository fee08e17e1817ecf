import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StreamRegistry } from './streams.js';
import { DubdError } from '../pipeline/errors.js';

const dir = (): string => mkdtempSync(join(tmpdir(), 'dubd-streams-'));

describe('StreamRegistry', () => {
  it('add() returns a secret key that authorizes the stream; only its hash is stored, in a 0600 file', async () => {
    const d = dir();
    const r = new StreamRegistry(d);
    const key = await r.add('show', ['es', 'pt']);
    expect(key).toMatch(/^dk_[A-Za-z0-9_-]{32}$/);
    expect(r.authorize(key)).toEqual({ name: 'show', to: ['es', 'pt'], source: 'file' });
    expect(r.authorize(`${key}x`)).toBeUndefined();
    expect(r.authorize('')).toBeUndefined();
    const stored = readFileSync(join(d, 'streams.json'), 'utf8');
    expect(stored).not.toContain(key);
    expect(statSync(join(d, 'streams.json')).mode & 0o777).toBe(0o600);
  });

  it('keeps a stream\'s own settings and gives them with the stream when its key is used', async () => {
    const d = dir();
    const settings = { mt: { providers: ['openai', 'apertium'] } };
    const key = await new StreamRegistry(d).add('show', ['es'], settings);
    const again = new StreamRegistry(d); // from the file
    expect(again.authorize(key)?.settings).toEqual(settings);
    expect(again.get('show')?.settings).toEqual(settings);
  });

  it('rotate() replaces the key: the old one stops working', async () => {
    const r = new StreamRegistry(dir());
    const old = await r.add('show', ['es']);
    const fresh = await r.rotate('show');
    expect(r.authorize(old)).toBeUndefined();
    expect(r.authorize(fresh)?.name).toBe('show');
  });

  it('accepts streams from config and lists both kinds', async () => {
    const r = new StreamRegistry(dir(), [{ name: 'cfg', key: 'a-very-secret-key-123', to: ['pt'] }]);
    await r.add('file', ['es']);
    expect(r.authorize('a-very-secret-key-123')?.name).toBe('cfg');
    expect(r.list().map((s) => `${s.name}:${s.source}`)).toEqual(['file:file', 'cfg:config']);
  });

  it('refuses bad names, duplicates, unknown streams and no languages with INVALID_ARGUMENT', async () => {
    const r = new StreamRegistry(dir());
    await r.add('show', ['es']);
    for (const attempt of [() => r.add('Bad Name', ['es']), () => r.add('show', ['es']), () => r.rotate('nope'), () => r.remove('nope'), () => r.add('x', [])]) {
      const err = await attempt().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DubdError);
      expect((err as DubdError).code).toBe('INVALID_ARGUMENT');
    }
  });

  it('remove() forgets the stream and its key', async () => {
    const r = new StreamRegistry(dir());
    const key = await r.add('show', ['es']);
    await r.remove('show');
    expect(r.authorize(key)).toBeUndefined();
    expect(r.list()).toEqual([]);
  });
});
