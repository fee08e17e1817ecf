/** The test module of router.test.ts: one route per thing the router must handle. */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { InvalidStateError } from '../../../pipeline/errors.js';
import { storeError } from '../../../store/errors.js';
import { okSchema } from '../dto.js';
import type { ApiModule } from '../types.js';

const itemBody = z.object({ name: z.string().min(1).max(40), tags: z.array(z.object({ k: z.string() })).optional() });
/** Routes that exercise every path of the router: JSON bodies, errors, streams, files, custom statuses. */
export const routerTestModule = (ctx: { dir: string; uploads: string; closed: string[] }): ApiModule => ({
  close: async () => void ctx.closed.push('test'),
  routes: [
    {
      method: 'GET',
      path: '/api/t/echo/:id',
      permission: 'project.read',
      tag: 't',
      summary: 'echo',
      response: z.object({ id: z.string(), q: z.string().nullable(), via: z.string(), role: z.string() }).strict(),
      handler: async (req) => ({ id: req.params.id, q: req.query.get('q'), via: req.principal?.via ?? 'none', role: req.principal?.user.role ?? 'none' }),
    },
    {
      method: 'POST',
      path: '/api/t/items',
      permission: 'project.write',
      tag: 't',
      summary: 'create an item',
      body: itemBody,
      maxBodyBytes: 1000,
      write: true,
      status: 201,
      response: z.object({ name: z.string(), tags: z.number() }).strict(),
      handler: async (req) => {
        const b = req.body as z.infer<typeof itemBody>;
        return { name: b.name, tags: b.tags?.length ?? 0 };
      },
    },
    { method: 'POST', path: '/api/t/nobody', permission: 'project.write', tag: 't', summary: 'no body', write: true, response: okSchema, handler: async () => ({ ok: true }) },
    { method: 'GET', path: '/api/t/public', permission: 'public', tag: 't', summary: 'public', response: z.object({ anonymous: z.boolean() }), handler: async (req) => ({ anonymous: req.principal === undefined }) },
    { method: 'GET', path: '/api/t/me', permission: 'self.manage', tag: 't', summary: 'allowed while a password change is due', response: okSchema, handler: async () => ({ ok: true }) },
    {
      method: 'GET',
      path: '/api/t/boom',
      permission: 'project.read',
      tag: 't',
      summary: 'a bug',
      handler: async () => {
        throw new Error('secret internal detail at /etc/dubd/private.key\n    at Object.<anonymous> (x.js:1:1)');
      },
    },
    {
      method: 'POST',
      path: '/api/t/conflict',
      permission: 'project.write',
      tag: 't',
      summary: 'a conflict',
      write: true,
      handler: async () => {
        throw storeError('CONFLICT', 'the name is taken');
      },
    },
    {
      method: 'GET',
      path: '/api/t/closed',
      permission: 'project.read',
      tag: 't',
      summary: 'a closed object',
      handler: async () => {
        throw new InvalidStateError('the queue is closed');
      },
    },
    {
      method: 'POST',
      path: '/api/t/upload',
      kind: 'stream',
      maxBytes: 8 << 20,
      permission: 'project.write',
      tag: 't',
      summary: 'upload',
      write: true,
      status: 201,
      response: z.object({ bytes: z.number(), sha256: z.string() }),
      handler: async (req) => {
        // The pattern upload handlers follow: a temp file, renamed into place only when complete.
        const tmp = join(ctx.uploads, `.upload-${randomBytes(4).toString('hex')}.tmp`);
        const hash = createHash('sha256');
        let bytes = 0;
        req.stream.on('data', (c: Buffer) => {
          hash.update(c);
          bytes += c.length;
        });
        try {
          await pipeline(req.stream, createWriteStream(tmp));
        } catch (err) {
          await rm(tmp, { force: true });
          throw err;
        }
        await rename(tmp, join(ctx.uploads, 'upload.bin'));
        return { bytes, sha256: hash.digest('hex') };
      },
    },
    {
      method: 'POST',
      path: '/api/t/small-upload',
      kind: 'stream',
      maxBytes: 64 * 1024,
      permission: 'project.write',
      tag: 't',
      summary: 'small upload',
      write: true,
      status: 201,
      handler: async (req) => {
        const tmp = join(ctx.uploads, `.small-${randomBytes(4).toString('hex')}.tmp`);
        try {
          await pipeline(req.stream, createWriteStream(tmp));
        } catch (err) {
          await rm(tmp, { force: true });
          throw err;
        }
        await rename(tmp, join(ctx.uploads, 'small.bin'));
        return { $status: 201, $body: { ok: true } };
      },
    },
    {
      method: 'GET',
      path: '/api/t/files/:name',
      permission: 'project.read',
      tag: 't',
      summary: 'a file',
      handler: async (req) => ({ $status: 200, $file: join(ctx.dir, req.params.name), $headers: { 'Content-Disposition': `attachment; filename="${req.params.name}"` } }),
    },
    {
      method: 'POST',
      path: '/api/t/created',
      permission: 'project.write',
      tag: 't',
      summary: 'created with a location',
      write: true,
      status: 201,
      response: z.object({ id: z.string() }),
      handler: async () => ({ $status: 201, $headers: { Location: '/api/t/echo/42' }, $body: { id: '42' } }),
    },
  ],
});
