// Rolling trace hash over a canonical encoding of every event.
//
// The canonical encoding is the event's field values in insertion order (our code builds every
// event with a fixed field order), each value fed by type: a 32-bit integer as one word, other
// numbers as their float64 bits in two words, a string as a 32-bit digest of its UTF-16 code
// units (cached per hasher), booleans, null, arrays and nested objects recursively, with a tag
// before each so ["ab"] and ["a","b"] differ. Two 32-bit lanes mixed
// with Math.imul give a 64-bit hash without BigInt, fast enough to run on every event even
// when no trace file is written.
import { AssertionError } from '../base/assert.js';

const TAG_NUM = 0x9e3779b1;
const TAG_STR = 0x85ebca77;
const TAG_TRUE = 0xc2b2ae3d;
const TAG_FALSE = 0x27d4eb2f;
const TAG_NULL = 0x165667b1;
const TAG_ARR = 0xd3a2646c;
const TAG_OBJ = 0xfd7046c5;
const TAG_END = 0xb55a4f09;

/** Bound on distinct strings whose hash is cached per hasher (labels, names, keys repeat). */
const STRING_CACHE_MAX = 65_536;
/** Strings up to this length are digested without the cache. */
const SHORT_STRING_MAX = 24;

export class TraceHasher {
  private h1 = 0x811c9dc5 | 0;
  private h2 = 0x01000193 | 0;
  private readonly f64 = new Float64Array(1);
  private readonly u32 = new Uint32Array(this.f64.buffer);
  private readonly strings = new Map<string, number>();

  private word(w: number): void {
    // Lane 1: murmur3's per-word mixing. Lane 2: a cheaper multiply-xor lane, so the pair is
    // 64 bits of state without doubling the cost.
    let k = Math.imul(w, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    let a = this.h1 ^ k;
    a = (a << 13) | (a >>> 19);
    this.h1 = (Math.imul(a, 5) + 0xe6546b64) | 0;
    this.h2 = Math.imul(this.h2 ^ k, 0x2545f491) ^ (this.h2 >>> 13);
  }

  private num(v: number): void {
    this.word(TAG_NUM);
    if ((v | 0) === v) {
      this.word(v);
    } else {
      // JSON cannot carry NaN or Infinity: a trace file would not rehash to the same value.
      if (!Number.isFinite(v)) throw new AssertionError(`trace events must hold finite numbers, got ${v}`);
      this.f64[0] = v;
      this.word(this.u32[0]!);
      this.word(this.u32[1]! ^ 0x7ff00001);
    }
  }

  private str(v: string): void {
    // A string enters the hash as its own 32-bit digest. Short ones (names, labels, keys) are
    // digested on the spot: that is cheaper than a cache lookup, which must hash the string too.
    let d: number | undefined;
    if (v.length <= SHORT_STRING_MAX) {
      d = TAG_STR ^ v.length;
      for (let i = 0; i < v.length; i++) d = Math.imul(d ^ v.charCodeAt(i), 0x01000193);
      d ^= d >>> 15;
    } else {
      d = this.strings.get(v);
      if (d === undefined) {
        d = TAG_STR ^ v.length;
        for (let i = 0; i < v.length; i++) d = Math.imul(d ^ v.charCodeAt(i), 0x01000193);
        d ^= d >>> 15;
        if (this.strings.size < STRING_CACHE_MAX) this.strings.set(v, d);
      }
    }
    this.word(TAG_STR);
    this.word(d);
  }

  /**
   * Exactly the words `value` feeds for `{t, type, id, from, to, label}` (a message event), without
   * walking the object: the generic walk's keyed loads are most of the hash's cost, and these
   * events are most of a run's.
   */
  message(t: number, type: string, id: number, from: string, to: string, label: string): void {
    this.word(TAG_OBJ);
    this.num(t);
    this.str(type);
    this.num(id);
    this.str(from);
    this.str(to);
    this.str(label);
    this.word(TAG_END);
  }

  value(v: unknown): void {
    switch (typeof v) {
      case 'number':
        this.num(v);
        return;
      case 'string':
        this.str(v);
        return;
      case 'boolean':
        this.word(v ? TAG_TRUE : TAG_FALSE);
        return;
      case 'undefined':
        return; // absent optional fields do not count, like JSON.stringify
      case 'object': {
        if (v === null) {
          this.word(TAG_NULL);
          return;
        }
        if (Array.isArray(v)) {
          this.word(TAG_ARR ^ v.length);
          for (const item of v) this.value(item);
          this.word(TAG_END);
          return;
        }
        this.word(TAG_OBJ);
        const obj = v as Record<string, unknown>;
        for (const key in obj) {
          const field = obj[key];
          if (field === undefined) continue;
          // Field names are not hashed: every event kind is built with a fixed field order,
          // so the values in order are already canonical, and skipping names halves the cost.
          this.value(field);
        }
        this.word(TAG_END);
        return;
      }
      default:
        throw new AssertionError(`cannot hash a ${typeof v} in a trace event`);
    }
  }

  /** The hash so far as 16 hex digits. */
  digest(): string {
    const hex = (x: number) => (x >>> 0).toString(16).padStart(8, '0');
    return hex(this.h1) + hex(this.h2);
  }
}
