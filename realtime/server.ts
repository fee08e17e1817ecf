/**
 * The live server: RTMP in (node-media-server), a LiveSession per published stream, HTTP + WebSocket out
 * (uWebSockets.js), the REST API over the store (PostgreSQL, or the embedded PGlite in the data dir).
 * Engines are loaded once and shared by the sessions; close() stops everything, the store last.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { DubdConfig } from '../config/schema.js';
import { RtmpIngest, type IngestPublish } from '../ingest/rtmp.js';
import { WhipIngest } from '../ingest/whip.js';
import { checkLanguages } from '../pipeline/providers/load.js';
import { ProviderPool } from '../pipeline/providers/pool.js';
import { settingsFor } from '../config/stream-settings.js';
import type { Providers } from '../pipeline/providers/types.js';
import { SileroVad } from '../pipeline/providers/vad-silero.js';
import { InvalidStateError, userMessage } from '../pipeline/errors.js';
import { bootstrapAdmin } from '../store/auth/bootstrap-admin.js';
import { SessionTokens } from '../store/auth/jwt.js';
import { openStore, type Store } from '../store/index.js';
import { authModule } from './api/auth-routes.js';
import type { LiveSessionInfo } from './api/dto.js';
import { ApiRouter } from './api/router.js';
import { streamsModule } from './api/streams-routes.js';
import { systemModule } from './api/system-routes.js';
import type { ApiModule } from './api/types.js';
import { HttpServer } from './http.js';
import { WhepServer } from './whep.js';
import { LiveMetrics } from './metrics.js';
import { LiveSession } from './session.js';
import { StreamRegistry } from './streams.js';
import { publicUrls } from './urls.js';

/** What an API module built by the server's caller gets to work with. */
export interface ApiContext {
  cfg: DubdConfig;
  log: Logger;
  /** Absolute data directory. */
  dataDir: string;
  store: Store;
  sessions: SessionTokens;
  streams: StreamRegistry;
}

export interface DubdServerOptions {
  /** More REST modules (projects, backups), built once the store is open; closed by close(). */
  apiModules?: (ctx: ApiContext) => ApiModule[] | Promise<ApiModule[]>;
}

export class DubdServer {
  readonly sessions = new Map<string, LiveSession>();
  readonly metrics = new LiveMetrics();
  readonly registry: StreamRegistry;
  readonly liveDir: string;
  private rtmp: RtmpIngest | undefined;
  private http: HttpServer | undefined;
  private providers: Providers | undefined;
  private pool: ProviderPool | undefined;
  private whep: WhepServer | undefined;
  private whip: WhipIngest | undefined;
  private storeHandle: Store | undefined;
  private sessionTokens: SessionTokens | undefined;
  private api: ApiRouter | undefined;
  private oneTimeAdmin: { email: string; password: string } | undefined;
  private closed = false;

  private constructor(
    private readonly cfg: DubdConfig,
    private readonly log: Logger,
    private readonly dataDir: string,
    private readonly options: DubdServerOptions,
  ) {
    this.registry = new StreamRegistry(dataDir, cfg.live.streams);
    this.liveDir = join(dataDir, 'live');
  }

  get store(): Store {
    if (!this.storeHandle || this.closed) throw new InvalidStateError('the server is not running');
    return this.storeHandle;
  }

  /**
   * The admin created at this first start, with its one-time password: answered once (the caller prints
   * it), then undefined. Only the password's hash is stored.
   */
  takeBootstrapAdmin(): { email: string; password: string } | undefined {
    const admin = this.oneTimeAdmin;
    this.oneTimeAdmin = undefined;
    return admin;
  }

  /** The live sessions, as GET /api/live answers them. */
  liveSessions(): LiveSessionInfo[] {
    return [...this.sessions.values()].map((s) => ({
      name: s.name,
      state: s.state,
      targets: s.targets,
      legs: s.legCount,
      startedAt: s.startedAt.toISOString(),
      viewers: { events: s.events.size },
      counters: s.pipelineMetrics.toJSON().counters,
      avOffsetMs: s.avOffsetMs ?? null,
    }));
  }

  get rtmpPort(): number {
    return this.rtmp?.port ?? 0;
  }

  get httpPort(): number {
    return this.http?.port ?? 0;
  }

  static async start(cfg: DubdConfig, log: Logger, options: DubdServerOptions = {}): Promise<DubdServer> {
    const server = new DubdServer(cfg, log, resolve(cfg.dataDir), options);
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
    // The store and the engines start together: each takes seconds on a first start.
    this.pool = new ProviderPool(this.log);
    // The server's own engines stay loaded; streams with settings that change an engine get their own set.
    const [store, providers] = await Promise.allSettled([this.openStore(), this.pool.acquire(this.cfg, { pin: true })]);
    if (providers.status === 'fulfilled') this.providers = providers.value.providers;
    if (store.status === 'rejected') throw store.reason;
    if (providers.status === 'rejected') throw providers.reason;
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
    this.api = await this.buildApi();
    this.http = await HttpServer.start({
      host: live.host,
      port: live.httpPort,
      log: this.log,
      api: this.api,
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
    await this.bootstrap();
  }

  /** Opens the store and the session signer. */
  private async openStore(): Promise<void> {
    this.storeHandle = await openStore({ config: { dataDir: this.dataDir, store: this.cfg.store }, log: this.log });
    this.sessionTokens = await SessionTokens.load({ dataDir: this.dataDir, ttlMs: this.cfg.store.sessionTtlMs, log: this.log });
  }

  /**
   * On the very first start, creates the admin with a one-time password. Last step of open(): a start
   * that fails earlier creates no user, so the next start still makes (and prints) one.
   */
  private async bootstrap(): Promise<void> {
    const boot = await bootstrapAdmin(this.store.sql);
    if (boot.created) {
      this.oneTimeAdmin = { email: boot.email, password: boot.password };
      this.log.info({ user: boot.email }, 'first start: admin user created with a one-time password');
    }
  }

  private async buildApi(): Promise<ApiRouter> {
    const store = this.store;
    const sessions = this.sessionTokens as SessionTokens;
    const router = new ApiRouter({ db: store.sql, sessions, log: this.log.child({ component: 'api' }), trustedProxies: this.cfg.live.trustedProxies });
    const urls = (name: string): ReturnType<typeof publicUrls> => publicUrls(this.cfg.live, name, { rtmp: this.rtmpPort, http: this.httpPort });
    router.add(
      authModule({ store, sessions }),
      systemModule({ dataDir: this.dataDir, live: () => this.liveSessions() }),
      streamsModule({ registry: this.registry, store, urls }),
    );
    try {
      const ctx: ApiContext = { cfg: this.cfg, log: this.log, dataDir: this.dataDir, store, sessions, streams: this.registry };
      router.add(...((await this.options.apiModules?.(ctx)) ?? []));
    } catch (err) {
      await router.close();
      throw err;
    }
    return router;
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
    let release: (() => Promise<void>) | undefined;
    try {
      const settings = settingsFor(this.cfg, stream.settings, `stream ${p.name}`);
      const acquired = await this.pool!.acquire(settings);
      release = acquired.release;
      const providers = acquired.providers;
      checkLanguages(providers, settings.sourceLanguage, stream.to);
      await waiting?.close();
      const dir = join(this.liveDir, p.name);
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir, { recursive: true });
      const { vad: _shared, ...shared } = providers;
      const session = await LiveSession.start({
        name: p.name,
        targets: stream.to,
        input: p,
        dir,
        providers: shared,
        vad: await SileroVad.load({ model: settings.vad.model, threshold: settings.vad.threshold }),
        settings,
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
    } finally {
      await release?.();
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
    await this.api?.close();
    await this.pool?.close();
    await this.storeHandle?.close();
  }
}
