// k6 scenario: HLS viewers of one live stream. Each virtual user behaves like a player: it polls the
// media playlist every segment and downloads the newest segment. k6 has no offline binary here; the same
// load is driven with wrk by `dubd bench fanout` (benchmarks/fanout.ts) on this machine.
//   k6 run -e BASE=http://localhost:8080/live/show -e VUS=10000 benchmarks/k6/hls-viewers.js
import http from 'k6/http';
import { check, sleep } from 'k6';

export const options = {
  scenarios: { viewers: { executor: 'constant-vus', vus: Number(__ENV.VUS || 1000), duration: __ENV.DURATION || '60s' } },
  thresholds: { http_req_duration: ['p(99)<50'], http_req_failed: ['rate<0.001'] },
};

const BASE = __ENV.BASE || 'http://localhost:8080/live/show';

export default function () {
  const playlist = http.get(`${BASE}/audio_es/index.m3u8`);
  check(playlist, { 'playlist 200': (r) => r.status === 200 });
  const segments = playlist.body.split('\n').filter((l) => l.endsWith('.m4s'));
  if (segments.length) check(http.get(`${BASE}/audio_es/${segments[segments.length - 1]}`), { 'segment 200': (r) => r.status === 200 });
  sleep(1);
}
