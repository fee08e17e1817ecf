/**
 * Microsoft Edge read-aloud voices through msedge-tts (a WebSocket to speech.platform.bing.com), where a
 * network exists. Offline the connection fails within connectTimeoutMs with ENGINE_FAILED (retryable) and
 * the fallback chain speaks instead.
 *
 * msedge-tts 1.3.4 has traits this wrapper works around:
 * - changing the voice of a client opens a new socket without closing the old one, and a socket's close
 *   ends every stream of that client: so one client per voice, one request at a time per client;
 * - a request on a socket that dropped reconnects inside an unawaited promise (an unhandled rejection when
 *   offline): so every request first re-runs setMetadata, which reconnects where errors can be caught;
 * - it keeps every request's stream in a map: so a client is replaced after `requestsPerClient` requests;
 * - it sends text into SSML unescaped: so the text is XML-escaped here.
 */
import type { Agent } from 'node:http';
import { MsEdgeTTS, OUTPUT_FORMAT } from 'msedge-tts';
import { DubdError, InvalidStateError } from '../../errors.js';
import type { EngineInfo, TtsCapabilities, TtsProvider } from '../types.js';
import { decodeAudio } from './decode-audio.js';
import { abortError, checkRate, cleanText, listFor, type ClonedTtsRequest, type SpokenResult } from './request.js';

export interface EdgeTtsOptions {
  /** Voices per language; the first is the default. */
  voices: Record<string, string[]>;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  /** Open clients (one WebSocket each) kept, one per voice in use. */
  maxClients: number;
  requestsPerClient: number;
  /** Agent for the WebSocket: a proxy, or (in tests) a route to a local server. */
  agent?: Agent;
}

export const defaultEdgeTtsOptions: EdgeTtsOptions = {
  voices: { es: ['es-ES-AlvaroNeural', 'es-ES-ElviraNeural'], pt: ['pt-BR-AntonioNeural', 'pt-BR-FranciscaNeural'], en: ['en-US-GuyNeural', 'en-US-JennyNeural'] },
  connectTimeoutMs: 4000,
  requestTimeoutMs: 15_000,
  maxClients: 4,
  requestsPerClient: 200,
};

const SAMPLE_RATE = 24_000;
const FORMAT = OUTPUT_FORMAT.AUDIO_24KHZ_48KBITRATE_MONO_MP3;
export const EDGE_HOST = 'speech.platform.bing.com';
/** 'es-ES-AlvaroNeural', 'zh-CN-shaanxi-XiaoniNeural', 'en-US-AvaMultilingualNeural'. */
const EDGE_VOICE = /^[a-z]{2,3}-[A-Z][A-Za-z]{1,3}(-[a-z]+)?-[A-Za-z]+$/;

export function isEdgeVoice(name: string): boolean {
  return EDGE_VOICE.test(name);
}

export function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c);
}

/** Speaking rate relative to normal → SSML prosody rate ('+15%', '-10%'). */
export function prosodyRate(rate: number): string {
  const pct = Math.round((rate - 1) * 100);
  return `${pct >= 0 ? '+' : ''}${pct}%`;
}

interface Client {
  tts: MsEdgeTTS;
  voice: string;
  used: number;
  busy: boolean;
  lastUsedAt: number;
  retired: boolean;
}

function closeQuietly(tts: MsEdgeTTS): void {
  try {
    tts.close();
  } catch {
    // Closing a socket that never opened throws inside ws; nothing to free then.
  }
}

export class EdgeTts implements TtsProvider {
  readonly info: EngineInfo = { id: 'edge', version: 'msedge-tts 1.3.4' };
  readonly capabilities: TtsCapabilities;
  private readonly o: EdgeTtsOptions;
  private readonly clients = new Map<string, Client>();
  /** Requests for one voice run one after the other (they share that voice's socket). */
  private readonly queues = new Map<string, Promise<unknown>>();
  private closed = false;

  private constructor(o: EdgeTtsOptions) {
    this.o = o;
    this.capabilities = { sampleRate: SAMPLE_RATE, languages: Object.keys(o.voices).sort(), rate: true };
  }

  /** Checks the voice names; connects lazily (a network may come and go while the server runs). */
  static async load(opts: Partial<EdgeTtsOptions> = {}): Promise<EdgeTts> {
    const o = { ...defaultEdgeTtsOptions, ...opts };
    for (const [lang, list] of Object.entries(o.voices)) {
      const bad = list.find((v) => !isEdgeVoice(v));
      if (bad) throw new DubdError('INVALID_CONFIG', `tts.edge.voices.${lang}: '${bad}' is not an Edge voice name (like es-ES-AlvaroNeural)`);
    }
    return new EdgeTts(o);
  }

  async synthesize(req: ClonedTtsRequest): Promise<SpokenResult> {
    if (this.closed) throw new InvalidStateError('synthesize() after close()');
    const rate = checkRate(req.rate);
    const voice = this.voiceFor(req);
    if (req.signal?.aborted) throw abortError(req.signal);
    const text = cleanText(req.text);
    if (!text) return { samples: new Float32Array(0), sampleRate: SAMPLE_RATE, provider: this.info.id };
    const run = (this.queues.get(voice) ?? Promise.resolve()).then(() => this.request(voice, escapeXml(text), rate, req.signal));
    const tail = run.catch(() => undefined);
    this.queues.set(voice, tail);
    void tail.then(() => {
      if (this.queues.get(voice) === tail) this.queues.delete(voice);
    });
    const mp3 = await run;
    const samples = await decodeAudio(mp3, SAMPLE_RATE, { signal: req.signal, what: 'Edge TTS audio' });
    return { samples, sampleRate: SAMPLE_RATE, provider: this.info.id };
  }

  /** Idempotent: closes every WebSocket. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.clients.values()) this.retire(c);
    this.clients.clear();
  }

  private voiceFor(req: ClonedTtsRequest): string {
    if (req.voice) {
      if (!isEdgeVoice(req.voice)) throw new DubdError('INVALID_ARGUMENT', `'${req.voice}' is not an Edge voice name (like es-ES-AlvaroNeural)`);
      return req.voice;
    }
    const list = listFor(this.o.voices, req.lang);
    if (!list?.length) {
      throw new DubdError('INVALID_ARGUMENT', `no Edge voice configured for '${req.lang}' (tts.edge.voices has ${this.capabilities.languages.join(', ')})`);
    }
    return list[0];
  }

  private client(voice: string): Client {
    let c = this.clients.get(voice);
    if (c && c.used >= this.o.requestsPerClient) {
      this.retire(c);
      c = undefined;
    }
    if (!c) {
      c = { tts: new MsEdgeTTS(this.o.agent), voice, used: 0, busy: false, lastUsedAt: Date.now(), retired: false };
      this.clients.set(voice, c);
      this.evictIdle();
    }
    c.used++;
    c.lastUsedAt = Date.now();
    return c;
  }

  /** Beyond maxClients, the least recently used idle clients close (busy ones are left to finish). */
  private evictIdle(): void {
    const idle = [...this.clients.values()].filter((c) => !c.busy).sort((a, b) => a.lastUsedAt - b.lastUsedAt);
    while (this.clients.size > this.o.maxClients && idle.length > 1) this.retire(idle.shift() as Client);
  }

  private retire(c: Client): void {
    if (c.retired) return;
    c.retired = true;
    if (this.clients.get(c.voice) === c) this.clients.delete(c.voice);
    closeQuietly(c.tts);
  }

  /** One request on one client: (re)connect, send, collect the MP3 until turn.end, under timeouts. */
  private async request(voice: string, ssmlText: string, rate: number, signal?: AbortSignal): Promise<Buffer> {
    if (this.closed) throw new InvalidStateError('synthesize() after close()');
    if (signal?.aborted) throw abortError(signal);
    const c = this.client(voice);
    c.busy = true;
    try {
      await this.connect(c);
      return await this.collect(c, ssmlText, rate, signal);
    } finally {
      c.busy = false;
    }
  }

  private collect(c: Client, ssmlText: string, rate: number, signal?: AbortSignal): Promise<Buffer> {
    const stream = c.tts.toStream(ssmlText, { rate: prosodyRate(rate) });
    const chunks: Buffer[] = [];
    return new Promise<Buffer>((resolve, reject) => {
      const finish = (err?: Error): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        stream.removeAllListeners();
        stream.on('error', () => undefined);
        if (err) {
          // The request is still running on the socket: closing it is the only way to stop it.
          this.retire(c);
          reject(err);
          return;
        }
        const mp3 = Buffer.concat(chunks);
        if (mp3.length === 0) reject(new DubdError('ENGINE_FAILED', `Edge TTS returned no audio for voice '${c.voice}' (unknown voice, or the service refused the request)`, { retryable: true }));
        else resolve(mp3);
      };
      const onAbort = (): void => finish(abortError(signal as AbortSignal));
      const timer = setTimeout(
        () => finish(new DubdError('ENGINE_FAILED', `Edge TTS did not finish within ${this.o.requestTimeoutMs} ms`, { retryable: true })),
        this.o.requestTimeoutMs,
      );
      signal?.addEventListener('abort', onAbort, { once: true });
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.once('end', () => finish());
      stream.once('error', (err: Error) => finish(new DubdError('ENGINE_FAILED', `Edge TTS stream failed: ${err.message}`, { retryable: true, cause: err })));
    });
  }

  /** setMetadata opens the socket when it is not open (and is a no-op otherwise). */
  private async connect(c: Client): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const connecting = c.tts.setMetadata(c.voice, FORMAT);
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no connection within ${this.o.connectTimeoutMs} ms`)), this.o.connectTimeoutMs);
    });
    try {
      await Promise.race([connecting, timeout]);
    } catch (err) {
      connecting.catch(() => undefined);
      this.retire(c);
      // msedge-tts rejects with a string ('Connect Error: [object Object]'); say what it means.
      const why = err instanceof Error ? err.message : 'connection refused or no network';
      throw new DubdError('ENGINE_FAILED', `Edge TTS (${EDGE_HOST}) is unreachable: ${why}`, { retryable: true, cause: err });
    } finally {
      clearTimeout(timer);
    }
  }
}
