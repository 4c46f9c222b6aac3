// String hashing for the ring: the same result on every platform and every run.
//
// MurmurHash3 (x86, 32-bit variant) over the UTF-8 bytes of the string, written here with
// Math.imul so every step is exact 32-bit integer arithmetic; two lanes with different seeds
// make a 64-bit hash. No dependencies and no Node crypto: the ring hashes a key on every client
// operation, and the result must not depend on the host (endianness, Node version, locale).
//
// The published MurmurHash3_x86_32 test vectors are pinned in test/store/hash.test.ts, so a
// change here that alters any placement fails loudly.

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/** Seeds of the two lanes of `hash64`. Changing them moves every key: never do. */
export const HASH_SEED_HI = 0x9747b28c;
export const HASH_SEED_LO = 0x5bd1e995;

function rotl32(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

function mixBlock(k: number): number {
  k = Math.imul(k, C1);
  k = rotl32(k, 15);
  return Math.imul(k, C2);
}

function finalMix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * UTF-8 encoding without allocation per byte. Lone surrogates become U+FFFD, as TextEncoder
 * does, so the hash of any JS string is defined.
 */
export function utf8Bytes(s: string): Uint8Array {
  // Each UTF-16 code unit encodes to at most 3 bytes (a surrogate pair, 2 units, to 4).
  const out = new Uint8Array(s.length * 3);
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        out[n++] = 0xf0 | (cp >>> 18);
        out[n++] = 0x80 | ((cp >>> 12) & 0x3f);
        out[n++] = 0x80 | ((cp >>> 6) & 0x3f);
        out[n++] = 0x80 | (cp & 0x3f);
        i++;
        continue;
      }
    }
    if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
    if (c < 0x80) {
      out[n++] = c;
    } else if (c < 0x800) {
      out[n++] = 0xc0 | (c >>> 6);
      out[n++] = 0x80 | (c & 0x3f);
    } else {
      out[n++] = 0xe0 | (c >>> 12);
      out[n++] = 0x80 | ((c >>> 6) & 0x3f);
      out[n++] = 0x80 | (c & 0x3f);
    }
  }
  return out.subarray(0, n);
}

/** MurmurHash3_x86_32 of a byte array; an unsigned 32-bit integer. */
export function murmur3Bytes(bytes: Uint8Array, seed: number): number {
  let h = seed >>> 0;
  const len = bytes.length;
  const blocks = len - (len % 4);
  for (let i = 0; i < blocks; i += 4) {
    // Little-endian block read, spelled out so the host's byte order never matters.
    const k = (bytes[i] as number) | ((bytes[i + 1] as number) << 8) | ((bytes[i + 2] as number) << 16) | ((bytes[i + 3] as number) << 24);
    h = mixIntoHash(h, k);
  }
  const rest = len - blocks;
  let tail = 0;
  if (rest === 3) tail ^= (bytes[blocks + 2] as number) << 16;
  if (rest >= 2) tail ^= (bytes[blocks + 1] as number) << 8;
  if (rest >= 1) tail ^= bytes[blocks] as number;
  return finishHash(h, tail, rest, len);
}

/** One 4-byte block into the running hash. */
function mixIntoHash(h: number, k: number): number {
  h ^= mixBlock(k);
  h = rotl32(h, 13);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** The last 1-3 bytes (`tail`, `rest` of them), the length, and the final avalanche. */
function finishHash(h: number, tail: number, rest: number, len: number): number {
  if (rest > 0) h ^= mixBlock(tail);
  h ^= len;
  return finalMix(h);
}

/** MurmurHash3_x86_32 of a string's UTF-8 bytes. */
export function murmur3(s: string, seed = 0): number {
  return isAscii(s) ? murmur3Ascii(s, seed) : murmur3Bytes(utf8Bytes(s), seed);
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return false;
  return true;
}

/** murmur3Bytes over an ASCII string's code units, which are its UTF-8 bytes: no byte array. */
function murmur3Ascii(s: string, seed: number): number {
  let h = seed >>> 0;
  const len = s.length;
  const blocks = len - (len % 4);
  for (let i = 0; i < blocks; i += 4) {
    const k = s.charCodeAt(i) | (s.charCodeAt(i + 1) << 8) | (s.charCodeAt(i + 2) << 16) | (s.charCodeAt(i + 3) << 24);
    h = mixIntoHash(h, k);
  }
  const rest = len - blocks;
  let tail = 0;
  if (rest === 3) tail ^= s.charCodeAt(blocks + 2) << 16;
  if (rest >= 2) tail ^= s.charCodeAt(blocks + 1) << 8;
  if (rest >= 1) tail ^= s.charCodeAt(blocks);
  return finishHash(h, tail, rest, len);
}

/** A 64-bit hash as two unsigned 32-bit lanes; `hi` alone is a good 32-bit hash. */
export interface Hash64 {
  readonly hi: number;
  readonly lo: number;
}

export function hash64(s: string): Hash64 {
  if (isAscii(s)) return { hi: murmur3Ascii(s, HASH_SEED_HI), lo: murmur3Ascii(s, HASH_SEED_LO) };
  const bytes = utf8Bytes(s);
  return { hi: murmur3Bytes(bytes, HASH_SEED_HI), lo: murmur3Bytes(bytes, HASH_SEED_LO) };
}

/** `hash64(s).hi` without computing the other lane (the ring places a key by it on every operation). */
export function hash64Hi(s: string): number {
  return murmur3(s, HASH_SEED_HI);
}

/** The 64-bit hash as 16 lowercase hex digits (hi lane first), for logs and test vectors. */
export function hash64Hex(s: string): string {
  const h = hash64(s);
  return h.hi.toString(16).padStart(8, '0') + h.lo.toString(16).padStart(8, '0');
}
