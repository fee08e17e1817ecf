/** A browser-like WHEP client on werift for tests: recvonly audio, every candidate in the offer, loopback only. */
import { RTCPeerConnection, useH264, useOPUS, type RtpPacket } from 'werift';

export const LOOPBACK = { iceServers: [], iceAdditionalHostAddresses: ['127.0.0.1'] };

export interface Client {
  pc: RTCPeerConnection;
  packets: { at: number; rtp: RtpPacket }[];
  /** Video RTP (only when made with `video: true`). */
  videoPackets: { at: number; rtp: RtpPacket }[];
  offer: string;
}

export async function gathered(pc: RTCPeerConnection): Promise<void> {
  while (pc.iceGatheringState !== 'complete') await pc.iceGatheringStateChange.asPromise(5_000);
}

/** A browser-like WHEP client: recvonly audio (and H.264 video with `video`), candidates in the offer. */
export async function makeClient(opts: { video?: boolean } = {}): Promise<Client> {
  const pc = new RTCPeerConnection(opts.video ? { ...LOOPBACK, codecs: { audio: [useOPUS()], video: [useH264()] } } : LOOPBACK);
  pc.addTransceiver('audio', { direction: 'recvonly' });
  if (opts.video) pc.addTransceiver('video', { direction: 'recvonly' });
  const packets: Client['packets'] = [];
  const videoPackets: Client['videoPackets'] = [];
  pc.onTrack.subscribe((track) =>
    track.onReceiveRtp.subscribe((rtp) => (track.kind === 'video' ? videoPackets : packets).push({ at: performance.now(), rtp })),
  );
  await pc.setLocalDescription(await pc.createOffer());
  await gathered(pc);
  return { pc, packets, videoPackets, offer: pc.localDescription!.sdp };
}

