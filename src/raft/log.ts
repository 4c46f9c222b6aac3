// The replicated log over a snapshot base. Index i lives at entries[i - firstIndex()].
// A hash is chained through the entries (hash_i = H(hash_{i-1}, entry_i)), so two logs that
// agree on the hash at i agree on every entry up to i: the oracle compares one number instead
// of whole logs, and a broken log-matching property shows up as a hash mismatch.
import type { ConfState, Entry, Snapshot } from './messages.js';
import { AssertionError } from '../base/assert.js';

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

function mixInt(h: number, x: number): number {
  // Split into two 26-bit halves so indexes and terms above 2^32 still mix in.
  const lo = x % 0x4000000;
  const hi = Math.floor(x / 0x4000000);
  h = Math.imul(h ^ lo, FNV_PRIME);
  return Math.imul(h ^ hi, FNV_PRIME);
}

function mixString(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return h;
}

export function entryPayload(e: Entry): string {
  switch (e.kind) {
    case 'normal':
      return `n:${e.data}`;
    case 'noop':
      return 'z:';
    case 'conf':
      return `c:${e.conf.voters.join(',')}|${e.conf.learners.join(',')}`;
  }
}

export function chainHash(prev: number, e: Entry): number {
  let h = mixInt(FNV_OFFSET ^ prev, e.index);
  h = mixInt(h, e.term);
  return mixString(h, entryPayload(e)) >>> 0;
}

/** Entries appended or truncated since the last persist batch. */
export interface UnstableLog {
  /** Delete stored entries at and after this index before writing `entries`. */
  readonly truncateFrom: number;
  readonly entries: readonly Entry[];
  /** Lowest index whose existing entry was actually removed, when one was. */
  readonly cutFrom: number | null;
}

export class RaftLog {
  private snap: Snapshot;
  private entries: Entry[] = [];
  private hashes: number[] = [];
  /** Lowest index changed since the last `takeUnstable`; Infinity when clean. */
  private dirtyFrom = Infinity;
  private cutFrom = Infinity;

  constructor(snapshot: Snapshot, entries: readonly Entry[]) {
    this.snap = snapshot;
    this.appendUnchecked(entries);
    this.dirtyFrom = Infinity;
  }

  snapshot(): Snapshot {
    return this.snap;
  }

  firstIndex(): number {
    return this.snap.index + 1;
  }

  lastIndex(): number {
    return this.snap.index + this.entries.length;
  }

  lastTerm(): number {
    return this.entries.length === 0 ? this.snap.term : (this.entries[this.entries.length - 1] as Entry).term;
  }

  /** Term at index, or undefined when compacted away (below the snapshot) or beyond the end. */
  term(index: number): number | undefined {
    if (index === this.snap.index) return this.snap.term;
    if (index < this.snap.index || index > this.lastIndex()) return undefined;
    return (this.entries[index - this.snap.index - 1] as Entry).term;
  }

  hashAt(index: number): number | undefined {
    if (index === this.snap.index) return this.snap.hash;
    if (index < this.snap.index || index > this.lastIndex()) return undefined;
    return this.hashes[index - this.snap.index - 1] as number;
  }

  lastHash(): number {
    return this.hashAt(this.lastIndex()) as number;
  }

  entry(index: number): Entry {
    const e = this.entries[index - this.snap.index - 1];
    if (e === undefined || e.index !== index) throw new AssertionError(`log has no entry ${index} (first ${this.firstIndex()}, last ${this.lastIndex()})`);
    return e;
  }

  /** Entries lo..hi inclusive, at most `maxCount` of them. */
  slice(lo: number, hi: number, maxCount = Infinity): Entry[] {
    if (lo <= this.snap.index) throw new AssertionError(`slice from ${lo} is compacted (snapshot ${this.snap.index})`);
    const end = Math.min(hi, this.lastIndex(), lo + maxCount - 1);
    const out = this.entries.slice(lo - this.snap.index - 1, end - this.snap.index);
    if (out.length > 0 && (out[0] as Entry).index !== lo) throw new AssertionError(`log hole: entry at ${lo} has index ${(out[0] as Entry).index}`);
    return out;
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  /** §5.4.1: is a log ending at (lastIndex, lastTerm) at least as up-to-date as ours? */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const myTerm = this.lastTerm();
    return lastTerm > myTerm || (lastTerm === myTerm && lastIndex >= this.lastIndex());
  }

  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const first = (entries[0] as Entry).index;
    if (first !== this.lastIndex() + 1) throw new AssertionError(`append at ${first} leaves a gap after ${this.lastIndex()}`);
    this.dirtyFrom = Math.min(this.dirtyFrom, first);
    this.appendUnchecked(entries);
  }

  private appendUnchecked(entries: readonly Entry[]): void {
    let prev = this.lastHash();
    for (const e of entries) {
      if (e.index !== this.lastIndex() + 1) throw new AssertionError(`entry ${e.index} is not contiguous after ${this.lastIndex()}`);
      if (e.term < this.lastTerm()) throw new AssertionError(`entry ${e.index} term ${e.term} below previous term ${this.lastTerm()}`);
      prev = chainHash(prev, e);
      this.entries.push(e);
      this.hashes.push(prev);
    }
  }

  /** Delete entries at and after `index`. */
  truncateFrom(index: number): void {
    if (index <= this.snap.index) throw new AssertionError(`truncate at ${index} reaches into the snapshot (${this.snap.index})`);
    if (index > this.lastIndex()) return;
    const keep = index - this.snap.index - 1;
    this.entries.length = keep;
    this.hashes.length = keep;
    this.dirtyFrom = Math.min(this.dirtyFrom, index);
    this.cutFrom = Math.min(this.cutFrom, index);
  }

  /** Replace the prefix through `snapshot.index` by the snapshot (it must describe our entry there). */
  compact(snapshot: Snapshot, dropExtra = 0): void {
    if (snapshot.index <= this.snap.index) return;
    if (snapshot.index > this.lastIndex()) throw new AssertionError(`compact at ${snapshot.index} beyond last ${this.lastIndex()}`);
    const drop = snapshot.index - this.snap.index + dropExtra;
    this.entries.splice(0, drop);
    this.hashes.splice(0, drop);
    this.snap = snapshot;
  }

  /** Discard the whole log in favour of a snapshot (InstallSnapshot with a conflicting log). */
  restore(snapshot: Snapshot): void {
    if (this.entries.length > 0) this.cutFrom = Math.min(this.cutFrom, this.snap.index + 1);
    this.snap = snapshot;
    this.entries = [];
    this.hashes = [];
    this.dirtyFrom = Math.min(this.dirtyFrom, snapshot.index + 1);
  }

  /**
   * For a rejected AppendEntries at (index, term): the largest j ≤ index with term(j) ≤ term.
   * Every entry after j is known not to match, so the leader may skip them all at once.
   */
  conflictHint(index: number, term: number): number {
    let j = Math.min(index, this.lastIndex());
    while (j > this.snap.index && (this.term(j) as number) > term) j -= 1;
    return j;
  }

  /** Membership in force at `index`: the latest conf entry at or before it, else the snapshot's. */
  confAt(index: number): ConfState {
    for (let i = Math.min(index, this.lastIndex()); i > this.snap.index; i--) {
      const e = this.entries[i - this.snap.index - 1] as Entry;
      if (e.kind === 'conf') return e.conf;
    }
    return this.snap.conf;
  }

  /** True when the snapshot's membership or any conf entry in the log names `id` (voter or learner). */
  namesMember(id: string): boolean {
    if (this.snap.conf.voters.includes(id) || this.snap.conf.learners.includes(id)) return true;
    for (const e of this.entries) if (e.kind === 'conf' && (e.conf.voters.includes(id) || e.conf.learners.includes(id))) return true;
    return false;
  }

  /** Index of the latest conf entry in the log (the snapshot's index when none). */
  lastConfIndex(): number {
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const e = this.entries[i] as Entry;
      if (e.kind === 'conf') return e.index;
    }
    return this.snap.index;
  }

  /**
   * A short digest for the leader-completeness check: (index, term, hash) at `from` and at the
   * last index of every term run after it. By log matching, two logs that agree on these
   * points agree on every index in between.
   */
  digestFrom(from: number): [number, number, number][] {
    const out: [number, number, number][] = [];
    const start = Math.max(from, this.snap.index);
    if (start > this.lastIndex()) return out;
    out.push([start, this.term(start) as number, this.hashAt(start) as number]);
    for (let i = start + 1; i <= this.lastIndex(); i++) {
      const t = this.term(i) as number;
      if (i === this.lastIndex() || (this.term(i + 1) as number) !== t) out.push([i, t, this.hashAt(i) as number]);
    }
    return out;
  }

  takeUnstable(): UnstableLog | null {
    if (this.dirtyFrom === Infinity) return null;
    const from = Math.max(this.dirtyFrom, this.snap.index + 1);
    const cutFrom = this.cutFrom === Infinity ? null : this.cutFrom;
    this.dirtyFrom = Infinity;
    this.cutFrom = Infinity;
    const entries = from > this.lastIndex() ? [] : this.entries.slice(from - this.snap.index - 1);
    return { truncateFrom: from, entries, cutFrom };
  }
}
