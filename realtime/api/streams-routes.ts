/**
 * Live streams over HTTP, backed by the file registry (realtime/streams.ts) that `dubd streams` also
 * writes while the server runs. A new or rotated key is in the answer once; only its hash is kept. Each
 * write runs inside audited(), so the file change and its audit row go together (the file is written
 * first: if that fails, no row).
 */
import { z } from 'zod';
import { languageCode } from '../../config/schema.js';
import { actorFor, type Principal } from '../../store/auth/authenticate.js';
import { storeError } from '../../store/errors.js';
import type { Store } from '../../store/index.js';
import type { AuditTarget } from '../../store/repos/audit.js';
import type { StreamInfo, StreamRegistry } from '../streams.js';
import { newStreamKeySchema, streamSchema, streamUrlsSchema, type StreamDto } from './dto.js';
import type { ApiModule, ApiRequest } from './types.js';

export interface StreamsRoutesOptions {
  registry: StreamRegistry;
  store: Pick<Store, 'repos'>;
  /** Where OBS publishes and viewers watch, for the answers (never the key). */
  urls?: (name: string) => z.infer<typeof streamUrlsSchema>;
}

const NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const newStreamBody = z
  .object({
    name: z.string().regex(NAME, 'lowercase letters, digits, - and _ (max 63), starting with a letter or digit'),
    to: z.array(languageCode).min(1).max(16),
  })
  .strict();

function who(req: Pick<ApiRequest, 'principal'>): Principal {
  if (!req.principal) throw new Error('route without a principal');
  return req.principal;
}

export function streamsModule(opts: StreamsRoutesOptions): ApiModule {
  const { registry, store } = opts;
  const dto = (s: StreamInfo): StreamDto => ({ name: s.name, to: s.to, source: s.source, ...(opts.urls ? { urls: opts.urls(s.name) } : {}) });
  /** The stream a write may change: NOT_FOUND if unknown, CONFLICT if it comes from the config file. */
  const writable = (name: string): StreamInfo => {
    const s = registry.get(name);
    if (!s) throw storeError('NOT_FOUND', `no stream '${name}'`);
    if (s.source === 'config') throw storeError('CONFLICT', `stream '${name}' comes from the config file: change it there`);
    return s;
  };
  const audited = async <T>(req: ApiRequest, action: string, target: AuditTarget, fn: () => Promise<T>): Promise<T> =>
    (await store.repos.audit.audited(actorFor(who(req)), action, target, fn)) as T;

  return {
    routes: [
      {
        method: 'GET',
        path: '/api/streams',
        permission: 'stream.read',
        tag: 'streams',
        summary: 'The live streams (names and target languages; never keys)',
        response: z.object({ streams: z.array(streamSchema) }),
        handler: async () => ({ streams: registry.list().map(dto) }),
      },
      {
        method: 'POST',
        path: '/api/streams',
        permission: 'stream.write',
        tag: 'streams',
        summary: 'Create a stream: its key is in this answer only',
        body: newStreamBody,
        write: true,
        status: 201,
        response: newStreamKeySchema,
        handler: async (req) => {
          const b = req.body as z.infer<typeof newStreamBody>;
          if (new Set(b.to).size !== b.to.length) throw storeError('INVALID_ARGUMENT', 'to lists a language twice');
          if (registry.get(b.name)) throw storeError('CONFLICT', `stream '${b.name}' exists already (POST /api/streams/${b.name}/rotate gives it a new key)`);
          const key = await audited(req, 'stream.create', { type: 'stream', id: b.name, detail: { to: b.to } }, () => registry.add(b.name, b.to));
          return { stream: dto({ name: b.name, to: b.to, source: 'file' }), key };
        },
      },
      {
        method: 'POST',
        path: '/api/streams/:name/rotate',
        permission: 'stream.write',
        tag: 'streams',
        summary: "Replace a stream's key (the old one stops working at once): the new key is in this answer only",
        write: true,
        response: newStreamKeySchema,
        handler: async (req) => {
          const s = writable(req.params.name);
          const key = await audited(req, 'stream.rotate', { type: 'stream', id: s.name }, () => registry.rotate(s.name));
          return { stream: dto(s), key };
        },
      },
      {
        method: 'DELETE',
        path: '/api/streams/:name',
        permission: 'stream.write',
        tag: 'streams',
        summary: 'Remove a stream (its key stops working; a session already live goes on until it ends)',
        write: true,
        status: 204,
        handler: async (req) => {
          const s = writable(req.params.name);
          await audited(req, 'stream.remove', { type: 'stream', id: s.name }, () => registry.remove(s.name));
          return undefined;
        },
      },
    ],
  };
}
