/** Float32 PCM → 20-ms Opus packets for WebRTC (WHEP). */
import { Encoder } from '@evan/opus';
import { DubdError } from '../pipeline/errors.js';
import type { AudioFrame } from '../pipeline/frames.js';

const OPUS_RATES = new Set([8000, 12000, 16000, 24000, 48000]);

/** Float32 frames of any length → 20 ms s16le chunks → Opus packets; (re)creates the encoder per format. */
export class OpusPacketizer {
  private encoder: Encoder | undefined;
  private rate = 0;
  private channels = 0;
  private pcm = new Int16Array(0);
  private fill = 0;

  reset(): void {
    this.fill = 0;
  }

  push(frame: AudioFrame): Uint8Array[] {
    if (frame.sampleRate !== this.rate || frame.channels !== this.channels) this.configure(frame);
    const out: Uint8Array[] = [];
    const src = frame.samples;
    for (let i = 0; i < src.length; i++) {
      const s = Math.max(-1, Math.min(1, src[i]));
      this.pcm[this.fill++] = s < 0 ? s * 0x8000 : s * 0x7fff;
      if (this.fill === this.pcm.length) {
        // Int16Array is host-endian; every platform Node ships on is little-endian, which is what Opus wants.
        out.push(this.encoder!.encode(new Uint8Array(this.pcm.buffer)));
        this.fill = 0;
      }
    }
    return out;
  }

  private configure(frame: AudioFrame): void {
    if (!OPUS_RATES.has(frame.sampleRate) || (frame.channels !== 1 && frame.channels !== 2)) {
      throw new DubdError('INVALID_ARGUMENT', `Opus cannot encode ${frame.sampleRate} Hz × ${frame.channels} channels`);
    }
    this.rate = frame.sampleRate;
    this.channels = frame.channels;
    this.encoder = new Encoder({
      channels: frame.channels,
      sample_rate: frame.sampleRate as 8000 | 12000 | 16000 | 24000 | 48000,
      application: 'audio', // program audio: speech over music and effects
    });
    this.pcm = new Int16Array((frame.sampleRate / 50) * frame.channels);
    this.fill = 0;
  }
}
