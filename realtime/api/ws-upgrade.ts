/**
 * WebSocket upgrades that need a login. Browsers cannot set headers on a WebSocket, so the credential
 * comes in the protocol list (`Sec-WebSocket-Protocol: dubd, bearer.<token>`) or, from other clients, as
 * `Authorization: Bearer <token>`; either is checked by the router's own authorize() BEFORE the upgrade.
 * A refused upgrade is a plain HTTP answer with the API's `{ code, message }` and no upgrade.
 */
import { STATUS_CODES } from 'node:http';
import type { Logger } from 'pino';
import type uWS from 'uWebSockets.js';
import { userMessage } from '../../pipeline/errors.js';
import type { Principal } from '../../store/auth/authenticate.js';
import type { Action } from '../../store/auth/roles.js';
import { errorResponse } from './errors.js';

/** The subprotocol the server answers with (never the bearer entry: that would echo the token). */
export const WS_PROTOCOL = 'dubd';
const BEARER_PREFIX = 'bearer.';

/** The router's check of a credential for a permission (authenticate, must-change-password, role). */
export type Authorize = (authorization: string | undefined, permission: Action) => Promise<Principal>;

/** What a WebSocket handshake carries: the Authorization value to check and the protocol to answer. */
export function upgradeCredential(protocolHeader: string, authorizationHeader: string): { authorization: string | undefined; protocol: string } {
  const offered = protocolHeader
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  const bearer = offered.find((p) => p.toLowerCase().startsWith(BEARER_PREFIX));
  const authorization = bearer ? `Bearer ${bearer.slice(BEARER_PREFIX.length)}` : authorizationHeader || undefined;
  return { authorization, protocol: offered.includes(WS_PROTOCOL) ? WS_PROTOCOL : '' };
}

/**
 * The body of a uWS `upgrade` handler whose checks are async (database lookups): copies what the request
 * only lends during this call, runs `admit` with the credential, then upgrades — corked, and only if the
 * client is still there. `admit` throws to refuse (UNAUTHENTICATED → 401, NOT_FOUND → 404, …).
 */
export function upgradeWhenAdmitted<T>(
  res: uWS.HttpResponse,
  req: uWS.HttpRequest,
  context: uWS.us_socket_context_t,
  admit: (authorization: string | undefined) => Promise<T>,
  log?: Logger,
): void {
  const key = req.getHeader('sec-websocket-key');
  const extensions = req.getHeader('sec-websocket-extensions');
  const { authorization, protocol } = upgradeCredential(req.getHeader('sec-websocket-protocol'), req.getHeader('authorization'));
  const url = req.getUrl();
  let aborted = false;
  res.onAborted(() => (aborted = true));
  admit(authorization).then(
    (data) => {
      if (!aborted) res.cork(() => res.upgrade<T>(data, key, protocol, extensions, context));
    },
    (err: unknown) => {
      if (aborted) return;
      const { status, body } = errorResponse(err);
      if (status >= 500) log?.error({ url, err: userMessage(err), stack: (err as Error)?.stack }, 'websocket upgrade failed');
      res.cork(() => {
        res.writeStatus(`${status} ${STATUS_CODES[status] ?? 'Error'}`);
        res.writeHeader('Access-Control-Allow-Origin', '*');
        res.writeHeader('Content-Type', 'application/json');
        // The client asked to switch protocols: after a refusal this connection has nothing more to carry.
        res.end(JSON.stringify(body), true);
      });
    },
  );
}
