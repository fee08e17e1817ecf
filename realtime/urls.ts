/** The URLs dubd prints for a stream: where OBS publishes and where viewers watch. Never the key. */
import type { LiveConfig } from '../config/schema.js';

export function publicUrls(live: LiveConfig, name: string, ports: { rtmp?: number; http?: number } = {}) {
  const host = live.publicHost || (live.host === '0.0.0.0' || live.host === '::' ? 'localhost' : live.host);
  const http = `http://${host}:${ports.http ?? live.httpPort}`;
  return {
    rtmp: `rtmp://${host}:${ports.rtmp ?? live.rtmpPort}/live`,
    hls: `${http}/live/${name}/index.m3u8`,
    events: `${http.replace(/^http/, 'ws')}/live/${name}/events`,
    whep: `${http}/whep/${name}`,
  };
}
