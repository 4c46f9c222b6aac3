// Record framing of the disk's files (the write-ahead log and the snapshots), and the scan that
// reads them back.
//
// A record is   magic (4 bytes) · payload length (u32 BE) · CRC32 (u32 BE) · payload.
// The CRC (node:zlib's crc32, present on Node 20.20) covers the magic, the length and the
// payload, so a flipped length is caught like a flipped payload byte. The magic starts with
// 0xFA, a byte that never occurs in UTF-8 text, so the JSON payloads cannot contain a record
// start: scanning for the magic after a bad record finds only real records (and a false match
// must also pass the CRC).
//
// Reading back tells two failures apart:
//   - a bad TAIL — the last record is incomplete, or bad, and nothing valid follows it: what a
//     crash in the middle of a write leaves (or zeros a file system leaves after a power loss).
//     The scan stops there and reports the offset; the caller cuts the file and says so.
//   - a bad record in the MIDDLE — something valid follows it: the file was damaged after it was
//     written. That is never repaired silently: `CorruptFileError` names the file and offset.
import { crc32 } from 'node:zlib';
import { UserError, locate } from '../base/errors.js';
import { assert } from '../base/assert.js';

export const RECORD_MAGIC = Buffer.from([0xfa, 0x4b, 0x56, 0x57]);
export const RECORD_HEADER_BYTES = 12;
/** Bound on one record's payload: a V8 string cannot be much longer anyway. */
export const RECORD_PAYLOAD_MAX_BYTES = 256 * 1024 * 1024;

/** A data file is damaged where it cannot be a crash's torn tail. Never served. */
export class CorruptFileError extends UserError {
  constructor(
    readonly path: string,
    readonly offsetBytes: number,
    readonly reason: string,
  ) {
    super(locate(path, `corrupt record at byte offset ${offsetBytes}: ${reason}; the file was damaged after it was written, refusing to start`));
    this.name = 'CorruptFileError';
  }
}

/** Frames one payload as a record. */
export function encodeRecord(payload: string): Buffer {
  const length = Buffer.byteLength(payload, 'utf8');
  assert(length <= RECORD_PAYLOAD_MAX_BYTES, () => `record payload of ${length} bytes exceeds ${RECORD_PAYLOAD_MAX_BYTES}`);
  const buf = Buffer.allocUnsafe(RECORD_HEADER_BYTES + length);
  RECORD_MAGIC.copy(buf, 0);
  buf.writeUInt32BE(length, 4);
  buf.write(payload, RECORD_HEADER_BYTES, length, 'utf8');
  buf.writeUInt32BE(recordCrc(buf, 0, length), 8);
  return buf;
}

function recordCrc(buf: Buffer, start: number, length: number): number {
  const head = crc32(buf.subarray(start, start + 8));
  return crc32(buf.subarray(start + RECORD_HEADER_BYTES, start + RECORD_HEADER_BYTES + length), head);
}

/** Why the record at `offset` is not valid, or null when it is. */
function recordProblem(buf: Buffer, offset: number): string | null {
  const left = buf.length - offset;
  if (left < RECORD_HEADER_BYTES) return `incomplete header (${left} of ${RECORD_HEADER_BYTES} bytes)`;
  if (buf.compare(RECORD_MAGIC, 0, 4, offset, offset + 4) !== 0) return 'no record magic';
  const length = buf.readUInt32BE(offset + 4);
  if (length > RECORD_PAYLOAD_MAX_BYTES) return `length ${length} beyond the bound ${RECORD_PAYLOAD_MAX_BYTES}`;
  if (left < RECORD_HEADER_BYTES + length) return `incomplete payload (${left - RECORD_HEADER_BYTES} of ${length} bytes)`;
  if (recordCrc(buf, offset, length) !== buf.readUInt32BE(offset + 8)) return 'checksum mismatch';
  return null;
}

/** The first offset after `from` where a valid record starts, or -1. */
function nextValidRecord(buf: Buffer, from: number): number {
  // Bound: each probe moves past one occurrence of the magic, so at most buf.length probes.
  let at = buf.indexOf(RECORD_MAGIC, from);
  while (at >= 0) {
    if (recordProblem(buf, at) === null) return at;
    at = buf.indexOf(RECORD_MAGIC, at + 1);
  }
  return -1;
}

export interface ScanResult {
  /** Payloads of the valid records, in file order (UTF-8 text). */
  payloads: string[];
  /** Byte offset of each record in `payloads`. */
  offsets: number[];
  /** Bytes of the valid prefix: where a torn tail starts, or the file's length. */
  validBytes: number;
  /** The torn tail, when the file does not end on a record boundary. */
  tail: { offsetBytes: number; droppedBytes: number; reason: string } | null;
}

/**
 * Reads the records of one file's bytes. Throws CorruptFileError when a bad record has valid
 * data after it; reports (does not throw) a bad tail. `path` only names the file in messages.
 */
export function scanRecords(path: string, buf: Buffer): ScanResult {
  const payloads: string[] = [];
  const offsets: number[] = [];
  let offset = 0;
  // Bound: every iteration consumes one whole record of at least RECORD_HEADER_BYTES bytes.
  while (offset < buf.length) {
    const problem = recordProblem(buf, offset);
    if (problem !== null) {
      const next = nextValidRecord(buf, offset + 1);
      if (next >= 0) throw new CorruptFileError(path, offset, `${problem}, with a valid record at byte ${next} after it`);
      return { payloads, offsets, validBytes: offset, tail: { offsetBytes: offset, droppedBytes: buf.length - offset, reason: problem } };
    }
    const length = buf.readUInt32BE(offset + 4);
    offsets.push(offset);
    payloads.push(buf.toString('utf8', offset + RECORD_HEADER_BYTES, offset + RECORD_HEADER_BYTES + length));
    offset += RECORD_HEADER_BYTES + length;
  }
  return { payloads, offsets, validBytes: offset, tail: null };
}
