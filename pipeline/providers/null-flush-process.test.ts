// NullFlushProcess on real bash pipelines speaking the null-flush protocol: answers, the start-up
// allowance, a hung pipeline killed and replaced.
import { afterEach, describe, expect, it } from 'vitest';
import { NullFlushProcess } from './null-flush-process.js';

// Takes `startupS` to start (as apertium loading its dictionaries), then echoes each request; 'hang' never answers.
const ECHO = `sleep "$1"; while IFS= read -r -d '' line; do if [ "$line" = hang ]; then sleep 30; fi; printf '%s\\0' "$line"; done`;

const procs: NullFlushProcess[] = [];
afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.close()));
});

function pipeline(startupS: number, timeoutMs: number, startTimeoutMs?: number): NullFlushProcess {
  const p = new NullFlushProcess({ name: 'echo', script: ECHO, args: [String(startupS)], timeoutMs, startTimeoutMs, dropEmptyAnswers: true });
  procs.push(p);
  return p;
}

describe('NullFlushProcess (real bash pipelines)', () => {
  it('answers requests in order', async () => {
    const p = pipeline(0, 5000);
    expect(await Promise.all(['one', 'two', 'three'].map((t) => p.request(t)))).toEqual(['one', 'two', 'three']);
  });

  it('gives a fresh pipeline its start-up allowance for the first answer, then the usual timeout', async () => {
    const p = pipeline(0.6, 300, 5000);
    expect(await p.request('first')).toBe('first');
    await expect(p.request('hang')).rejects.toMatchObject({ code: 'ENGINE_FAILED', message: 'echo did not answer within 300 ms' });
    // The hung pipeline was killed; the next request starts a new one, which again gets its allowance.
    expect(await p.request('again')).toBe('again');
  });

  it('without an allowance a slow start is a timeout, reported as such', async () => {
    const p = pipeline(0.6, 300);
    await expect(p.request('first')).rejects.toMatchObject({ code: 'ENGINE_FAILED', message: 'echo did not answer within 300 ms of starting' });
  });
});
