/**
 * The FLV side of one RTMP publish: a subscriber of node-media-server's broadcaster (the same interface its
 * HTTP-FLV players implement) that turns the tags it is sent into a bounded Readable ffmpeg can decode from
 * the first byte.
 *
 * - The broadcaster always writes an FLV header with both track flags; ffmpeg then waits for a video track
 *   that never comes on audio-only input (probe stall). So the tap holds the first tags until it has seen a
 *   tag of every track onMetaData announces (both without metadata), or `trackProbeMs` after the first media
 *   tag, and writes a header with the tracks it has actually seen: metadata that promises video which never
 *   comes costs `trackProbeMs`, not a stall.
 * - RTMP metadata arrives as `@setDataFrame onMetaData {…}`; FLV files carry `onMetaData {…}`, so the prefix
 *   is stripped (ffmpeg ignores script tags it does not recognise).
 * - Live ingest never falls behind: when the reader is slow the tap drops tags instead of buffering without
 *   limit (video up to the next key frame, so the decoder never sees a broken reference; audio frame by
 *   frame; sequence headers and metadata never). Backpressure was rejected: pausing the publisher's socket
 *   stalls its control messages too and makes OBS drop frames on its side anyway, minutes behind live.
 */
import { Readable } from 'node:stream';
import { decodeAmf0Data } from 'node-media-server/src/protocol/amf.js';
import type { Logger } from '../config/logger.js';

export interface FlvTapStats {
  /** Tags written to `flv`. */
  tags: number;
  bytes: number;
  /** Tags dropped because the reader was too slow. */
  droppedTags: number;
  droppedBytes: number;
}

export interface FlvTapOptions {
  streamPath: string;
  /** The broadcaster's own FLV header buffer (both flags set); the tap skips it and writes a correct one. */
  broadcasterHeader: Buffer;
  maxBufferedBytes: number;
  trackProbeMs: number;
  /** Called once, when the header is written and `hasAudio`/`hasVideo` are known. */
  onTracks: () => void;
  log: Logger;
}

type TagKind = 'script' | 'config' | 'key' | 'video' | 'audio';

const TAG_HEADER_BYTES = 11;
const SET_DATA_FRAME = Buffer.from([0x02, 0x00, 0x0d, ...Buffer.from('@setDataFrame')]);

let nextTapId = 0;
/** Script and config tags kept for readers that join late (metadata, sequence headers; a few per track). */
const MAX_SETUP_TAGS = 16;

/** One consumer of the tap's FLV: its own queue, its own drop state. */
class FlvReader {
  readonly flv = new Readable({ read: () => {} });
  /** A video tag was dropped (or the reader joined mid-GOP): drop video until the next key frame. */
  videoGap = false;
  dropping = false;
}

export class FlvTap {
  // The fields node-media-server's BroadcastServer reads from a subscriber. An empty ip marks an internal
  // subscriber: no prePlay/postPlay events on its process-wide emitter, no signed-URL check.
  readonly id = `dubd-flv-tap-${++nextTapId}`;
  readonly ip = '';
  readonly protocol = 'flv' as const;
  readonly streamPath: string;

  hasAudio = false;
  hasVideo = false;

  private readonly opts: FlvTapOptions;
  private readers: FlvReader[] = [];
  private decided = false;
  private ended = false;
  private pending: { tag: Buffer; kind: TagKind }[] = [];
  private pendingBytes = 0;
  /** What a late reader needs before media: metadata and sequence headers. */
  private setup: Buffer[] = [];
  /** Tags since the newest key frame, so a late reader starts with a picture (empty without video). */
  private gop: { tag: Buffer; kind: TagKind }[] = [];
  private gopBytes = 0;
  private sawAudio = false;
  private sawVideo = false;
  /** The tracks onMetaData announces; both until it says otherwise. */
  private expectAudio = true;
  private expectVideo = true;
  private probeTimer: NodeJS.Timeout | undefined;
  private readonly counters: FlvTapStats = { tags: 0, bytes: 0, droppedTags: 0, droppedBytes: 0 };
  private firstReader: Readable | undefined;

  constructor(opts: FlvTapOptions) {
    this.opts = opts;
    this.streamPath = opts.streamPath;
  }

  /**
   * A reader opened on first use (an unread reader would hold up to maxBufferedBytes for nothing). Opened
   * while the 'publish' event is handled, it sees the whole stream from its first tag.
   */
  get flv(): Readable {
    this.firstReader ??= this.openReader();
    return this.firstReader;
  }

  stats(): FlvTapStats {
    return { ...this.counters };
  }

  /**
   * Another reader of the same publish (e.g. a restarted packager). Opened before the tracks are known it
   * sees every tag; later it starts with the header, the metadata and sequence headers, then the current
   * GOP from its key frame, so a decoder can start at once. Ends with the publish.
   */
  openReader(): Readable {
    const reader = new FlvReader();
    if (this.ended) {
      reader.flv.push(null);
      return reader.flv;
    }
    reader.flv.on('close', () => (this.readers = this.readers.filter((r) => r !== reader)));
    this.readers.push(reader);
    if (this.decided) {
      reader.flv.push(flvHeader(this.hasAudio, this.hasVideo));
      for (const tag of this.setup) reader.flv.push(tag);
      reader.videoGap = this.hasVideo && this.gop[0]?.kind !== 'key';
      for (const { tag, kind } of this.gop) this.deliverTo(reader, tag, kind);
    }
    return reader.flv;
  }

  /** Called by the broadcaster with one complete FLV tag (header, body, previous-tag-size) at a time. */
  sendBuffer(buffer: Buffer): void {
    if (this.ended || buffer === this.opts.broadcasterHeader) return;
    if (buffer.length < TAG_HEADER_BYTES + 4) return;
    let tag = buffer;
    const kind = classify(tag);
    if (kind === 'script') {
      tag = stripSetDataFrame(tag);
      if (!this.decided) this.readMetadata(tag);
    } else if (!this.decided) {
      if (tag[0] === 8) this.sawAudio = true;
      if (tag[0] === 9) this.sawVideo = true;
    }
    if (this.decided) {
      this.deliver(tag, kind);
      return;
    }
    this.pending.push({ tag, kind });
    this.pendingBytes += tag.length;
    const sawAny = this.sawAudio || this.sawVideo;
    const sawExpected = (this.sawAudio || !this.expectAudio) && (this.sawVideo || !this.expectVideo);
    if ((sawAny && sawExpected) || this.pendingBytes > this.opts.maxBufferedBytes) this.decide();
    else if (sawAny && !this.probeTimer) {
      this.probeTimer = setTimeout(() => this.decide(), this.opts.trackProbeMs);
    }
  }

  /** BroadcastServer's subscriber interface; the connection owns the socket, so nothing to do here. */
  close(): void {}

  /** The publisher is gone: end every reader (or drop them unseen when the tracks were never known). */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.probeTimer);
    this.pending = [];
    this.gop = [];
    for (const r of this.readers) {
      if (this.decided) r.flv.push(null);
      else r.flv.destroy();
    }
  }

  private readMetadata(tag: Buffer): void {
    let dataObj: unknown;
    try {
      ({ dataObj } = decodeAmf0Data(tag.subarray(TAG_HEADER_BYTES, tag.length - 4)));
    } catch {
      return; // malformed metadata decides nothing; the tags themselves still will
    }
    if (typeof dataObj !== 'object' || dataObj === null) return;
    const meta = dataObj as Record<string, unknown>;
    const video = present(meta.videocodecid);
    const audio = present(meta.audiocodecid);
    if (!video && !audio) return;
    this.expectVideo = video;
    this.expectAudio = audio;
  }

  private decide(): void {
    if (this.decided || this.ended) return;
    clearTimeout(this.probeTimer);
    this.hasAudio = this.sawAudio;
    this.hasVideo = this.sawVideo;
    // Readers opened by the listeners (synchronously) still get everything from the first tag.
    this.opts.onTracks();
    this.decided = true;
    for (const r of this.readers) r.flv.push(flvHeader(this.hasAudio, this.hasVideo));
    for (const { tag, kind } of this.pending) this.deliver(tag, kind);
    this.pending = [];
    this.pendingBytes = 0;
  }

  private deliver(tag: Buffer, kind: TagKind): void {
    this.remember(tag, kind);
    for (const r of this.readers) this.deliverTo(r, tag, kind);
  }

  private remember(tag: Buffer, kind: TagKind): void {
    if (kind === 'script' || kind === 'config') {
      this.setup.push(tag);
      if (this.setup.length > MAX_SETUP_TAGS) this.setup.shift();
      return;
    }
    if (!this.hasVideo) return;
    if (kind === 'key') {
      this.gop = [];
      this.gopBytes = 0;
    }
    this.gop.push({ tag, kind });
    this.gopBytes += tag.length;
    // A GOP bigger than a reader's budget could not be delivered whole anyway: start late readers at the next key frame.
    if (this.gopBytes > this.opts.maxBufferedBytes) {
      this.gop = [];
      this.gopBytes = 0;
    }
  }

  private deliverTo(reader: FlvReader, tag: Buffer, kind: TagKind): void {
    const { flv } = reader;
    const queued = flv.readableLength;
    // An empty queue takes any tag: a key frame bigger than the limit must not stop video for good.
    const full = flv.destroyed || (queued > 0 && queued + tag.length > this.opts.maxBufferedBytes);
    let drop: boolean;
    if (kind === 'script' || kind === 'config') drop = flv.destroyed; // tiny, and decoding needs them
    else if (kind === 'key') drop = full;
    else if (kind === 'video') drop = full || reader.videoGap;
    else drop = full;
    if (kind === 'key' || kind === 'video') reader.videoGap = drop;
    if (drop) {
      this.counters.droppedTags++;
      this.counters.droppedBytes += tag.length;
      if (!reader.dropping && !flv.destroyed) {
        this.opts.log.warn({ stream: this.streamPath, droppedTags: this.counters.droppedTags }, 'rtmp ingest reader too slow, dropping tags');
      }
      reader.dropping = true;
      return;
    }
    reader.dropping = false;
    this.counters.tags++;
    this.counters.bytes += tag.length;
    flv.push(tag);
  }
}

function present(v: unknown): boolean {
  return v !== undefined && v !== null && v !== 0 && v !== '';
}

/** FLV file header + PreviousTagSize0, with only the flags of the tracks that exist. */
export function flvHeader(hasAudio: boolean, hasVideo: boolean): Buffer {
  const header = Buffer.from([0x46, 0x4c, 0x56, 0x01, 0x00, 0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x00]);
  header[4] = (hasAudio ? 0x04 : 0) | (hasVideo ? 0x01 : 0);
  return header;
}

/** What a tag means for dropping (FLV spec, plus enhanced RTMP's ex-header for HEVC/AV1/VP9). */
function classify(tag: Buffer): TagKind {
  const type = tag[0];
  const b0 = tag[TAG_HEADER_BYTES] ?? 0;
  const b1 = tag[TAG_HEADER_BYTES + 1];
  if (type === 8) {
    const format = b0 >> 4;
    const isConfig = (format === 10 && b1 === 0) || (format === 9 && (b0 & 0x0f) === 0);
    return isConfig ? 'config' : 'audio';
  }
  if (type === 9) {
    const frameType = (b0 >> 4) & 0x07;
    if (frameType === 5) return 'config'; // video info/command frame: no picture
    if (b0 & 0x80) {
      const packetType = b0 & 0x0f;
      if (packetType === 0 || packetType === 2 || packetType === 4 || packetType === 5) return 'config';
    } else if (b1 === 0 && [7, 12, 13].includes(b0 & 0x0f)) {
      return 'config'; // AVC (and the legacy HEVC/AV1 ids) sequence header
    }
    return frameType === 1 ? 'key' : 'video';
  }
  return 'script'; // 18: the broadcaster forwards only audio, video and AMF0 data
}

/** `@setDataFrame onMetaData {…}` → `onMetaData {…}`, as in an FLV file. */
function stripSetDataFrame(tag: Buffer): Buffer {
  const body = tag.subarray(TAG_HEADER_BYTES, tag.length - 4);
  if (!body.subarray(0, SET_DATA_FRAME.length).equals(SET_DATA_FRAME)) return tag;
  const rest = body.subarray(SET_DATA_FRAME.length);
  const out = Buffer.alloc(TAG_HEADER_BYTES + rest.length + 4);
  tag.copy(out, 0, 0, TAG_HEADER_BYTES);
  out.writeUIntBE(rest.length, 1, 3);
  rest.copy(out, TAG_HEADER_BYTES);
  out.writeUInt32BE(TAG_HEADER_BYTES + rest.length, TAG_HEADER_BYTES + rest.length);
  return out;
}
