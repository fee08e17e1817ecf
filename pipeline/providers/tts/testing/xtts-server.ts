/**
 * A local server speaking the coqui-ai/xtts-streaming-server wire format: /clone_speaker (multipart
 * wav_file → latents), /tts (JSON → a base64 WAV at 24 kHz, as a JSON string), /studio_speakers and
 * /languages, with FastAPI's error bodies. The "latents" carry the reference clip's pitch, and /tts
 * speaks a tone at that pitch, so a test can hear whose voice was used.
 */
import { decodeWav, encodeWav } from '../../../audio/wav.js';
import { XTTS_LANGUAGES, type XttsLatents } from '../xtts.js';
import { formData, pitchOf, sendJson, startHttpServer, tone, type LocalHttpServer } from './wire.js';

export interface XttsWireServer extends LocalHttpServer {
  /** Pitch of each clip cloned, in order. */
  clonedPitches: number[];
}

const MS_PER_CHAR = 50;
const RATE = 24_000;

/** Real latents are 1024-wide rows and a 512-long embedding; these are small but the same shape of data. */
function latentsFor(pitchHz: number): XttsLatents {
  return { gpt_cond_latent: [[pitchHz / 1000, 0.5], [0.25, -0.5]], speaker_embedding: [pitchHz / 1000, 0.1, -0.2] };
}

export async function startXttsServer(studio: Record<string, number> = { 'Ana Florence': 200 }): Promise<XttsWireServer> {
  const clonedPitches: number[] = [];
  const server = await startHttpServer(async (req, res) => {
    if (req.method === 'GET' && req.path === '/languages') return sendJson(res, 200, XTTS_LANGUAGES);
    if (req.method === 'GET' && req.path === '/studio_speakers') {
      return sendJson(res, 200, Object.fromEntries(Object.entries(studio).map(([name, hz]) => [name, latentsFor(hz)])));
    }
    if (req.method === 'POST' && req.path === '/clone_speaker') {
      const file = (await formData(req)).get('wav_file');
      if (!(file instanceof Blob)) return sendJson(res, 422, { detail: [{ loc: ['body', 'wav_file'], msg: 'field required', type: 'value_error.missing' }] });
      const wav = decodeWav(Buffer.from(await file.arrayBuffer()));
      const pitch = pitchOf(wav.samples, wav.sampleRate);
      clonedPitches.push(pitch);
      return sendJson(res, 200, latentsFor(pitch));
    }
    if (req.method === 'POST' && req.path === '/tts') {
      const body = JSON.parse(req.body.toString('utf8')) as Partial<XttsLatents & { text: string; language: string }>;
      const missing = ['text', 'language', 'speaker_embedding', 'gpt_cond_latent'].filter((k) => !(k in body));
      if (missing.length) return sendJson(res, 422, { detail: missing.map((k) => ({ loc: ['body', k], msg: 'field required', type: 'value_error.missing' })) });
      const pitch = Math.round((body.speaker_embedding?.[0] ?? 0) * 1000);
      const wav = encodeWav(tone(pitch, (body.text ?? '').length * MS_PER_CHAR, RATE), RATE);
      return sendJson(res, 200, wav.toString('base64'));
    }
    sendJson(res, 404, { detail: 'Not Found' });
  }, (status) => ({ detail: `status ${status}` }));
  return Object.assign(server, { clonedPitches });
}
