/** URLs of a live session on the server that serves the studio (or the API base in tests/dev). */
import { apiBase } from '../api/index.js';

const enc = encodeURIComponent;

function origin(): string {
  return apiBase() || globalThis.location?.origin || '';
}

export function hlsUrl(name: string): string {
  return `${origin()}/live/${enc(name)}/index.m3u8`;
}

export function eventsUrl(name: string): string {
  return `${origin().replace(/^http/, 'ws')}/live/${enc(name)}/events`;
}

export function whepUrl(name: string, lang: string): string {
  return `${origin()}/whep/${enc(name)}?lang=${enc(lang)}`;
}
