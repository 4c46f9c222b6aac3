import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hash64, hash64Hex, hash64Hi, murmur3, murmur3Bytes, utf8Bytes } from '../../src/store/hash.js';

describe('murmur3 (x86, 32-bit)', () => {
  // Published MurmurHash3_x86_32 vectors: matching them shows the implementation is the
  // reference algorithm, not merely self-consistent.
  const vectors: [string, number, number][] = [
    ['', 0, 0],
    ['', 1, 0x514e28b7],
    ['', 0xffffffff, 0x81f16f39],
    ['\0\0\0\0', 0, 0x2362f9de],
    ['aaaa', 0x9747b28c, 0x5a97808a],
    ['abc', 0, 0xb3dd93fa],
    ['a', 0x9747b28c, 0x7fa09ea6],
    ['aa', 0x9747b28c, 0x5d211726],
    ['aaa', 0x9747b28c, 0x283e0130],
    ['abcd', 0x9747b28c, 0xf0478627],
    ['Hello, world!', 0x9747b28c, 0x24884cba],
    ['The quick brown fox jumps over the lazy dog', 0x9747b28c, 0x2fa826cd],
    ['ππππππππ', 0x9747b28c, 0xd58063c1],
  ];
  for (const [s, seed, want] of vectors) {
    it(`${JSON.stringify(s)} seed ${seed.toString(16)}`, () => {
      expect(murmur3(s, seed)).toBe(want);
    });
  }
});

describe('utf8Bytes', () => {
  it('the ASCII fast path gives the byte-array result, and hash64Hi is hash64().hi, for any string', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme-ascii' })), fc.nat(), (s, seed) => {
        expect(murmur3(s, seed)).toBe(murmur3Bytes(utf8Bytes(s), seed));
        expect(hash64Hi(s)).toBe(hash64(s).hi);
      }),
      { numRuns: 500 },
    );
  });

  it('matches TextEncoder, including astral characters and lone surrogates', () => {
    for (const s of ['', 'k0', 'é', '€', '😀x', 'a\ud800b', '\udc00', 'ππ']) {
      expect(Array.from(utf8Bytes(s))).toEqual(Array.from(new TextEncoder().encode(s)));
    }
  });
});

describe('hash64', () => {
  it('pins the key hashes the ring depends on', () => {
    // Pinned: a change here re-places every key of every scenario.
    expect(hash64Hex('k0')).toBe(PINNED_K0);
    expect(hash64Hex('k1')).toBe(PINNED_K1);
    expect(hash64Hex('')).toBe(PINNED_EMPTY);
  });

  it('lanes are unsigned 32-bit integers and differ', () => {
    const h = hash64('some key');
    expect(Number.isInteger(h.hi) && h.hi >= 0 && h.hi < 2 ** 32).toBe(true);
    expect(Number.isInteger(h.lo) && h.lo >= 0 && h.lo < 2 ** 32).toBe(true);
    expect(h.hi).not.toBe(h.lo);
  });

  it('spreads sequential keys evenly over 16 buckets of the hi lane', () => {
    const n = 16_000;
    const buckets = new Array<number>(16).fill(0);
    for (let i = 0; i < n; i++) buckets[hash64(`k${i}`).hi >>> 28]! += 1;
    // Chi-square with 15 degrees of freedom: 99.9th percentile is about 37.7.
    const expected = n / 16;
    const chi = buckets.reduce((acc, b) => acc + (b - expected) ** 2 / expected, 0);
    expect(chi).toBeLessThan(37.7);
  });

  it('has no collisions over 100k sequential keys (64 bits)', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 100_000; i++) seen.add(hash64Hex(`k${i}`));
    expect(seen.size).toBe(100_000);
  });
});

const PINNED_K0 = '708833d25e3eed8e';
const PINNED_K1 = 'f724b00fe7dbf8c3';
const PINNED_EMPTY = 'ebb6c228d9aaf7d3';
