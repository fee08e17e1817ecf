// Runs the real apertium pipelines (Debian apertium, apertium-eng-spa, apertium-es-pt): no mocks.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DubdError, InvalidStateError } from '../errors.js';
import { ApertiumMt, fromStream, toStream } from './mt-apertium.js';

const NOUNS: [string, string][] = [
  ['house', 'casa'],
  ['dog', 'perro'],
  ['book', 'libro'],
  ['table', 'mesa'],
  ['cat', 'gato'],
  ['window', 'ventana'],
];

/** Sentence i and what its translation must contain: its own noun and its own number. */
function sentence(i: number): { text: string; expect: string[] } {
  const [en, es] = NOUNS[i % NOUNS.length] ?? ['house', 'casa'];
  return { text: `the ${en} number ${i} is very big`, expect: [es, String(i), 'grande'] };
}

function expectTranslation(out: string, i: number): void {
  for (const word of sentence(i).expect) expect(out.toLowerCase(), `sentence ${i}: ${out}`).toContain(word);
  // The number must be this sentence's, not a neighbour's (answers must not mix).
  expect(out.match(/\d+/g), `sentence ${i}: ${out}`).toEqual([String(i)]);
}

/** Pids of live (non-zombie) processes in a process group, read from /proc. */
function groupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Fields after the ')' of the command name: state ppid pgrp …
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === pgid && state !== 'Z') members.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return members;
}

async function waitFor(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return check();
}

describe('ApertiumMt', () => {
  let mt: ApertiumMt;

  beforeAll(async () => {
    mt = await ApertiumMt.load({ warm: ['en-es', 'en-pt'] });
  });
  afterAll(async () => {
    await mt?.close();
  });

  it('reports its version and the installed pairs, including chained ones', () => {
    expect(mt.info.id).toBe('apertium');
    expect(mt.info.version).toMatch(/^\d+\.\d+/);
    expect(mt.capabilities.pairs).toEqual(expect.arrayContaining(['en-es', 'en-pt', 'en-pt-BR', 'es-pt']));
  });

  it('translates English to Spanish', async () => {
    const out = await mt.translate({ text: 'the house is red', from: 'en', to: 'es', context: [] });
    expect(out).toContain('casa');
    expect(out).toContain('roja');
  });

  it('translates English to Portuguese by chaining eng-spa and es-pt', async () => {
    const out = await mt.translate({ text: 'the house is red', from: 'en', to: 'pt', context: [] });
    expect(out.toLowerCase()).toContain('casa');
    expect(out).toContain('vermelha');
    const br = await mt.translate({ text: 'the house is red', from: 'en', to: 'pt-BR', context: [] });
    expect(br.toLowerCase()).toContain('casa');
  });

  it('translates lowercase ASR text without punctuation, pronoun i included', async () => {
    const out = await mt.translate({
      text: 'i think we should go home now because it is late',
      from: 'en',
      to: 'es',
      context: [],
    });
    expect(out).toMatch(/^[A-ZÁÉÍÓÚ]/);
    expect(out).toContain('casa');
    expect(out).toContain('tarde');
    expect(out).not.toMatch(/\bi\b|[*#@]/);
  });

  it('passes the stream format\'s reserved characters through unharmed', async () => {
    const text = 'the price is $5 [or more] for a/b <3';
    const out = await mt.translate({ text, from: 'en', to: 'es', context: [] });
    expect(out).toContain('$5');
    expect(out).toContain('[');
    expect(out).toContain('<3');
  });

  it('drops unknown-word marks and unescapes', () => {
    expect(fromStream('*flibber es #rojo y @casa \\@ \\$5')).toBe('flibber es rojo y casa @ $5');
    expect(toStream('a $b\0\n[c]')).toBe('a \\$b \\[c\\]');
  });

  it('answers 200 sentences in a row, in order, at 100 sentences/s or more', async () => {
    const t0 = performance.now();
    const outs: string[] = [];
    for (let i = 0; i < 200; i++) {
      outs.push(await mt.translate({ text: sentence(i).text, from: 'en', to: 'es', context: [] }));
    }
    const seconds = (performance.now() - t0) / 1000;
    outs.forEach((out, i) => expectTranslation(out, i));
    const perSecond = 200 / seconds;
    const msPerSentence = (seconds * 1000) / 200;
    console.log(`apertium en→es: ${perSecond.toFixed(0)} sentences/s, ${msPerSentence.toFixed(2)} ms/sentence`);
    expect(perSecond).toBeGreaterThanOrEqual(100);
  });

  it('measures en→pt through the chain', async () => {
    const t0 = performance.now();
    for (let i = 0; i < 50; i++) await mt.translate({ text: sentence(i).text, from: 'en', to: 'pt', context: [] });
    console.log(`apertium en→pt (chained): ${((performance.now() - t0) / 50).toFixed(2)} ms/sentence`);
  });

  it('gives each of 20 concurrent calls its own answer', async () => {
    const outs = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        mt.translate({ text: sentence(i).text, from: 'en', to: 'es', context: [] }),
      ),
    );
    outs.forEach((out, i) => expectTranslation(out, i));
  });

  it('rejects an aborted request at once and still gives the next request its own answer', async () => {
    const [pid = 0] = await mt.processIds();
    expect(pid).toBeGreaterThan(0);
    // Freeze the pipeline so the request is surely in flight when it is aborted.
    process.kill(-pid, 'SIGSTOP');
    const ac = new AbortController();
    const aborted = mt.translate({ text: sentence(1).text, from: 'en', to: 'es', context: [], signal: ac.signal });
    const next = mt.translate({ text: sentence(2).text, from: 'en', to: 'es', context: [] });
    ac.abort();
    await expect(aborted).rejects.toMatchObject({ code: 'ABORTED' });
    process.kill(-pid, 'SIGCONT');
    expectTranslation(await next, 2);
    await expect(
      mt.translate({ text: 'hello', from: 'en', to: 'es', context: [], signal: AbortSignal.abort() }),
    ).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('rejects an unknown pair with UNSUPPORTED_LANGUAGE_PAIR naming the installed pairs', async () => {
    const err = await mt.translate({ text: 'hello', from: 'en', to: 'de', context: [] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DubdError);
    expect(err).toMatchObject({ code: 'UNSUPPORTED_LANGUAGE_PAIR' });
    expect((err as Error).message).toMatch(/en→de.*installed: .*en-es.*en-pt/);
  });

  it('returns an empty translation for empty text', async () => {
    expect(await mt.translate({ text: '  \n', from: 'en', to: 'es', context: [] })).toBe('');
  });
});

describe('ApertiumMt lifecycle', () => {
  it('fails the request in flight when the pipeline dies, and restarts it on the next request', async () => {
    const mt = await ApertiumMt.load({ warm: ['en-es'] });
    try {
      const [pid = 0] = await mt.processIds();
      process.kill(-pid, 'SIGSTOP');
      const inFlight = mt.translate({ text: sentence(3).text, from: 'en', to: 'es', context: [] });
      process.kill(pid, 'SIGKILL');
      await expect(inFlight).rejects.toMatchObject({ code: 'ENGINE_FAILED', retryable: true });
      expect(await waitFor(() => groupMembers(pid).length === 0, 2000)).toBe(true);

      expectTranslation(await mt.translate({ text: sentence(4).text, from: 'en', to: 'es', context: [] }), 4);
      const [newPid] = await mt.processIds();
      expect(newPid).not.toBe(pid);
    } finally {
      await mt.close();
    }
  });

  it('restarts after a pipeline member dies between requests', async () => {
    const mt = await ApertiumMt.load({ warm: ['en-es'] });
    try {
      const [pid = 0] = await mt.processIds();
      const member = groupMembers(pid).find((p) => p !== pid) ?? 0;
      expect(member).toBeGreaterThan(0);
      process.kill(member, 'SIGKILL');
      // The death is noticed either before the request (restart) or during it (ENGINE_FAILED, retryable).
      const first = await mt
        .translate({ text: sentence(5).text, from: 'en', to: 'es', context: [] })
        .catch((e: unknown) => e);
      if (first instanceof Error) expect(first).toMatchObject({ code: 'ENGINE_FAILED', retryable: true });
      else expectTranslation(first as string, 5);
      expectTranslation(await mt.translate({ text: sentence(6).text, from: 'en', to: 'es', context: [] }), 6);
    } finally {
      await mt.close();
    }
  });

  it('close() is idempotent, leaves no process behind, and translate() after it rejects with InvalidStateError', async () => {
    const mt = await ApertiumMt.load({ warm: ['en-es', 'en-pt'] });
    const pids = await mt.processIds();
    expect(pids).toHaveLength(2);
    const members = pids.flatMap(groupMembers);
    expect(members.length).toBeGreaterThan(pids.length);

    await Promise.all([mt.close(), mt.close()]);
    await mt.close();
    expect(await waitFor(() => pids.every((p) => groupMembers(p).length === 0), 2000)).toBe(true);
    for (const p of members) expect(() => process.kill(p, 0)).toThrow();

    await expect(mt.translate({ text: 'hello', from: 'en', to: 'es', context: [] })).rejects.toBeInstanceOf(
      InvalidStateError,
    );
  });

  it('reports a half-installed pair as ENGINE_MISSING naming what is missing', async () => {
    const modesDir = mkdtempSync(join(tmpdir(), 'dubd-apertium-'));
    try {
      writeFileSync(join(modesDir, 'eng-spa.mode'), "lt-proc-missing '/nonexistent/eng-spa.automorf.bin'\n");
      const err = await ApertiumMt.load({ modesDir }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'ENGINE_MISSING' });
      expect((err as Error).message).toMatch(/lt-proc-missing.*apt-get install apertium/);
    } finally {
      rmSync(modesDir, { recursive: true, force: true });
    }
  });

  it('reports a missing apertium as ENGINE_MISSING with the install command', async () => {
    const err = await ApertiumMt.load({ modesDir: '/nonexistent/apertium/modes' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ENGINE_MISSING' });
    expect((err as Error).message).toContain('apt-get install apertium apertium-eng-spa apertium-es-pt');
  });
});
