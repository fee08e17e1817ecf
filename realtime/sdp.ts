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

/** An offered codec as werift negotiates it (payload type, MIME type, the offer's fmtp). */
export interface OfferedCodec {
  mimeType: string;
  parameters?: string;
}

/** profile_idc values whose decoders also decode streams of the key's profile (ITU-T H.264 A.2). */
const DECODED_BY: Record<number, number[]> = {
  0x4d: [0x4d, 0x64, 0x6e, 0x7a, 0xf4], // Main: Main and the High family
  0x58: [0x58], // Extended
  0x64: [0x64, 0x6e, 0x7a, 0xf4], // High: High, High 10, High 4:2:2, High 4:4:4 Predictive
};

/**
 * The offered H.264 format to send a stream of `sourceProfileLevelId` (hex, from its SPS) with: only
 * packetization-mode=1 (we send FU-A fragments, which mode 0 forbids), best profile match first, then the
 * viewer's own order. werift would take the offer's first video codec (Chromium offers VP8 first) and
 * matches H.264 by MIME type alone, so the choice has to be made here.
 */
export function pickH264<C extends OfferedCodec>(offered: readonly C[], sourceProfileLevelId?: string): C | undefined {
  const src = sourceProfileLevelId && /^[0-9a-f]{6}$/i.test(sourceProfileLevelId) ? parseInt(sourceProfileLevelId, 16) : undefined;
  const rank = (c: C): number => {
    const fmtp = fmtpOf(c.parameters);
    if (c.mimeType.toLowerCase() !== 'video/h264' || fmtp['packetization-mode'] !== '1') return -1;
    if (src === undefined) return 1;
    const plid = /^[0-9a-f]{6}$/i.test(fmtp['profile-level-id'] ?? '') ? parseInt(fmtp['profile-level-id'], 16) : 0x42e01f; // RFC 6184 default
    const [idc, flags, srcIdc, srcFlags] = [plid >> 16, (plid >> 8) & 0xff, src >> 16, (src >> 8) & 0xff];
    if (idc === srcIdc && (flags & ~srcFlags) === 0) return 3; // the source's profile, or a looser variant of it
    if (srcIdc === 0x42 || DECODED_BY[srcIdc]?.includes(idc)) return 2; // a superset profile (Baseline: all)
    return 1; // browsers' software decoders take any profile: better than no picture
  };
  let best: C | undefined;
  let bestRank = 0;
  for (const c of offered) {
    const r = rank(c);
    if (r > bestRank) [best, bestRank] = [c, r];
  }
  return best;
}

function fmtpOf(parameters: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of (parameters ?? '').split(';')) {
    const i = kv.indexOf('=');
    if (i > 0) out[kv.slice(0, i).trim().toLowerCase()] = kv.slice(i + 1).trim();
  }
  return out;
}
