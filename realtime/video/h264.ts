/**
 * H.264 for WebRTC viewers, from the FLV the ingest gives: FLV video tags → access units (NAL units, key
 * frame flag, presentation time), and access units → RTP payloads (RFC 6184: single NAL unit packets, FU-A
 * fragments for the big ones, SPS and PPS before every key frame so a viewer can start at any of them).
 */
import { splitFlvTags } from '../../ingest/rtp-to-flv.js';

export interface AccessUnit {
  /** Presentation time on the FLV clock (dts + composition time), ms. */
  ptsMs: number;
  key: boolean;
  /** Composition offset (pts − dts), ms: > 0 on frames that B-frames make shown later than decoded. */
  ctsMs?: number;
  /** NAL units without start codes or length prefixes. */
  nals: Buffer[];
}

/** Payloads above this are fragmented (leaves room for SRTP and header extensions under a 1280-byte MTU). */
export const MAX_RTP_PAYLOAD = 1100;

const FU_A = 28;
const NAL_IDR = 5;
const NAL_SPS = 7;
const NAL_PPS = 8;

/** Reads an FLV byte stream: H.264 access units with SPS/PPS from its sequence header, and the first audio tag's time. */
export class FlvH264Reader {
  /** The first audio tag's timestamp: the session's audio clock starts there. */
  firstAudioMs: number | undefined;
  private sps: Buffer[] = [];
  private pps: Buffer[] = [];
  private lengthSize = 4;

  /** Access units in decode order; tags that are not AVC video are skipped. */
  async *read(flv: AsyncIterable<Buffer>): AsyncGenerator<AccessUnit> {
    for await (const tag of splitFlvTags(flv)) {
      const type = tag[0] & 0x1f;
      const size = tag.readUIntBE(1, 3);
      const ts = (tag.readUIntBE(4, 3) | (tag[7] << 24)) >>> 0;
      const body = tag.subarray(11, 11 + size);
      if (type === 8) {
        // The first media audio tag (an AAC sequence header is not media).
        const isAacConfig = body[0] >> 4 === 10 && body[1] === 0;
        if (!isAacConfig && body.length > 1) this.firstAudioMs ??= ts;
        continue;
      }
      if (type !== 9 || body.length < 5 || (body[0] & 0x0f) !== 7) continue; // AVC only (codec id 7)
      const packetType = body[1];
      if (packetType === 0) {
        this.readConfig(body.subarray(5));
        continue;
      }
      if (packetType !== 1) continue;
      const cts = (body.readIntBE(2, 3));
      const nals = this.splitNals(body.subarray(5));
      if (nals.length === 0) continue;
      const key = (body[0] >> 4) === 1 || nals.some((n) => (n[0] & 0x1f) === NAL_IDR);
      yield { ptsMs: ts + cts, ctsMs: cts, key, nals: key ? this.withParameterSets(nals) : nals };
    }
  }

  /** AVCDecoderConfigurationRecord (ISO 14496-15): length size, SPS and PPS. */
  private readConfig(rec: Buffer): void {
    if (rec.length < 7) return;
    this.lengthSize = (rec[4] & 0x03) + 1;
    let off = 5;
    const sps: Buffer[] = [];
    const pps: Buffer[] = [];
    const numSps = rec[off++] & 0x1f;
    for (let i = 0; i < numSps && off + 2 <= rec.length; i += 1) {
      const n = rec.readUInt16BE(off);
      sps.push(Buffer.from(rec.subarray(off + 2, off + 2 + n)));
      off += 2 + n;
    }
    const numPps = off < rec.length ? rec[off++] : 0;
    for (let i = 0; i < numPps && off + 2 <= rec.length; i += 1) {
      const n = rec.readUInt16BE(off);
      pps.push(Buffer.from(rec.subarray(off + 2, off + 2 + n)));
      off += 2 + n;
    }
    this.sps = sps;
    this.pps = pps;
  }

  private splitNals(data: Buffer): Buffer[] {
    const nals: Buffer[] = [];
    let off = 0;
    while (off + this.lengthSize <= data.length) {
      const n = data.readUIntBE(off, this.lengthSize);
      off += this.lengthSize;
      if (n === 0 || off + n > data.length) break;
      nals.push(Buffer.from(data.subarray(off, off + n)));
      off += n;
    }
    return nals;
  }

  /** Key frames carry SPS and PPS in band (browsers need them before the IDR; OBS sends them only once). */
  private withParameterSets(nals: Buffer[]): Buffer[] {
    const has = (t: number): boolean => nals.some((n) => (n[0] & 0x1f) === t);
    return [...(has(NAL_SPS) ? [] : this.sps), ...(has(NAL_PPS) ? [] : this.pps), ...nals];
  }
}

/** RTP payloads of one access unit, in order; the last one carries the marker bit. */
export function packetize(au: AccessUnit, maxPayload = MAX_RTP_PAYLOAD): Buffer[] {
  const out: Buffer[] = [];
  for (const nal of au.nals) {
    if (nal.length <= maxPayload) {
      out.push(nal);
      continue;
    }
    const header = nal[0];
    const indicator = (header & 0xe0) | FU_A;
    const type = header & 0x1f;
    let off = 1;
    while (off < nal.length) {
      const n = Math.min(maxPayload - 2, nal.length - off);
      const start = off === 1 ? 0x80 : 0;
      const end = off + n >= nal.length ? 0x40 : 0;
      out.push(Buffer.concat([Buffer.from([indicator, start | end | type]), nal.subarray(off, off + n)]));
      off += n;
    }
  }
  return out;
}

/** RTP payloads of one stream back into NAL units (the inverse of packetize, for tests and diagnostics). */
export function depacketize(payloads: Buffer[]): Buffer[] {
  const nals: Buffer[] = [];
  let fu: Buffer[] | undefined;
  for (const p of payloads) {
    const type = p[0] & 0x1f;
    if (type === FU_A) {
      if (p[1] & 0x80) fu = [Buffer.from([(p[0] & 0xe0) | (p[1] & 0x1f)])];
      fu?.push(p.subarray(2));
      if (p[1] & 0x40 && fu) {
        nals.push(Buffer.concat(fu));
        fu = undefined;
      }
    } else {
      nals.push(p);
    }
  }
  return nals;
}
