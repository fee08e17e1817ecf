/**
 * One function per server route the studio calls, grouped by area. Paths and bodies follow the route list
 * of realtime/api/*-routes.ts; the response types come from ./types.ts.
 */
import { api } from './index.js';
import type {
  ApiTokenDto,
  AuditPage,
  AuthUser,
  BackupDto,
  BackupStatus,
  BackupType,
  JobDto,
  LiveSessionSummary,
  LoginResponse,
  Me,
  NewApiToken,
  NewUser,
  OutputFile,
  ProjectDetail,
  ProjectSummary,
  Role,
  SegmentDto,
  StreamSummary,
  StreamWithKey,
  SystemResources,
  TranslationDto,
  TranslationStatus,
  Waveform,
} from './types.js';

const enc = encodeURIComponent;

/** Lists come either bare or wrapped ({ items } / { <name>: [] }); the studio takes both. */
export function listOf<T>(body: unknown, key: string): T[] {
  if (Array.isArray(body)) return body as T[];
  if (body && typeof body === 'object') {
    const o = body as Record<string, unknown>;
    if (Array.isArray(o.items)) return o.items as T[];
    if (Array.isArray(o[key])) return o[key] as T[];
  }
  return [];
}

export const auth = {
  login: (email: string, password: string) => api.post<LoginResponse>('/api/auth/login', { email, password }),
  me: async () => (await api.get<Me>('/api/me')).user,
  /** Other sessions end; the answer is a fresh session for this one. */
  changePassword: (currentPassword: string, newPassword: string) => api.post<LoginResponse>('/api/auth/password', { currentPassword, newPassword }),
};

export const live = {
  list: async () => listOf<LiveSessionSummary>(await api.get('/api/live'), 'sessions'),
  system: () => api.get<SystemResources>('/api/system'),
};

export const streams = {
  list: async () => listOf<StreamSummary>(await api.get('/api/streams'), 'streams'),
  create: (name: string, to: string[]) => api.post<StreamWithKey>('/api/streams', { name, to }),
  rotate: (name: string) => api.post<StreamWithKey>(`/api/streams/${enc(name)}/rotate`),
  remove: (name: string) => api.delete<unknown>(`/api/streams/${enc(name)}`),
};

export interface NewProjectInput {
  name: string;
  sourceLanguage: string;
  targetLanguages: string[];
}

export const projects = {
  list: async () => listOf<ProjectSummary>(await api.get('/api/projects'), 'items'),
  get: (id: string) => api.get<ProjectDetail>(`/api/projects/${enc(id)}`),
  createFromUrl: (input: NewProjectInput & { url: string }) => {
    const { url, ...rest } = input;
    return api.post<ProjectSummary>('/api/projects', { ...rest, source: { url } });
  },
  /** The file is the raw request body; the project's fields travel in the query. */
  upload: (input: NewProjectInput, file: File, onProgress: (fraction: number) => void, signal?: AbortSignal) =>
    api.upload<ProjectSummary>('/api/projects/upload', file, {
      query: { name: input.name, fileName: file.name, sourceLanguage: input.sourceLanguage, targetLanguages: input.targetLanguages.join(',') },
      onProgress,
      signal,
    }),
  /** Starts or resumes the project; while it waits in review, approves the transcript. */
  process: (id: string) => api.post<{ jobs: JobDto[] }>(`/api/projects/${enc(id)}/process`),
  segments: async (id: string) => listOf<SegmentDto>(await api.get(`/api/projects/${enc(id)}/segments`), 'segments'),
  editSegment: (segmentId: string, patch: { text?: string; startMs?: number; endMs?: number; speaker?: string | null; expectedRevision?: number }) =>
    api.patch<SegmentDto>(`/api/transcription/${enc(segmentId)}`, patch),
  splitSegment: (segmentId: string, body: { atMs: number; leftText?: string; rightText?: string; expectedRevision?: number }) =>
    api.post<{ segments: SegmentDto[] }>(`/api/transcription/${enc(segmentId)}/split`, body),
  mergeWithNext: (segmentId: string, expectedRevision?: number) =>
    api.post<SegmentDto>(`/api/transcription/${enc(segmentId)}/merge`, expectedRevision === undefined ? {} : { expectedRevision }),
  translations: async (id: string, lang: string) => listOf<TranslationDto>(await api.get(`/api/projects/${enc(id)}/translations`, { lang }), 'translations'),
  editTranslation: (translationId: string, patch: { text?: string; status?: TranslationStatus; expectedRevision?: number }) =>
    api.patch<TranslationDto>(`/api/translations/${enc(translationId)}`, patch),
  synthesize: (translationId: string) => api.post<JobDto>(`/api/translations/${enc(translationId)}/synthesize`),
  /** Peaks of the source's audio (409 until the source is processed); `points` 100..20000. */
  waveform: (id: string, points: number) => api.get<Waveform>(`/api/projects/${enc(id)}/waveform`, { points }),
  compose: (id: string) => api.post<JobDto>(`/api/projects/${enc(id)}/compose`),
  outputs: async (id: string) => listOf<OutputFile>(await api.get(`/api/projects/${enc(id)}/outputs`), 'outputs'),
  outputPath: (id: string, file: string) => `/api/projects/${enc(id)}/outputs/${enc(file)}`,
};

/** A single record either bare or wrapped as `{ <key>: record }`. */
function unwrap<T>(body: unknown, key: string): T {
  const inner = body && typeof body === 'object' ? (body as Record<string, unknown>)[key] : undefined;
  return (inner && typeof inner === 'object' ? inner : body) as T;
}

export const backups = {
  list: async () => listOf<BackupDto>(await api.get('/api/backups'), 'backups'),
  get: async (id: number) => unwrap<BackupDto>(await api.get(`/api/backups/${id}`), 'backup'),
  create: async (type: BackupType, description?: string) => unwrap<BackupDto>(await api.post('/api/backups', description ? { type, description } : { type }), 'backup'),
  restore: (id: number) => api.post<unknown>(`/api/backups/${id}/restore`),
  remove: (id: number) => api.delete<unknown>(`/api/backups/${id}`),
  status: () => api.get<BackupStatus>('/api/backups/status'),
};

export const users = {
  list: async () => listOf<AuthUser>(await api.get('/api/users'), 'users'),
  /** Without a password the server makes a one-time password and answers it once. */
  create: (input: { email: string; role: Role; password?: string; mustChangePassword?: boolean }) => api.post<NewUser>('/api/users', input),
  update: (id: string, patch: { role?: Role; disabled?: boolean; resetPassword?: true }) => api.patch<NewUser>(`/api/users/${enc(id)}`, patch),
};

export const tokens = {
  list: async () => listOf<ApiTokenDto>(await api.get('/api/tokens'), 'tokens'),
  create: (name: string, expiresInDays?: number) => api.post<NewApiToken>('/api/tokens', expiresInDays ? { name, expiresInDays } : { name }),
  revoke: (id: string) => api.delete<ApiTokenDto>(`/api/tokens/${enc(id)}`),
};

export interface AuditFilter {
  action?: string;
  targetType?: string;
}

export const audit = {
  /** One page, newest first; `before` is the previous page's `nextBefore`. */
  page: (limit: number, before?: string, filter: AuditFilter = {}) => api.get<AuditPage>('/api/audit', { limit, before, ...filter }),
};
