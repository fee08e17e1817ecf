/** Files as API answers: streamed with backpressure, content type from the extension, CORS like every answer. */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { STATUS_CODES } from 'node:http';
import { basename, extname } from 'node:path';
import type uWS from 'uWebSockets.js';
import { apiError } from './errors.js';
import type { BodyState } from './body.js';

export function corsHeaders(res: uWS.HttpResponse): void {
  res.writeHeader('Access-Control-Allow-Origin', '*');
  res.writeHeader('Access-Control-Expose-Headers', 'Location, Content-Disposition');
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

/** Streams a file with backpressure (tryEnd/onWritable), its content type from the extension unless given. */
export async function sendFile(res: uWS.HttpResponse, state: BodyState, status: number, path: string, headers: Record<string, string>): Promise<void> {
  let size: number;
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new Error('not a file');
    size = st.size;
  } catch {
    throw apiError('NOT_FOUND', `no such file: ${basename(path)}`);
  }
  if (state.aborted || state.responded) return;
  state.responded = true;
  const h = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  h['content-type'] ??= FILE_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
  const head = (): void => {
    res.writeStatus(`${status} ${STATUS_CODES[status] ?? 'Unknown'}`);
    corsHeaders(res);
    for (const [k, v] of Object.entries(h)) res.writeHeader(k, v);
  };
  if (size === 0) return void res.cork(() => (head(), res.end('', !state.bodyDone)));
  await new Promise<void>((resolve) => {
    const file = createReadStream(path, { highWaterMark: 256 * 1024 });
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
        if (first) head();
        first = false;
        [ok, done] = res.tryEnd(buf, size);
      });
      if (done) return finish();
      if (ok) return;
      file.pause();
      res.onWritable((at) => {
        if (state.aborted) return true;
        const [ok2, done2] = res.tryEnd(buf.subarray(at - offset), size);
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
    file.on('end', () => read < size && broken());
  });
}
