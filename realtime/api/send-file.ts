/**
 * Files as API answers: streamed with backpressure, content type from the extension, CORS like every
 * answer, and one byte range when the client asks (a player seeking in a dub, a resumed download).
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { STATUS_CODES } from 'node:http';
import { basename, extname } from 'node:path';
import type uWS from 'uWebSockets.js';
import { apiError } from './errors.js';
import { answerBeforeBody, type BodyState } from './body.js';

export function corsHeaders(res: uWS.HttpResponse): void {
  res.writeHeader('Access-Control-Allow-Origin', '*');
  res.writeHeader('Access-Control-Expose-Headers', 'Location, Content-Disposition, Content-Range, Accept-Ranges, Retry-After');
}

const FILE_TYPES: Record<string, string> = {
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.vtt': 'text/vtt; charset=utf-8',
  '.srt': 'application/x-subrip',
  '.mp4': 'video/mp4',
  '.m4a': 'audio/mp4',
  '.mkv': 'video/x-matroska',
  '.webm': 'video/webm',
  '.mov': 'video/quicktime',
  '.mp3': 'audio/mpeg',
  '.wav': 'audio/wav',
  '.ogg': 'audio/ogg',
  '.opus': 'audio/ogg',
  '.flac': 'audio/flac',
  '.aac': 'audio/aac',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.zip': 'application/zip',
  '.gz': 'application/gzip',
  '.tar': 'application/x-tar',
};

/**
 * `Range: bytes=a-b` (or `a-`, or `-n`) of a `size`-byte file → the inclusive byte span. Undefined — the
 * whole file goes out, as RFC 9110 allows — for no header, several ranges, other units, or a span that
 * does not fit the file.
 */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | undefined {
  const m = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    return suffix > 0 && size > 0 ? { start: Math.max(0, size - suffix), end: size - 1 } : undefined;
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  return start < size && end >= start ? { start, end } : undefined;
}

/**
 * Streams a file with backpressure (tryEnd/onWritable), its content type from the extension unless given.
 * On a 200 answer a range the file satisfies (`opts.range`) sends 206 with that span.
 */
export async function sendFile(res: uWS.HttpResponse, state: BodyState, status: number, path: string, headers: Record<string, string>, opts: { range?: string } = {}): Promise<void> {
  let size: number;
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new Error('not a file');
    size = st.size;
  } catch {
    throw apiError('NOT_FOUND', `no such file: ${basename(path)}`);
  }
  const range = status === 200 ? parseRange(opts.range, size) : undefined;
  if (state.aborted || state.responded) return;
  state.responded = true;
  const h = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  h['content-type'] ??= FILE_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
  if (status === 200) h['accept-ranges'] = 'bytes';
  if (range) {
    status = 206;
    h['content-range'] = `bytes ${range.start}-${range.end}/${size}`;
  }
  const start = range?.start ?? 0;
  const length = range ? range.end - range.start + 1 : size;
  const head = (): void => {
    res.writeStatus(`${status} ${STATUS_CODES[status] ?? 'Unknown'}`);
    corsHeaders(res);
    for (const [k, v] of Object.entries(h)) res.writeHeader(k, v);
  };
  if (length === 0) return void res.cork(() => (head(), res.end('', answerBeforeBody(res, state))));
  await new Promise<void>((resolve) => {
    const file = createReadStream(path, { highWaterMark: 256 * 1024, start, end: start + length - 1 });
    let first = true;
    let finished = false;
    const finish = (): void => {
      finished = true;
      file.destroy();
      resolve();
    };
    state.onAbort = finish;
    let read = 0;
    file.on('data', (chunk) => {
      const buf = chunk as Buffer;
      read += buf.length;
      if (state.aborted) return finish();
      const offset = res.getWriteOffset();
      let ok = false;
      let done = false;
      res.cork(() => {
        if (first) {
          head();
          // tryEnd cannot close the connection after: a body declared too large to drain is left unread.
          answerBeforeBody(res, state);
        }
        first = false;
        [ok, done] = res.tryEnd(buf, length);
      });
      if (done) return finish();
      if (ok) return;
      file.pause();
      res.onWritable((at) => {
        if (state.aborted) return true;
        const [ok2, done2] = res.tryEnd(buf.subarray(at - offset), length);
        if (done2) finish();
        else if (ok2) file.resume();
        return ok2;
      });
    });
    // A read error or a file that shrank mid-way: the headers are out, so only closing the connection tells the client.
    const broken = (): void => {
      if (finished) return;
      if (!state.aborted) res.close();
      finish();
    };
    file.on('error', broken);
    file.on('end', () => read < length && broken());
  });
}
