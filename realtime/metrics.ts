/** Prometheus metrics of the live server (served at /metrics). One registry per server instance. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class LiveMetrics {
  readonly registry = new Registry();
  readonly sessions = new Gauge({ name: 'dubd_live_sessions', help: 'Live sessions running', registers: [this.registry] });
  readonly dubLag = new Histogram({
    name: 'dubd_dub_lag_seconds',
    help: 'Wall time from a unit’s last source sample entering the pipeline to its dub leaving it',
    labelNames: ['stream', 'lang'],
    buckets: [0.2, 0.3, 0.4, 0.5, 0.7, 1, 1.5, 2, 3, 5],
    registers: [this.registry],
  });
  readonly missed = new Counter({ name: 'dubd_dubs_missed_deadline_total', help: 'Dubs skipped because they missed the live deadline (the original played)', labelNames: ['stream', 'lang'], registers: [this.registry] });
  readonly dropped = new Counter({ name: 'dubd_ingest_dropped_frames_total', help: 'Ingest frames dropped so the live edge never falls behind', labelNames: ['stream'], registers: [this.registry] });
  readonly stageSeconds = new Histogram({
    name: 'dubd_stage_seconds',
    help: 'Time per unit of work of each pipeline stage',
    labelNames: ['stage'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [this.registry],
  });
  readonly restarts = new Counter({ name: 'dubd_live_restarts_total', help: 'Decoder/HLS output restarts of live sessions (the publisher stayed)', labelNames: ['stream', 'reason'], registers: [this.registry] });
  readonly reconnects = new Counter({ name: 'dubd_live_reconnects_total', help: 'Publishers that came back within the grace period (same session)', labelNames: ['stream'], registers: [this.registry] });
  readonly repushFailures = new Counter({ name: 'dubd_repush_failures_total', help: 'RTMP re-push connections that failed or dropped (retried)', labelNames: ['stream', 'lang'], registers: [this.registry] });
  readonly refused = new Counter({ name: 'dubd_publish_refused_total', help: 'Publish attempts refused (unknown key, name already live)', registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'dubd_' });
  }
}
