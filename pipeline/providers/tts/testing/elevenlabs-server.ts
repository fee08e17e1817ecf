/**
 * A local server speaking the ElevenLabs REST wire format: text-to-speech with raw PCM output, instant
 * voice cloning and voice deletion, with the API's error bodies. Stock voices speak a 150 Hz tone; a
 * cloned voice speaks at the pitch of the clip it was cloned from, so a test can hear which voice spoke.
 */
import { decodeWav } from '../../../audio/wav.js';
import { formData, pitchOf, sendJson, startHttpServer, tone, type LocalHttpServer } from './wire.js';

export interface ElevenLabsWireServer extends LocalHttpServer {
  apiKey: string;
  /** voice_id → pitch it speaks at. */
  voices: Map<string, number>;
  /** Names given to clones, in order. */
  cloned: string[];
  deleted: string[];
}

const MS_PER_CHAR = 50;

function errorBody(status: number): unknown {
  if (status === 401) return { detail: { status: 'invalid_api_key', message: 'Invalid API key' } };
  if (status === 429) return { detail: { status: 'too_many_concurrent_requests', message: 'Too many concurrent requests' } };
  return { detail: { status: 'internal_error', message: `status ${status}` } };
}

export async function startElevenLabsServer(apiKey = 'test-key', stockVoices: Record<string, number> = { 'stock-es': 150 }): Promise<ElevenLabsWireServer> {
  const voices = new Map(Object.entries(stockVoices));
  const cloned: string[] = [];
  const deleted: string[] = [];
  let nextClone = 1;
  const server = await startHttpServer(async (req, res) => {
    if (req.headers['xi-api-key'] !== apiKey) return sendJson(res, 401, errorBody(401));
    const tts = /^\/v1\/text-to-speech\/([^/]+)$/.exec(req.path);
    if (req.method === 'POST' && tts) {
      const pitch = voices.get(decodeURIComponent(tts[1]));
      if (pitch === undefined) return sendJson(res, 400, { detail: { status: 'voice_not_found', message: 'A voice with the voice_id was not found.' } });
      const body = JSON.parse(req.body.toString('utf8')) as { text?: string; model_id?: string };
      if (!body.text || !body.model_id) return sendJson(res, 422, { detail: [{ loc: ['body', 'text'], msg: 'field required' }] });
      const rate = Number((req.query.get('output_format') ?? 'mp3_44100_128').split('_')[1]);
      const samples = tone(pitch, body.text.length * MS_PER_CHAR, rate);
      const pcm = Buffer.alloc(samples.length * 2);
      samples.forEach((s, i) => pcm.writeInt16LE(Math.round(s * 32767), i * 2));
      res.writeHead(200, { 'content-type': 'audio/pcm', 'content-length': pcm.length });
      res.end(pcm);
      return;
    }
    if (req.method === 'POST' && req.path === '/v1/voices/add') {
      const form = await formData(req);
      const file = form.get('files');
      const name = form.get('name');
      if (!(file instanceof Blob) || typeof name !== 'string') return sendJson(res, 422, { detail: [{ loc: ['body', 'files'], msg: 'field required' }] });
      const wav = decodeWav(Buffer.from(await file.arrayBuffer()));
      const id = `clone-${nextClone++}`;
      voices.set(id, pitchOf(wav.samples, wav.sampleRate));
      cloned.push(name);
      return sendJson(res, 200, { voice_id: id, requires_verification: false });
    }
    if (req.method === 'GET' && req.path === '/v1/user') {
      return sendJson(res, 200, { subscription: { tier: 'starter', character_count: 0, character_limit: 30_000 }, is_new_user: false });
    }
    const del = /^\/v1\/voices\/([^/]+)$/.exec(req.path);
    if (req.method === 'DELETE' && del) {
      deleted.push(decodeURIComponent(del[1]));
      voices.delete(decodeURIComponent(del[1]));
      return sendJson(res, 200, { status: 'ok' });
    }
    sendJson(res, 404, { detail: 'Not Found' });
  }, errorBody);
  return Object.assign(server, { apiKey, voices, cloned, deleted });
}
