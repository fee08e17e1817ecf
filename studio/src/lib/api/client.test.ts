import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeApi, type FakeApi } from '../test/fake-api.js';
import { ApiClient, ApiError, toApiError } from './client.js';

describe('ApiClient (API faked at the wire on port 0)', () => {
  let srv: FakeApi;
  let token: string | undefined = 'tok-1';
  const unauthenticated: string[] = [];
  let client: ApiClient;

  beforeAll(async () => {
    srv = await startFakeApi({
      'GET /api/me': (r) => (r.headers.authorization === 'Bearer tok-1' ? { json: { user: { email: 'a@b' } } } : { status: 401, json: { code: 'UNAUTHENTICATED', message: 'session ended: log in again' } }),
      'POST /api/streams': (r) => ({ status: 400, json: { code: 'UNKNOWN_FIELD', message: `unknown field in ${r.body.toString()}`, field: 'x' } }),
      'GET /api/broken': () => ({ status: 502, text: '<html>bad gateway</html>' }),
      'GET /api/empty': () => ({ status: 204 }),
      'POST /api/projects/upload': (r) => ({ status: 201, json: { id: 'p1', bytes: r.body.length, type: r.headers['content-type'], q: r.path.split('?')[1] } }),
    });
    client = new ApiClient({ baseUrl: srv.url, token: () => token, onUnauthenticated: (e) => unauthenticated.push(e.message) });
  });
  afterAll(() => srv.close());

  it('sends the bearer token and returns the JSON answer', async () => {
    expect(await client.get('/api/me')).toEqual({ user: { email: 'a@b' } });
  });

  it("turns an error answer into an ApiError with the server's code and message", async () => {
    const err = await client.post('/api/streams', { x: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 400, code: 'UNKNOWN_FIELD', message: 'unknown field in {"x":1}' });
  });

  it('gives a readable message when the answer is not JSON', async () => {
    await expect(client.get('/api/broken')).rejects.toMatchObject({ status: 502, code: 'HTTP_ERROR', message: 'the server answered 502: <html>bad gateway</html>' });
  });

  it('resolves an empty answer as undefined', async () => {
    expect(await client.get('/api/empty')).toBeUndefined();
  });

  it('reports a 401 so the app can end the session', async () => {
    token = 'stale';
    await expect(client.get('/api/me')).rejects.toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    expect(unauthenticated).toEqual(['session ended: log in again']);
    token = 'tok-1';
  });

  it('says the server cannot be reached when nothing listens', async () => {
    const dead = new ApiClient({ baseUrl: 'http://127.0.0.1:1', token: () => undefined });
    await expect(dead.get('/api/me')).rejects.toMatchObject({ status: 0, code: 'NETWORK_ERROR' });
  });

  it('uploads a file as the raw body with the query, reporting progress up to 1', async () => {
    const seen: number[] = [];
    const file = new Blob([new Uint8Array(200_000)], { type: 'video/mp4' });
    const res = await client.upload<{ bytes: number; type: string; q: string }>('/api/projects/upload', file, { query: { name: 'talk', to: 'es,pt' }, onProgress: (f) => seen.push(f) });
    expect(res).toMatchObject({ bytes: 200_000, type: 'video/mp4', q: 'name=talk&to=es%2Cpt' });
    expect(seen.at(-1)).toBe(1);
    expect(srv.requests.at(-1)?.headers.authorization).toBe('Bearer tok-1');
  });
});

describe('toApiError', () => {
  it('keeps the code and message of a JSON error body', () => {
    expect(toApiError(409, '{"code":"CONFLICT","message":"segment 3 is at revision 4"}')).toMatchObject({ code: 'CONFLICT', message: 'segment 3 is at revision 4' });
  });

  it('falls back to the status text for an empty body', () => {
    expect(toApiError(503, '', 'Service Unavailable').message).toBe('the server answered 503: Service Unavailable');
  });
});
