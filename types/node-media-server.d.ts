// The internals of node-media-server@4 that ingest/rtmp.ts builds on (the package ships no types and its
// public NodeMediaServer class brings an HTTP server, a JSON store and process-wide state we do not want).
// Only what dubd uses is declared; names and shapes follow src/ of the 4.4.x release.

declare module 'node-media-server/src/core/avpacket.js' {
  class AVPacket {
    codec_id: number;
    /** 8 audio, 9 video, 18 script data (FLV tag types). */
    codec_type: number;
    /** 0 audio config, 1 audio frame, 2 video config, 3 key frame, 4 inter frame, 5 metadata, 6 video metadata. */
    flags: number;
    pts: number;
    dts: number;
    size: number;
    /** May be longer than `size` (the parser reuses a per-chunk-stream buffer): read only `size` bytes. */
    data: Buffer;
  }
  export = AVPacket;
}

declare module 'node-media-server/src/protocol/rtmp.js' {
  import type AVPacket from 'node-media-server/src/core/avpacket.js';

  interface RtmpMessageHeader {
    fmt: number;
    cid: number;
    timestamp: number;
    length: number;
    type: number;
    stream_id: number;
  }
  interface RtmpPacket {
    header: RtmpMessageHeader;
    clock: number;
    payload: Buffer;
    capacity: number;
    bytes: number;
  }

  /** The RTMP protocol engine of one connection: handshake, chunk parser, AMF0 command handling. */
  class Rtmp {
    constructor();
    onConnectCallback: (req: { app: string; name: string; host: string; query: Record<string, unknown> }) => void;
    onPlayCallback: () => void;
    onPushCallback: () => void;
    onPacketCallback: (packet: AVPacket) => void;
    onOutputCallback: (buffer: Buffer) => void;
    /** Feeds received bytes; returns an error string or null. May throw on malformed input. */
    parserData(buffer: Buffer): string | null;
    streamApp: string;
    streamName: string;
    streamId: number;
    parserPacket: RtmpPacket;
    inPackets: Map<number, RtmpPacket>;
    /** Sizes the current message's payload buffer; called once per message before its payload. */
    packetAlloc(): void;
    /** Sends NetStream.Publish.Start; called by the parser as soon as a `publish` command arrives. */
    respondPublish(): void;
    sendStatusMessage(sid: number, level: string, code: string, description: string): void;
  }
  export = Rtmp;
}

declare module 'node-media-server/src/server/broadcast_server.js' {
  import type AVPacket from 'node-media-server/src/core/avpacket.js';

  /** What the broadcaster needs from a subscriber (its HTTP-FLV players are one kind). */
  interface BroadcastSubscriber {
    id: string;
    /** '' marks an internal subscriber: no prePlay/postPlay events, no auth check. */
    ip: string;
    protocol: 'flv' | 'rtmp';
    streamPath: string;
    sendBuffer: (buffer: Buffer) => void;
    close: () => void;
  }

  /** One stream's fan-out: keeps the FLV header, metadata, sequence headers and last GOP for late subscribers. */
  class BroadcastServer {
    constructor(streamPath: string);
    streamPath: string;
    /** Always written with both the audio and video flags. */
    flvHeader: Buffer;
    /** Sends header, metadata, sequence headers and the GOP cache, then subscribes. Returns an error or null. */
    postPlay(session: BroadcastSubscriber): string | null;
    donePlay(session: BroadcastSubscriber): void;
    broadcastMessage(packet: AVPacket): void;
  }
  export = BroadcastServer;
}

declare module 'node-media-server/src/protocol/amf.js' {
  export function decodeAmf0Data(buffer: Buffer): { cmd?: unknown; dataObj?: unknown };
}

declare module 'node-media-server/src/core/logger.js' {
  /** A process-wide singleton that prints to stdout with console.log. */
  const logger: { level: string; log(message: string, logLevel?: string): void };
  export = logger;
}
