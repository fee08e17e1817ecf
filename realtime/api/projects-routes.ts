/**
 * Project mode over HTTP: create (from a path in the import folders, a URL, or an upload streamed to
 * disk), process, review the transcript and the translations (with each line's dub to listen to and the
 * source's waveform), speak a line again, compose, download the outputs, delete; and the project events
 * over WebSockets. Handlers only translate HTTP to ProjectService calls; the service and the stage
 * workers do the work.
 */
import type { Logger } from 'pino';
import { z } from 'zod';
import { languageCode } from '../../config/common.js';
import type { DubdConfig } from '../../config/schema.js';
import { DubdError } from '../../pipeline/errors.js';
import type { Providers } from '../../pipeline/providers/types.js';
import { openProjects, type Projects } from '../../projects/index.js';
import { projectsConfigOf, type ProjectsConfig } from '../../projects/config.js';
import type { ProjectService } from '../../projects/service.js';
import { actorFor } from '../../store/auth/authenticate.js';
import type { Actor } from '../../store/repos/audit.js';
import type { Store } from '../../store/index.js';
import { PROJECT_STATUSES } from '../../store/vocab.js';
import { WAVEFORM_POINTS } from '../../projects/waveform.js';
import { okSchema } from './dto.js';
import { projectEventSockets } from './project-events-ws.js';
import { parseQuery } from './router.js';
import {
  createProjectBody, jobSchema, mergeBody, outputSchema, projectDetailsSchema, projectListSchema, projectSchema, segmentPatchBody, segmentSchema, splitBody,
  toDetailsDto, toJobDto, toOutputDto, toProjectDto, toSegmentDto, toTranslationDto, translationPatchBody, translationSchema, waveformSchema,
} from './projects-dto.js';
import type { ApiModule, ApiRequest, ApiRoute, ApiStreamRequest } from './types.js';

function actor(req: Pick<ApiRequest, 'principal'>): Actor {
  if (!req.principal) throw new DubdError('UNAUTHENTICATED', 'authentication required');
  return actorFor(req.principal);
}

/** Query values as zod sees them: one string each, absent → undefined. */
function query(req: Pick<ApiRequest, 'query'>): Record<string, string> {
  return Object.fromEntries(req.query.entries());
}

function parse<T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new DubdError('INVALID_ARGUMENT', `${what}: ${issue.path.join('.') || 'value'}: ${issue.message}`);
  }
  return r.data;
}

const listQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(500).optional(),
    offset: z.coerce.number().int().min(0).optional(),
    status: z.enum(PROJECT_STATUSES).optional(),
  })
  .strict();

const uploadQuery = z
  .object({
    name: z.string().trim().min(1).max(200),
    sourceLanguage: languageCode,
    targetLanguages: z.string().transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean)).pipe(z.array(languageCode).min(1).max(16)),
    fileName: z.string().min(1).max(255),
    autoApprove: z.enum(['true', 'false']).transform((s) => s === 'true').optional(),
  })
  .strict();

const waveformQuery = z
  .object({ points: z.coerce.number().int().min(WAVEFORM_POINTS.min).max(WAVEFORM_POINTS.max).default(WAVEFORM_POINTS.default) })
  .strict();

const idParam = (req: ApiRequest | ApiStreamRequest): string => req.params.id ?? '';

export function projectRoutes(service: ProjectService, pcfg: Pick<ProjectsConfig, 'maxSourceBytes'>): ApiRoute[] {
  const tag = 'projects';
  return [
    {
      method: 'POST', path: '/api/projects', permission: 'project.write', tag, status: 201, write: true,
      summary: 'Create a project from a file in the import folders ({path}) or a URL ({url}, via yt-dlp)',
      body: createProjectBody, response: projectSchema,
      handler: async (req) => toProjectDto(await service.create(actor(req), req.body as z.infer<typeof createProjectBody>)),
    },
    {
      method: 'POST', path: '/api/projects/upload', kind: 'stream', permission: 'project.write', tag, status: 201, write: true, maxBytes: pcfg.maxSourceBytes,
      summary: 'Create a project from the uploaded media (the body); ?name=&sourceLanguage=&targetLanguages=es,pt&fileName=&autoApprove=',
      response: projectSchema,
      handler: async (req) => {
        const q = parse(uploadQuery, query(req), 'upload');
        const p = await service.createFromUpload(actor(req), q, req.stream, { contentLength: req.contentLength, signal: req.signal });
        return toProjectDto(p);
      },
    },
    {
      method: 'GET', path: '/api/projects', permission: 'project.read', tag,
      summary: 'Projects, newest first (?limit=&offset=&status=)', response: projectListSchema,
      handler: async (req) => {
        const r = await service.list(parse(listQuery, query(req), 'query'));
        return { items: r.items.map(toProjectDto), total: r.total };
      },
    },
    {
      method: 'GET', path: '/api/projects/:id', permission: 'project.read', tag,
      summary: 'A project with its processing status per stage and its counts', response: projectDetailsSchema,
      handler: async (req) => toDetailsDto(await service.get(idParam(req))),
    },
    {
      method: 'POST', path: '/api/projects/:id/process', permission: 'project.write', tag, status: 202, write: true,
      summary: 'Start or resume the project; while it waits in review, approve the transcript and go on',
      response: z.object({ jobs: z.array(jobSchema) }),
      handler: async (req) => ({ jobs: (await service.process(actor(req), idParam(req))).map(toJobDto) }),
    },
    {
      method: 'GET', path: '/api/projects/:id/jobs', permission: 'job.read', tag,
      summary: "The project's stage jobs, newest first", response: z.object({ jobs: z.array(jobSchema) }),
      handler: async (req) => ({ jobs: (await service.jobs(idParam(req))).map(toJobDto) }),
    },
    {
      method: 'GET', path: '/api/projects/:id/segments', permission: 'project.read', tag,
      summary: 'The transcript, in order', response: z.object({ segments: z.array(segmentSchema) }),
      handler: async (req) => ({ segments: (await service.segments(idParam(req))).map(toSegmentDto) }),
    },
    {
      method: 'PATCH', path: '/api/transcription/:id', permission: 'project.write', tag, write: true,
      summary: 'Edit a transcript line (text, timing, speaker); its translations and dubs are redone',
      body: segmentPatchBody, response: segmentSchema,
      handler: async (req) => toSegmentDto(await service.editSegment(actor(req), idParam(req), req.body as z.infer<typeof segmentPatchBody>)),
    },
    {
      method: 'POST', path: '/api/transcription/:id/split', permission: 'project.write', tag, write: true,
      summary: 'Split a transcript line in two at atMs', body: splitBody, response: z.object({ segments: z.array(segmentSchema) }),
      handler: async (req) => ({ segments: (await service.splitSegment(actor(req), idParam(req), req.body as z.infer<typeof splitBody>)).map(toSegmentDto) }),
    },
    {
      method: 'POST', path: '/api/transcription/:id/merge', permission: 'project.write', tag, write: true,
      summary: 'Merge a transcript line with the next one', body: mergeBody, response: segmentSchema,
      handler: async (req) => toSegmentDto(await service.mergeSegment(actor(req), idParam(req), (req.body as z.infer<typeof mergeBody>).expectedRevision)),
    },
    {
      method: 'GET', path: '/api/projects/:id/translations', permission: 'project.read', tag,
      summary: 'Translations in transcript order (?lang=es)', response: z.object({ translations: z.array(translationSchema) }),
      handler: async (req) => ({ translations: (await service.translations(idParam(req), req.query.get('lang') ?? undefined)).map(toTranslationDto) }),
    },
    {
      method: 'PATCH', path: '/api/translations/:id', permission: 'project.write', tag, write: true,
      summary: "Review a translation: new text (that line is spoken again) and/or status 'reviewed'|'draft'",
      body: translationPatchBody, response: translationSchema,
      handler: async (req) => toTranslationDto(await service.editTranslation(actor(req), idParam(req), req.body as z.infer<typeof translationPatchBody>)),
    },
    {
      method: 'GET', path: '/api/translations/:id/audio', permission: 'project.read', tag,
      summary: "The line's synthesised speech (audio/wav; Range requests answer 206)",
      responses: { 206: 'the requested byte range of the audio' },
      handler: async (req) => {
        const a = await service.translationAudio(idParam(req));
        // One URL, new audio whenever the line is spoken again: caches must ask each time.
        return { $status: 200, $file: a.path, $headers: { 'cache-control': 'no-cache' } };
      },
    },
    {
      method: 'GET', path: '/api/projects/:id/waveform', permission: 'project.read', tag,
      summary: `Peaks of the source audio for a timeline (?points=${WAVEFORM_POINTS.min}–${WAVEFORM_POINTS.max}, default ${WAVEFORM_POINTS.default})`,
      response: waveformSchema,
      responses: { 409: 'the source is not processed yet (NOT_READY)' },
      handler: async (req) => service.waveform(idParam(req), parseQuery(waveformQuery, req.query).points),
    },
    {
      method: 'POST', path: '/api/translations/:id/synthesize', permission: 'project.write', tag, status: 202, write: true,
      summary: 'Speak this line again now (ahead of batch work)', response: jobSchema,
      handler: async (req) => toJobDto(await service.synthesizeLine(actor(req), idParam(req))),
    },
    {
      method: 'POST', path: '/api/projects/:id/compose', permission: 'project.write', tag, status: 202, write: true,
      summary: 'Compose the outputs from the current state (only what changed is mixed again)', response: jobSchema,
      handler: async (req) => toJobDto(await service.compose(actor(req), idParam(req))),
    },
    {
      method: 'GET', path: '/api/projects/:id/outputs', permission: 'project.read', tag,
      summary: 'The composed files: dubbed media, one track per language, SRT and WebVTT', response: z.object({ outputs: z.array(outputSchema) }),
      handler: async (req) => {
        const id = idParam(req);
        return { outputs: (await service.outputs(id)).map((o) => toOutputDto(id, o)) };
      },
    },
    {
      method: 'GET', path: '/api/projects/:id/outputs/:file', permission: 'project.read', tag,
      summary: 'Download one output (a name from /outputs; nothing else can be named)',
      handler: async (req) => {
        const f = await service.outputPath(idParam(req), req.params.file ?? '');
        return { $status: 200, $file: f.path, $headers: { 'content-type': f.contentType, 'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(f.downloadName)}` } };
      },
    },
    {
      method: 'DELETE', path: '/api/projects/:id', permission: 'project.write', tag, write: true,
      summary: 'Delete a project, its jobs and its files', response: okSchema,
      handler: async (req) => {
        await service.delete(actor(req), idParam(req));
        return { ok: true as const };
      },
    },
  ];
}

export interface ProjectsModuleContext {
  cfg: DubdConfig;
  log: Logger;
  store: Pick<Store, 'db' | 'sql'>;
}

/**
 * The module `dubd serve` mounts: opens Project mode (queue, events, workers unless they run elsewhere)
 * and serves its routes; close() closes it all.
 */
export async function projectsApiModule(
  ctx: ProjectsModuleContext,
  opts: {
    workers?: boolean;
    /** Live sessions on air now: while there are any, the workers here take at most projects.concurrencyWhileLive jobs. */
    liveSessions?: () => number;
    providers?: Providers;
    pcfg?: ProjectsConfig;
  } = {},
): Promise<ApiModule & { projects: Projects }> {
  const pcfg = opts.pcfg ?? projectsConfigOf(ctx.cfg);
  const live = opts.liveSessions;
  const concurrency = live ? (): number => (live() > 0 ? pcfg.concurrencyWhileLive : pcfg.concurrency) : pcfg.concurrency;
  const projects = await openProjects({ cfg: ctx.cfg, store: ctx.store, log: ctx.log.child({ component: 'projects' }), workers: opts.workers, providers: opts.providers, pcfg, concurrency });
  return { routes: projectRoutes(projects.service, projects.config), sockets: projectEventSockets(projects.service), close: () => projects.close(), projects };
}
