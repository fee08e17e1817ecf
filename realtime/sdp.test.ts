/** Which offered H.264 format the server sends with: what Chromium offers, against the stream's own profile. */
import { describe, expect, it } from 'vitest';
import { pickH264 } from './sdp.js';

const fmt = (pt: number, mimeType: string, parameters?: string): { payloadType: number; mimeType: string; parameters?: string } => ({ payloadType: pt, mimeType, parameters });
const h264 = (pt: number, mode: number, plid: string): ReturnType<typeof fmt> => fmt(pt, 'video/H264', `level-asymmetry-allowed=1;packetization-mode=${mode};profile-level-id=${plid}`);

/** Chromium 156 (Debian)'s video offer, in its order: VP8, VP9, then H.264 in pairs of mode 1 / mode 0, AV1. */
const CHROMIUM = [
  fmt(96, 'video/VP8'),
  fmt(98, 'video/VP9', 'profile-id=0'),
  h264(102, 1, '42001f'),
  h264(104, 0, '42001f'),
  h264(108, 1, '42e01f'),
  h264(114, 0, '42e01f'),
  h264(116, 1, '4d001f'),
  h264(39, 0, '4d001f'),
  h264(41, 1, 'f4001f'),
  h264(43, 0, 'f4001f'),
  fmt(45, 'video/AV1'),
];

describe('pickH264', () => {
  it('never takes VP8 or packetization-mode 0 (we send FU-A)', () => {
    expect(pickH264(CHROMIUM)?.payloadType).toBe(102);
    expect(pickH264([fmt(96, 'video/VP8'), h264(104, 0, '42e01f')])).toBeUndefined();
    expect(pickH264([fmt(96, 'video/h264', 'profile-level-id=42e01f')])).toBeUndefined(); // mode 0 is the default
  });

  it("prefers the stream's own profile, then one whose decoders take it, then the viewer's order", () => {
    expect(pickH264(CHROMIUM, '640016')?.payloadType).toBe(41); // High: no High offered, High 4:4:4 decodes it
    expect(pickH264([...CHROMIUM, h264(127, 1, '64001f')], '640016')?.payloadType).toBe(127);
    expect(pickH264(CHROMIUM, '4d401f')?.payloadType).toBe(116); // Main
    expect(pickH264(CHROMIUM, '42c01e')?.payloadType).toBe(102); // Constrained Baseline: 42001f asks for no constraint it lacks
    expect(pickH264([h264(1, 1, '42e01f'), h264(2, 1, '42c01f')], '42c01e')?.payloadType).toBe(2);
    // A profile no offered decoder is specified for: browsers' software decoders still take it.
    expect(pickH264([h264(5, 1, '42e01f')], '7a0020')?.payloadType).toBe(5);
  });
});
