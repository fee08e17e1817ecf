/**
 * Live streams and their secret keys. A stream has a public name (in every output URL) and a key (only
 * OBS and the owner know it). Keys are stored as sha256 hashes in <dataDir>/streams.json (0600, written
 * atomically); streams from config are accepted too.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { DubdError } from '../pipeline/errors.js';
import { languageCode, type LiveStreamConfig } from '../config/schema.js';

const NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

const storedSchema = z.object({
  name: z.string().regex(NAME),
  keySha256: z.string().regex(/^[0-9a-f]{64}$/),
  to: z.array(languageCode).min(1),
  createdAt: z.string(),
  /** This stream's settings over the server's (see config live.streams[].settings). */
  settings: z.record(z.string(), z.unknown()).optional(),
});
export type StoredStream = z.infer<typeof storedSchema>;

export interface StreamInfo {
  name: string;
  to: string[];
  source: 'file' | 'config';
  /** This stream's settings over the server's. */
  settings?: Record<string, unknown>;
}

function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export class StreamRegistry {
  private readonly file: string;
  private readonly fromConfig: LiveStreamConfig[];

  constructor(dataDir: string, fromConfig: LiveStreamConfig[] = []) {
    this.file = join(dataDir, 'streams.json');
    this.fromConfig = fromConfig;
  }

  private read(): StoredStream[] {
    if (!existsSync(this.file)) return [];
    try {
      return z.array(storedSchema).parse(JSON.parse(readFileSync(this.file, 'utf8')));
    } catch (err) {
      throw new DubdError('INVALID_CONFIG', `${this.file} is damaged: ${(err as Error).message.split('\n')[0]}`);
    }
  }

  private async write(list: StoredStream[]): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}.tmp`;
    await writeFile(tmp, `${JSON.stringify(list, null, 2)}\n`, { mode: 0o600 });
    await rename(tmp, this.file);
  }

  list(): StreamInfo[] {
    return [
      ...this.read().map((s) => ({ name: s.name, to: s.to, source: 'file' as const, settings: s.settings })),
      ...this.fromConfig.map((s) => ({ name: s.name, to: s.to, source: 'config' as const, settings: s.settings })),
    ];
  }

  get(name: string): StreamInfo | undefined {
    return this.list().find((s) => s.name === name);
  }

  /** Creates a stream; returns its new secret key (shown once, stored only as a hash). */
  async add(name: string, to: string[], settings?: Record<string, unknown>): Promise<string> {
    if (!NAME.test(name)) throw new DubdError('INVALID_ARGUMENT', `stream name '${name}' must be lowercase letters, digits, - and _ (max 63)`);
    if (to.length === 0) throw new DubdError('INVALID_ARGUMENT', 'a stream needs at least one target language (--to es)');
    for (const lang of to) if (!languageCode.safeParse(lang).success) throw new DubdError('INVALID_ARGUMENT', `'${lang}' is not a language code`);
    if (this.get(name)) throw new DubdError('INVALID_ARGUMENT', `stream '${name}' exists already (dubd streams rotate ${name} gives it a new key)`);
    const key = newKey();
    await this.write([...this.read(), { name, keySha256: hashKey(key), to, createdAt: new Date().toISOString(), ...(settings && Object.keys(settings).length ? { settings } : {}) }]);
    return key;
  }

  /** Replaces a stream's key; the old key stops working at once. */
  async rotate(name: string): Promise<string> {
    const list = this.read();
    const s = list.find((x) => x.name === name);
    if (!s) throw new DubdError('INVALID_ARGUMENT', this.fromConfig.some((c) => c.name === name) ? `stream '${name}' comes from config; change its key there` : `no stream '${name}'`);
    const key = newKey();
    s.keySha256 = hashKey(key);
    await this.write(list);
    return key;
  }

  async remove(name: string): Promise<void> {
    const list = this.read();
    if (!list.some((s) => s.name === name)) throw new DubdError('INVALID_ARGUMENT', `no stream '${name}'`);
    await this.write(list.filter((s) => s.name !== name));
  }

  /** The stream a key opens, or undefined. Compared in constant time. */
  authorize(key: string): StreamInfo | undefined {
    const h = Buffer.from(hashKey(key), 'hex');
    const hit = this.read().find((s) => timingSafeEqual(Buffer.from(s.keySha256, 'hex'), h));
    if (hit) return { name: hit.name, to: hit.to, source: 'file', settings: hit.settings };
    const c = this.fromConfig.find((s) => s.key.length === key.length && timingSafeEqual(Buffer.from(s.key), Buffer.from(key)));
    return c ? { name: c.name, to: c.to, source: 'config', settings: c.settings } : undefined;
  }
}

function newKey(): string {
  return `dk_${randomBytes(24).toString('base64url')}`;
}
