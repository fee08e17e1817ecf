/** A browser-like WHEP client on werift for tests: recvonly audio, every candidate in the offer, loopback only. */
import { RTCPeerConnection, type RtpPacket } from 'werift';

export const LOOPBACK = { iceServers: [], iceAdditionalHostAddresses: ['127.0.0.1'] };

export interface Client {
  pc: RTCPeerConnection;
  packets: { at: number; rtp: RtpPacket }[];
  offer: string;
}

export async function gathered(pc: RTCPeerConnection): Promise<void> {
  while (pc.iceGatheringState !== 'complete') await pc.iceGatheringStateChange.asPromise(5_000);
}

/** A browser-like WHEP client: recvonly audio, candidates in the offer. */
export async function makeClient(): Promise<Client> {
  const pc = new RTCPeerConnection(LOOPBACK);
  pc.addTransceiver('audio', { direction: 'recvonly' });
  const packets: Client['packets'] = [];
  pc.onTrack.subscribe((track) => track.onReceiveRtp.subscribe((rtp) => packets.push({ at: performance.now(), rtp })));
  await pc.setLocalDescription(await pc.createOffer());
  await gathered(pc);
  return { pc, packets, offer: pc.localDescription!.sdp };
}

