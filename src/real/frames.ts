// Length-prefixed frames on a byte stream: a 4-byte big-endian payload length, then the payload.
//
// `FrameReader` turns TCP chunks (any split) back into whole frames. It keeps the chunks it has
// and joins bytes only once a whole header or frame is there, so a 16 MiB frame arriving in
// 64 KiB chunks is copied once, not once per chunk. A length above the bound is an error the
// caller answers by closing the connection: it never allocates for it.
import { assert } from '../base/assert.js';

export const FRAME_HEADER_BYTES = 4;
/** Default hard bound on one frame's payload. */
export const FRAME_MAX_BYTES_DEFAULT = 16 * 1024 * 1024;

/** One payload as a frame (header and payload in one buffer, for one socket write). */
export function encodeFrame(text: string): Buffer {
  const length = Buffer.byteLength(text, 'utf8');
  const buf = Buffer.allocUnsafe(FRAME_HEADER_BYTES + length);
  buf.writeUInt32BE(length, 0);
  buf.write(text, FRAME_HEADER_BYTES, length, 'utf8');
  return buf;
}

export type ReadResult = { ok: true; frames: Buffer[] } | { ok: false; frames: Buffer[]; error: string };

export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Payload length of the frame being read, or -1 while its header is incomplete. */
  private need = -1;
  private failed = false;

  constructor(readonly frameMaxBytes: number = FRAME_MAX_BYTES_DEFAULT) {
    assert(frameMaxBytes > 0 && frameMaxBytes <= 0xffffffff, 'frame bound fits the 4-byte length');
  }

  /** Bytes held that do not yet form a whole frame. */
  get pendingBytes(): number {
    return this.buffered;
  }

  /**
   * Adds a chunk; returns the frames it completed. After an error (a length above the bound)
   * the stream is unusable: the frames before the bad header are still returned.
   */
  push(chunk: Buffer): ReadResult {
    assert(!this.failed, 'push after a frame error');
    const frames: Buffer[] = [];
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    // Bound: every iteration consumes a header or a whole frame from `buffered`.
    for (;;) {
      if (this.need < 0) {
        if (this.buffered < FRAME_HEADER_BYTES) break;
        const length = this.take(FRAME_HEADER_BYTES).readUInt32BE(0);
        if (length > this.frameMaxBytes) {
          this.failed = true;
          this.chunks = [];
          this.buffered = 0;
          return { ok: false, frames, error: `frame length ${length} exceeds the bound of ${this.frameMaxBytes} bytes` };
        }
        this.need = length;
      }
      if (this.buffered < this.need) break;
      frames.push(this.take(this.need));
      this.need = -1;
    }
    return { ok: true, frames };
  }

  /** The next `n` buffered bytes (n <= buffered), joined only when they span chunks. */
  private take(n: number): Buffer {
    this.buffered -= n;
    const first = this.chunks[0];
    if (n === 0) return Buffer.alloc(0);
    assert(first !== undefined, 'take from an empty reader');
    if (first.length > n) {
      this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    if (first.length === n) {
      this.chunks.shift();
      return first;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    // Bound: each step moves at least one byte out of the chunk list.
    while (filled < n) {
      const c = this.chunks[0]!;
      const part = Math.min(c.length, n - filled);
      c.copy(out, filled, 0, part);
      filled += part;
      if (part === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(part);
    }
    return out;
  }
}
