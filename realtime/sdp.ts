/**
 * SDP offers from WebRTC clients (WHEP viewers, WHIP publishers): cheap structural checks before werift
 * sees the text (werift silently accepts plain garbage), and the answer fix-ups both directions need.
 */
import { DubdError } from '../pipeline/errors.js';

/** An SDP offer is a few KB; anything far larger is not one. */
export const MAX_SDP_BYTES = 64 * 1024;

export function invalidOffer(why: string, cause?: unknown): DubdError {
  return new DubdError('INVALID_ARGUMENT', `not a usable SDP offer: ${why}`, { cause });
}

export function splitSections(lines: string[]): string[][] {
  const sections: string[][] = [[]];
  for (const l of lines) {
    if (l.startsWith('m=')) sections.push([]);
    sections[sections.length - 1].push(l);
  }
  return sections;
}

/**
 * Checks an offer has an active audio section with Opus, ICE credentials and a DTLS fingerprint, and that its
 * audio flows the way the endpoint needs: `receive` (WHEP: the client receives) or `send` (WHIP: it sends).
 */
export function checkOffer(sdp: unknown, audioDirection: 'receive' | 'send'): void {
  if (typeof sdp !== 'string' || sdp.length === 0) throw invalidOffer('empty body');
  if (sdp.length > MAX_SDP_BYTES) throw invalidOffer('too large');
  const lines = sdp.split(/\r?\n/).filter((l) => l.length > 0);
  if (lines[0] !== 'v=0') throw invalidOffer('it does not start with v=0');
  for (const l of lines) if (!/^[a-z]=/.test(l)) throw invalidOffer(`bad line "${l.slice(0, 40)}"`);
  const sections = splitSections(lines);
  const session = sections[0];
  const audio = sections.slice(1).find((s) => /^m=audio [1-9]\d* /.test(s[0]));
  if (!audio) throw invalidOffer('no active m=audio line');
  const attr = (prefix: string): boolean => audio.some((l) => l.startsWith(prefix)) || session.some((l) => l.startsWith(prefix));
  if (!audio.some((l) => /^a=rtpmap:\d+ opus\/48000/i.test(l))) throw invalidOffer('the audio section does not offer Opus');
  if (!attr('a=ice-ufrag:') || !attr('a=ice-pwd:')) throw invalidOffer('no ICE credentials');
  if (!attr('a=fingerprint:')) throw invalidOffer('no DTLS fingerprint');
  const cannot = audioDirection === 'receive' ? ['a=sendonly', 'a=inactive'] : ['a=recvonly', 'a=inactive'];
  if (audio.some((l) => cannot.includes(l))) throw invalidOffer(`the audio section cannot ${audioDirection}`);
}

/** werift keeps rejected (port 0) m-lines in the BUNDLE group, which Chrome refuses. */
export function dropRejectedFromBundle(sections: string[][]): string[][] {
  const rejected = new Set<string>();
  for (const s of sections.slice(1)) {
    const mid = s.find((l) => l.startsWith('a=mid:'))?.slice(6);
    if (mid !== undefined && /^m=\S+ 0 /.test(s[0])) rejected.add(mid);
  }
  const session = sections[0].map((l) =>
    l.startsWith('a=group:BUNDLE') ? ['a=group:BUNDLE', ...l.slice(15).split(' ').filter((m) => m && !rejected.has(m))].join(' ') : l,
  );
  return [session, ...sections.slice(1)];
}

/**
 * werift's answer keeps rejected (port 0) m-lines in the BUNDLE group, which Chrome refuses; and it echoes
 * the offer's Opus fmtp without saying that we send stereo.
 */
export function fixWhepAnswer(sdp: string, audioMid: string): string {
  const sections = dropRejectedFromBundle(splitSections(sdp.split('\r\n').filter((l) => l.length > 0)));
  for (const s of sections.slice(1)) {
    const mid = s.find((l) => l.startsWith('a=mid:'))?.slice(6);
    if (mid !== audioMid) continue;
    const pt = /^a=rtpmap:(\d+) opus\//i.exec(s.find((l) => /^a=rtpmap:\d+ opus\//i.test(l)) ?? '')?.[1];
    if (pt === undefined) continue;
    const i = s.findIndex((l) => l.startsWith(`a=fmtp:${pt} `));
    if (i < 0) s.splice(s.findIndex((l) => l.startsWith(`a=rtpmap:${pt} `)) + 1, 0, `a=fmtp:${pt} stereo=1;sprop-stereo=1`);
    else if (!/stereo=/.test(s[i])) s[i] += ';stereo=1;sprop-stereo=1';
  }
  return sections.flat().join('\r\n') + '\r\n';
}

/** An offer with an active video section that can take H.264. */
export function wantsVideo(sdp: string): boolean {
  return /^m=video [1-9]\d* /m.test(sdp) && /^a=rtpmap:\d+ H264\/90000/im.test(sdp);
}
