import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { doctorCommand } from './doctor.js';
import { fakeIo } from '../test/cli-io.js';
import type { ProbeResult } from '../collections/system-engines.js';

const installedHere = ['ffmpeg', 'ffprobe', 'espeak-ng', 'pocketsphinx', 'apertium', 'silero-vad'];

describe('dubd doctor', () => {
  it('reports the Debian and npm engines installed on this machine as ok, with versions, and exits 0', async () => {
    const { io, out } = fakeIo('doctor', { PATH: process.env.PATH });
    expect(await doctorCommand([], io)).toBe(0);
    const lines = out().split('\n');
    for (const id of installedHere) {
      const line = lines.find((l) => l.startsWith(`${id} `));
      expect(line, id).toMatch(new RegExp(`^${id}\\s+\\S+\\s+ok\\s+yes\\s+\\S`));
    }
    expect(out()).toContain('dubd models pull whisper-base.en');
  });

  it('--json prints parseable rows with a version for every engine that is ok', async () => {
    const { io, out } = fakeIo('doctor', { PATH: process.env.PATH });
    expect(await doctorCommand(['--json'], io)).toBe(0);
    const report = JSON.parse(out()) as { ok: boolean; engines: ProbeResult[] };
    expect(report.ok).toBe(true);
    const byId = new Map(report.engines.map((e) => [e.id, e]));
    for (const id of installedHere) {
      expect(byId.get(id)?.status, id).toBe('ok');
      expect(byId.get(id)?.version, id).toBeTruthy();
    }
    expect(byId.get('ffmpeg')?.version).toMatch(/^\d+\.\d+/);
    expect(byId.get('sherpa-whisper')?.status).toBe('unavailable');
    expect(byId.get('cuda')?.required).toBe(false);
  });

  it('exits 1 when an engine the configured pipeline needs is missing, and says how to install it', async () => {
    const { io, out } = fakeIo('doctor', { PATH: process.env.PATH });
    const config = join(io.cwd, 'dubd.json');
    writeFileSync(config, JSON.stringify({ asr: { pocketsphinx: { hmm: '/nonexistent/en-us' } } }));
    expect(await doctorCommand(['--json', '--config', config], io)).toBe(1);
    const report = JSON.parse(out()) as { ok: boolean; engines: ProbeResult[] };
    const ps = report.engines.find((e) => e.id === 'pocketsphinx');
    expect(report.ok).toBe(false);
    expect(ps).toMatchObject({ status: 'missing', required: true, hint: 'apt-get install -y pocketsphinx pocketsphinx-en-us' });
  });

  it('an unknown option is an INVALID_ARGUMENT error', async () => {
    const { io } = fakeIo('doctor', { PATH: process.env.PATH });
    await expect(doctorCommand(['--frobnicate'], io)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
