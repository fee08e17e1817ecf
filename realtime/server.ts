/**
 * The live server: RTMP in (node-media-server), a LiveSession per published stream, HTTP + WebSocket out
 * (uWebSockets.js). Engines are loaded once and shared by the sessions; close() stops everything.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { DubdConfig } from '../config/schema.js';
import { RtmpIngest, type IngestPublish } from '../ingest/rtmp.js';
import { WhipIngest } from '../ingest/whip.js';
import { closeProviders, checkLanguages, loadProviders } from '../pipeline/providers/load.js';
import type { Providers } from '../pipeline/providers/types.js';
import { SileroVad } from '../pipeline/providers/vad-silero.js';
import { userMessage } from '../pipeline/errors.js';
import { HttpServer } from './http.js';
import { WhepServer } from './whep.js';
import { LiveMetrics } from './metrics.js';
import { LiveSession } from './session.js';
import { StreamRegistry } from './streams.js';

export class DubdServer {
  readonly sessions = new Map<string, LiveSession>();
  readonly metrics = new LiveMetrics();
  readonly registry: StreamRegistry;
  readonly liveDir: string;
  private rtmp: RtmpIngest | undefined;
  private http: HttpServer | undefined;
  private providers: Providers | undefined;
  private whep: WhepServer | undefined;
  private whip: WhipIngest | undefined;
  private closed = false;

  private constructor(private readonly cfg: DubdConfig, private readonly log: Logger, dataDir: string) {
    this.registry = new StreamRegistry(dataDir, cfg.live.streams);
    this.liveDir = join(dataDir, 'live');
  }

  get rtmpPort(): number {
    return this.rtmp?.port ?? 0;
  }

  get httpPort(): number {
    return this.http?.port ?? 0;
  }

  static async start(cfg: DubdConfig, log: Logger): Promise<DubdServer> {
    const server = new DubdServer(cfg, log, resolve(cfg.dataDir));
    try {
      await server.open();
    } catch (err) {
      await server.close();
      throw err;
    }
    return server;
  }

  private async open(): Promise<void> {
    const { live } = this.cfg;
    this.providers = await loadProviders(this.cfg, { log: this.log });
    await mkdir(this.liveDir, { recursive: true });
    // One authorization for both ingests: a known key, for a stream that is not already live.
    const authorize = (key: string): { name: string } | undefined => {
      const s = this.registry.authorize(key);
      if (!s) this.metrics.refused.inc();
      return s && this.sessions.get(s.name)?.state !== 'live' ? { name: s.name } : undefined;
    };
    const whip = new WhipIngest({ authorize, log: this.log, iceAdditionalHostAddresses: live.iceHostAddresses });
    this.whip = whip;
    whip.on('publish', (p) => void this.onPublish(p));
    const whep = new WhepServer({
      source: (name, lang) => this.sessions.get(name)?.subscribe(lang),
      video: (name) => this.sessions.get(name)?.subscribeVideo(),
      log: this.log,
      iceAdditionalHostAddresses: live.iceHostAddresses,
    });
    this.whep = whep;
    this.http = await HttpServer.start({
      host: live.host,
      port: live.httpPort,
      log: this.log,
      routes: {
        liveDir: this.liveDir,
        feedOf: (name) => this.sessions.get(name)?.events,
        metrics: this.metrics,
        whep: { offer: (name, lang, sdp) => whep.offer(name, lang, sdp), delete: (id) => whep.delete(id) },
        whip: { offer: (name, authorization, sdp) => whip.offer(name, authorization, sdp), delete: (id) => whip.delete(id) },
        status: () => ({
          sessions: [...this.sessions.values()].map((s) => ({ name: s.name, state: s.state, legs: s.legCount, to: s.targets, startedAt: s.startedAt, eventSubscribers: s.events.size, avOffsetMs: s.avOffsetMs, ...s.pipelineMetrics.toJSON() })),
        }),
      },
    });
    this.rtmp = await RtmpIngest.start({
      host: live.host,
      port: live.rtmpPort,
      log: this.log,
      authorize,
    });
    this.rtmp.on('publish', (p) => void this.onPublish(p));
  }

  private async onPublish(p: IngestPublish): Promise<void> {
    const stream = this.registry.get(p.name);
    if (!stream || !this.providers || this.closed) return p.kick();
    const waiting = this.sessions.get(p.name);
    if (waiting?.state === 'reconnecting') {
      // The same publisher back within the grace period: its session goes on.
      await waiting.attach(p).catch((err: unknown) => {
        this.log.error({ stream: p.name, err: userMessage(err) }, 'live session could not resume');
        p.kick();
      });
      return;
    }
    try {
      checkLanguages(this.providers, this.cfg.sourceLanguage, stream.to);
      await waiting?.close();
      const dir = join(this.liveDir, p.name);
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir, { recursive: true });
      const { vad: _shared, ...shared } = this.providers;
      const session = await LiveSession.start({
        name: p.name,
        targets: stream.to,
        input: p,
        dir,
        providers: shared,
        vad: await SileroVad.load({ model: this.cfg.vad.model, threshold: this.cfg.vad.threshold }),
        settings: this.cfg,
        log: this.log.child({ stream: p.name }),
        metrics: this.metrics,
      });
      this.sessions.set(p.name, session);
      this.metrics.sessions.set(this.sessions.size);
      this.log.info({ stream: p.name, to: stream.to }, 'live session started');
      await session.finished;
      await session.close();
      if (this.sessions.get(p.name) === session) this.sessions.delete(p.name);
      this.metrics.sessions.set(this.sessions.size);
      this.log.info({ stream: p.name }, 'live session ended');
    } catch (err) {
      this.log.error({ stream: p.name, err: userMessage(err) }, 'live session failed');
      p.kick();
    }
  }

  /** Idempotent: ends every session, stops listening, closes the engines. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.rtmp?.close();
    await this.whip?.close();
    await Promise.allSettled([...this.sessions.values()].map((s) => s.close()));
    this.sessions.clear();
    await this.whep?.close();
    this.http?.close();
    if (this.providers) await closeProviders(this.providers);
  }
}
