/**
 * A WHEP viewer (WebRTC playback): one POST with the SDP offer (all ICE candidates gathered first; the
 * server does not trickle), the answer back, DELETE of the resource when done.
 */
import { toApiError } from '../api/client.js';

export interface WhepSession {
  /** Audio at once; video joins when its first packets arrive (see `onStream`). */
  stream: MediaStream;
  close(): Promise<void>;
}

const GATHER_TIMEOUT_MS = 3000;

function gathered(pc: RTCPeerConnection): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      pc.removeEventListener('icegatheringstatechange', check);
      resolve();
    };
    const check = (): void => {
      if (pc.iceGatheringState === 'complete') done();
    };
    // Without a STUN server gathering is quick; never wait forever for the last candidate.
    const timer = setTimeout(done, GATHER_TIMEOUT_MS);
    pc.addEventListener('icegatheringstatechange', check);
  });
}

export async function startWhep(url: string, opts: { video?: boolean; onStream?: (s: MediaStream) => void } = {}): Promise<WhepSession> {
  const pc = new RTCPeerConnection({ iceServers: [] });
  pc.addTransceiver('audio', { direction: 'recvonly' });
  if (opts.video !== false) pc.addTransceiver('video', { direction: 'recvonly' });
  let location: string | null = null;
  try {
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc);
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: pc.localDescription?.sdp ?? '' });
    const text = await res.text();
    if (!res.ok) throw toApiError(res.status, text, res.statusText);
    location = res.headers.get('location');
    await pc.setRemoteDescription({ type: 'answer', sdp: text });
  } catch (err) {
    pc.close();
    throw err;
  }
  // Only what the server agreed to send, and video only once it flows: a media element given a video track
  // that never gets a frame waits for it forever and plays nothing, not even the audio.
  const tracks = pc
    .getTransceivers()
    .filter((t) => t.currentDirection === 'recvonly' || t.currentDirection === 'sendrecv')
    .map((t) => t.receiver.track);
  let closed = false;
  const session: WhepSession = {
    stream: new MediaStream(tracks.filter((t) => t.kind === 'audio')),
    async close() {
      if (closed) return;
      closed = true;
      pc.close();
      if (location) await fetch(new URL(location, url), { method: 'DELETE' }).catch(() => undefined);
    },
  };
  for (const v of tracks.filter((t) => t.kind === 'video')) {
    const join = (): void => {
      if (closed) return;
      session.stream = new MediaStream([...session.stream.getTracks(), v]);
      opts.onStream?.(session.stream);
    };
    if (!v.muted) join();
    else v.addEventListener('unmute', join, { once: true });
  }
  return session;
}
