/** The app's API client: the page's own origin, the session's token, and a 401 ends the session. */
import { ApiClient } from './client.js';
import { session } from '../stores/session.svelte.js';

let baseUrl = '';

/** Points the client at another origin (component tests run a real server on port 0). */
export function setApiBase(url: string): void {
  baseUrl = url.replace(/\/$/, '');
}

export function apiBase(): string {
  return baseUrl;
}

export const api = new ApiClient({
  get baseUrl() {
    return baseUrl;
  },
  token: () => session.token,
  onUnauthenticated: (err) => {
    if (session.loggedIn) session.end(err.message);
  },
});

export { ApiClient, ApiError, errorMessage, errorCode } from './client.js';
