/**
 * `dubd doctor` probes for the TTS providers beyond espeak-ng: is the sherpa model folder usable (checked
 * the way the provider checks it, without loading it), and can Edge, ElevenLabs and the XTTS server be
 * reached from here. A provider that cannot run here is 'unavailable' with the reason, never 'ok'.
 */
import { connect } from 'node:net';
import { lookup } from 'node:dns/promises';
import { createRequire } from 'node:module';
import type { Probe, Outcome } from './probe.js';
import { firstLine } from './probe.js';
import { resolveSherpaModel } from '../pipeline/providers/tts/sherpa-config.js';
import { sherpaModelFolder } from '../pipeline/providers/tts/model-folder.js';

const require = createRequire(import.meta.url);
/** msedge-tts's fixed endpoint (not imported from edge.ts: doctor need not load msedge-tts). */
const EDGE_HOST = 'speech.platform.bing.com';

function message(err: unknown): string {
  return firstLine(err instanceof Error ? err.message : String(err));
}

const sherpaProbe: Probe = {
  id: 'sherpa-tts',
  kind: 'tts',
  required: (c) => c.tts.provider === 'sherpa',
  run: async ({ config }) => {
    const folder = sherpaModelFolder(config);
    const hint = 'dubd models pull kokoro-int8-multi-lang-v1-0, then set tts.sherpa.model to its id';
    if (!folder) return { status: 'unavailable', detail: 'no model configured (tts.sherpa.model)', hint };
    let version: string | undefined;
    try {
      version = `sherpa-onnx ${(require('sherpa-onnx-node') as { version: string }).version}`;
    } catch (err) {
      return { status: 'missing', detail: `sherpa-onnx-node does not load: ${message(err)}`, hint: 'npm ci  (ships sherpa-onnx-node)' };
    }
    try {
      const s = config.tts.sherpa;
      const m = await resolveSherpaModel({ folder, kind: s.kind, vocoder: s.vocoder, lang: s.lang, numThreads: s.numThreads, device: config.inference.device });
      const langs = s.languages.length ? s.languages : m.languages;
      return { status: 'ok', version, detail: `${m.kind} model in ${m.folder}: ${m.sampleRate} Hz, ${m.numSpeakers} speaker(s), languages ${langs.join(', ') || '(set tts.sherpa.languages)'}` };
    } catch (err) {
      return { status: 'missing', version, detail: message(err), hint };
    }
  },
};

/** Resolves and opens a TCP connection to host:port within the budget; the reason when it cannot. */
async function reach(host: string, port: number, timeoutMs: number): Promise<string | undefined> {
  try {
    const { address } = await lookup(host);
    await new Promise<void>((resolve, reject) => {
      const socket = connect({ host: address, port, timeout: timeoutMs });
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('timeout', () => {
        socket.destroy();
        reject(new Error(`no answer within ${timeoutMs} ms`));
      });
      socket.once('error', reject);
    });
    return undefined;
  } catch (err) {
    return message(err);
  }
}

/** The Edge probe, for any host (tests point it at a local port). */
export function edgeProbe(host = EDGE_HOST, port = 443): Probe {
  return {
    id: 'edge-tts',
    kind: 'tts',
    required: (c) => c.tts.provider === 'edge',
    run: async ({ timeoutMs }): Promise<Outcome> => {
      const why = await reach(host, port, timeoutMs);
      if (why) return { status: 'unavailable', version: 'msedge-tts 1.3.4', detail: `${host}:${port} unreachable (${why}); the fallback speaks instead`, hint: 'needs a network that reaches Microsoft' };
      return { status: 'ok', version: 'msedge-tts 1.3.4', detail: `${host}:${port} reachable` };
    },
  };
}

async function get(url: string, headers: Record<string, string>, timeoutMs: number): Promise<{ status: number; body: string } | string> {
  try {
    const res = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
    return { status: res.status, body: (await res.text()).slice(0, 2000) };
  } catch (err) {
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : message(err);
    return `unreachable (${cause})`;
  }
}

const elevenlabsProbe: Probe = {
  id: 'elevenlabs',
  kind: 'tts',
  required: (c) => c.tts.provider === 'elevenlabs',
  run: async ({ config, env, timeoutMs }) => {
    const o = config.tts.elevenlabs;
    const key = env[o.apiKeyEnv];
    if (!key) return { status: 'unavailable', detail: `no API key in $${o.apiKeyEnv}`, hint: `export ${o.apiKeyEnv}=…` };
    const base = o.baseUrl.replace(/\/+$/, '');
    const r = await get(`${base}/v1/user`, { 'xi-api-key': key }, timeoutMs);
    if (typeof r === 'string') return { status: 'unavailable', detail: `${base} ${r}` };
    if (r.status === 401 || r.status === 403) return { status: 'unavailable', detail: `${base} rejected the API key (${r.status})`, hint: `check $${o.apiKeyEnv}` };
    if (r.status !== 200) return { status: 'unavailable', detail: `${base}/v1/user answered ${r.status}` };
    return { status: 'ok', version: o.modelId, detail: `${base} accepts the key; voices for ${Object.keys(o.voices).join(', ') || '(none)'}${o.clone ? ', cloning on' : ''}` };
  },
};

const xttsProbe: Probe = {
  id: 'xtts',
  kind: 'tts',
  required: (c) => c.tts.provider === 'xtts',
  run: async ({ config, timeoutMs }) => {
    const base = config.tts.xtts.baseUrl.replace(/\/+$/, '');
    const hint = 'run an XTTS-v2 server (github.com/coqui-ai/xtts-streaming-server) and set tts.xtts.baseUrl';
    const r = await get(`${base}/languages`, {}, timeoutMs);
    if (typeof r === 'string') return { status: 'unavailable', detail: `${base} ${r}`, hint };
    let langs: unknown;
    try {
      langs = JSON.parse(r.body);
    } catch {
      langs = undefined;
    }
    if (r.status !== 200 || !Array.isArray(langs)) return { status: 'unavailable', detail: `${base}/languages answered ${r.status}, not an XTTS server?`, hint };
    return { status: 'ok', version: 'XTTS-v2', detail: `${base}: ${langs.length} languages${config.tts.xtts.clone ? ', cloning on' : ''}` };
  },
};

export const ttsProbes: Probe[] = [sherpaProbe, edgeProbe(), elevenlabsProbe, xttsProbe];
