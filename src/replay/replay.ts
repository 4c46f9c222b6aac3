// A loaded trace ready to be watched: indexes built in one pass (notable events, the events the
// log tells, per-key applies and reads) and checkpoints of the reconstructed state every K
// events, so any position is one checkpoint clone plus fewer than K events away. Stepping
// backwards therefore never replays from the start, and memory grows with events / K.
import { TracePlaces } from './places.js';
import type { TraceEvent } from '../trace/events.js';
import { describeEvent, failingChecks, type DescribeContext } from './describe.js';
import { applyEvent, ReplayState } from './state.js';
import { CODE_MSG_DELIVER, CODE_MSG_SEND, TraceStore } from './trace-store.js';
import { assert } from '../base/assert.js';

export const CHECKPOINT_EVERY_EVENTS = 4096;
/** Bound on events examined when a filter must be searched for (log lines, notable jumps). */
const FILTER_SCAN_MAX_EVENTS = 2_000_000;
/** Bound on applies of one key looked at to show its replicas (a hot key may have many). */
const KEY_APPLIES_SCAN_MAX = 50_000;

export type NotableKind = 'election' | 'fault' | 'stale' | 'violation';
export const NOTABLE_KINDS: readonly NotableKind[] = ['election', 'fault', 'stale', 'violation'];

export interface Notable {
  index: number;
  kind: NotableKind;
}

export type Filter =
  | { kind: 'machine'; name: string }
  | { kind: 'shard'; shard: number }
  | { kind: 'key'; key: string };

export interface KeyIndex {
  shard: number;
  /** Event indices of store.apply for the key, in trace order. */
  applies: number[];
  /** Event indices of store.read for the key. */
  reads: number[];
}

export interface LogLine {
  index: number;
  tUs: number;
  text: string;
  notable: NotableKind | null;
  cursor: boolean;
  /** After the cursor: not happened yet at the cursor. */
  future: boolean;
}

const FAULT_TYPES = new Set([
  'fault',
  'net.cut',
  'net.heal',
  'net.clog',
  'net.rates',
  'machine.crash',
  'machine.restart',
  'machine.pause',
  'machine.resume',
  'clock.skew',
  'disk.slow',
  'disk.lost',
  'store.spike',
  'store.membership',
]);

/** Events too frequent to tell in the log (the cursor line still shows any event). */
const UNTOLD_TYPES = new Set([
  'msg.send',
  'msg.deliver',
  'msg.drop',
  'raft.append',
  'raft.commit',
  'raft.apply',
  'raft.read-request',
  'client.invoke',
  'store.apply',
  'disk.durable',
  'demo.ping',
  'demo.pong',
]);

function told(event: TraceEvent): boolean {
  if (UNTOLD_TYPES.has(event.type)) return false;
  switch (event.type) {
    case 'raft.role':
      // raft.elected follows with the same news.
      return event.role !== 'leader';
    case 'raft.read':
      return !event.ok;
    case 'client.complete':
      return event.outcome !== 'ok';
    case 'store.read':
      return event.stale;
    default:
      return true;
  }
}

export class Replay implements DescribeContext {
  readonly store: TraceStore;
  readonly checkpointEvery: number;
  readonly notables: Notable[] = [];
  /** Event indices the log tells, ascending. */
  readonly story: Int32Array;
  readonly keys = new Map<string, KeyIndex>();
  /** Where machines are (run.start's places, and a replacement's inherited one); null without a topology. */
  readonly places: TracePlaces | null;
  private readonly opKeys = new Map<number, string>();
  private readonly opCompletions = new Map<number, number>();
  private readonly checkpoints: ReplayState[] = [];
  private work: ReplayState;
  private readonly notableAt = new Map<number, NotableKind>();
  private timelineCache: { width: number; marks: (NotableKind | null)[] } | null = null;

  constructor(store: TraceStore, checkpointEvery = CHECKPOINT_EVERY_EVENTS) {
    this.store = store;
    this.checkpointEvery = checkpointEvery;
    const state = new ReplayState(store.names.length, Math.max(1, store.shards));
    const story: number[] = [];
    const lastNotableUs: Record<NotableKind, number> = { election: -1, fault: -1, stale: -1, violation: -1 };
    const note = (index: number, kind: NotableKind, tUs: number, collapse: boolean): void => {
      // Several fault events at one instant (the fault and the cut it makes) are one stop.
      if (collapse && lastNotableUs[kind] === tUs) return;
      lastNotableUs[kind] = tUs;
      this.notables.push({ index, kind });
    };
    let summaryIndex = -1;
    let places: TracePlaces | null = null;
    const n = store.count;
    for (let i = 0; i < n; i++) {
      if (i % checkpointEvery === 0) this.checkpoints.push(state.clone());
      applyEvent(state, store, i);
      const code = store.codes[i]!;
      if (code === CODE_MSG_SEND || code === CODE_MSG_DELIVER) continue;
      const event = store.objects[store.refs[i]!]!;
      const tUs = store.timesUs[i]!;
      if (told(event)) story.push(i);
      if (i === 0) places = TracePlaces.fromStart(event);
      places?.note(event);
      if (FAULT_TYPES.has(event.type)) note(i, 'fault', tUs, true);
      switch (event.type) {
        case 'raft.elected':
          note(i, 'election', tUs, false);
          break;
        case 'store.read':
          this.keyIndex(event.key, event.shard).reads.push(i);
          if (event.stale) note(i, 'stale', tUs, false);
          break;
        case 'store.apply':
          this.keyIndex(event.key, event.shard).applies.push(i);
          break;
        case 'client.invoke':
          this.opKeys.set(event.op, event.key);
          this.keyIndex(event.key, event.shard);
          break;
        case 'client.complete':
          this.opCompletions.set(event.op, i);
          break;
        case 'run.summary':
          summaryIndex = i;
          break;
        default:
          break;
      }
    }
    this.places = places;
    if (summaryIndex >= 0) this.noteViolations(summaryIndex);
    this.notables.sort((a, b) => a.index - b.index || NOTABLE_KINDS.indexOf(a.kind) - NOTABLE_KINDS.indexOf(b.kind));
    for (const nb of this.notables) if (!this.notableAt.has(nb.index)) this.notableAt.set(nb.index, nb.kind);
    this.story = Int32Array.from(story);
    this.work = this.checkpoints[0]?.clone() ?? state.clone();
  }

  get count(): number {
    return this.store.count;
  }

  private keyIndex(key: string, shard: number): KeyIndex {
    let k = this.keys.get(key);
    if (k === undefined) this.keys.set(key, (k = { shard, applies: [], reads: [] }));
    return k;
  }

  /** Places each failing check of the summary where the trace shows it went wrong. */
  private noteViolations(summaryIndex: number): void {
    const summary = this.store.objectAt(summaryIndex);
    if (summary?.type !== 'run.summary') return;
    for (const failing of failingChecks(summary.summary)) {
      const index = this.violationIndex(failing.verdict) ?? summaryIndex;
      this.notables.push({ index, kind: 'violation' });
    }
  }

  private violationIndex(v: Record<string, unknown>): number | undefined {
    const num = (x: unknown): number | undefined => (typeof x === 'number' && Number.isFinite(x) ? x : undefined);
    const obj = (x: unknown): Record<string, unknown> | undefined => (x !== null && typeof x === 'object' && !Array.isArray(x) ? (x as Record<string, unknown>) : undefined);
    const atUs = num(v.atUs) ?? num(v.t);
    if (atUs !== undefined) return this.indexAtTime(atUs);
    const opOf = (x: unknown): number | undefined => num(obj(x)?.op) ?? num(obj(x)?.id);
    const candidates = [
      opOf(obj(v.explanation)?.failing),
      Array.isArray(v.violations) ? opOf(v.violations[0]) : undefined,
      Array.isArray(v.lost) ? opOf(v.lost[0]) : undefined,
    ];
    for (const op of candidates) {
      if (op !== undefined && this.opCompletions.has(op)) return this.opCompletions.get(op);
    }
    const healedUs = num(v.healedAtUs);
    const boundUs = num(v.boundUs);
    if (healedUs !== undefined && boundUs !== undefined) return this.indexAtTime(healedUs + boundUs);
    return undefined;
  }

  /** State after event i (clamped to the trace); a fresh copy the caller may keep. */
  stateAt(i: number): ReplayState {
    const target = Math.max(-1, Math.min(i, this.count - 1));
    const K = this.checkpointEvery;
    const fromCheckpoint = Math.floor((target + 1) / K);
    // Reuse the working state when it is behind the target and no farther than a checkpoint.
    if (!(this.work.index <= target && this.work.index + 1 >= fromCheckpoint * K)) {
      this.work = this.checkpoints[Math.min(fromCheckpoint, this.checkpoints.length - 1)]!.clone();
    }
    for (let j = this.work.index + 1; j <= target; j++) applyEvent(this.work, this.store, j);
    assert(this.work.index === target, () => `replay: stepping to event ${target} left the state at ${this.work.index}`);
    return this.work.clone();
  }

  /** Replays from the start without checkpoints (tests compare it with stateAt). */
  stateAtLinear(i: number): ReplayState {
    const state = new ReplayState(this.store.names.length, Math.max(1, this.store.shards));
    const target = Math.min(i, this.count - 1);
    for (let j = 0; j <= target; j++) applyEvent(state, this.store, j);
    return state;
  }

  /** Index of the last event at or before tUs (0 when tUs is before every event). */
  indexAtTime(tUs: number): number {
    const times = this.store.timesUs;
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (times[mid]! <= tUs) lo = mid + 1;
      else hi = mid;
    }
    return Math.max(0, lo - 1);
  }

  event(i: number): TraceEvent {
    return this.store.event(i);
  }

  describe(i: number): string {
    return describeEvent(this.store.event(i), i, this);
  }

  notableKindAt(i: number): NotableKind | null {
    return this.notableAt.get(i) ?? null;
  }

  // DescribeContext
  readerOf(i: number): string | null {
    // A follower read is served as the request arrives: the event before is that delivery.
    const read = this.store.objectAt(i);
    if (read?.type !== 'store.read' || i === 0 || this.store.codes[i - 1] !== CODE_MSG_DELIVER) return null;
    if (this.store.names[this.store.msgTo[i - 1]!] !== read.machine) return null;
    return this.store.names[this.store.msgFrom[i - 1]!] ?? null;
  }

  keyOfOp(op: number): string | undefined {
    return this.opKeys.get(op);
  }

  /** Does event i concern the filter's machine, shard or key? */
  matches(i: number, filter: Filter | null): boolean {
    if (filter === null) return true;
    const store = this.store;
    const code = store.codes[i]!;
    if (code === CODE_MSG_SEND || code === CODE_MSG_DELIVER) {
      if (filter.kind !== 'machine') return false;
      return store.names[store.msgFrom[i]!] === filter.name || store.names[store.msgTo[i]!] === filter.name;
    }
    const e = store.objects[store.refs[i]!]! as unknown as Record<string, unknown>;
    switch (filter.kind) {
      case 'machine': {
        for (const f of ['machine', 'replica', 'from', 'to', 'servedBy', 'candidate', 'leader']) if (e[f] === filter.name) return true;
        if (Array.isArray(e.links) && e.links.some((l) => Array.isArray(l) && l.includes(filter.name))) return true;
        if (Array.isArray(e.machines) && e.machines.includes(filter.name)) return true;
        if (typeof e.detail === 'string' && new RegExp(`\\b${filter.name}\\b`).test(e.detail)) return true;
        if (e.type === 'store.read') return this.readerOf(i) === filter.name;
        return e.type === 'run.summary';
      }
      case 'shard':
        return e.group === filter.shard || e.shard === filter.shard || e.type === 'run.summary';
      case 'key': {
        if (e.key === filter.key) return true;
        if (e.type === 'client.complete' && typeof e.op === 'number') return this.opKeys.get(e.op) === filter.key;
        return e.type === 'run.summary';
      }
    }
  }

  /** Next (dir 1) or previous (dir -1) notable event from the cursor, of a kind if given. */
  findNotable(cursor: number, dir: 1 | -1, kind: NotableKind | null, filter: Filter | null = null): number | null {
    const list = this.notables;
    // First notable strictly after (or last strictly before) the cursor.
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (dir === 1 ? list[mid]!.index <= cursor : list[mid]!.index < cursor) lo = mid + 1;
      else hi = mid;
    }
    for (let j = dir === 1 ? lo : lo - 1; j >= 0 && j < list.length; j += dir) {
      const nb = list[j]!;
      if (kind !== null && nb.kind !== kind) continue;
      if (!this.matches(nb.index, filter)) continue;
      return nb.index;
    }
    return null;
  }

  /** Notables at or before the cursor, per kind. */
  notablesSoFar(cursor: number): Record<NotableKind, number> {
    const out: Record<NotableKind, number> = { election: 0, fault: 0, stale: 0, violation: 0 };
    for (const nb of this.notables) {
      if (nb.index > cursor) break;
      out[nb.kind]++;
    }
    return out;
  }

  /**
   * Log lines around the cursor: up to `before` told events before it, the cursor's own event,
   * and up to `after` told events after it, each matching the filter.
   */
  logAround(cursor: number, before: number, after: number, filter: Filter | null): LogLine[] {
    const story = this.story;
    let lo = 0;
    let hi = story.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (story[mid]! <= cursor) lo = mid + 1;
      else hi = mid;
    }
    const line = (index: number, cursorLine: boolean): LogLine => ({
      index,
      tUs: this.store.timesUs[index]!,
      text: this.describe(index),
      notable: this.notableKindAt(index),
      cursor: cursorLine,
      future: index > cursor,
    });
    const earlier: LogLine[] = [];
    let scanned = 0;
    for (let j = lo - 1; j >= 0 && earlier.length < before && scanned < FILTER_SCAN_MAX_EVENTS; j--, scanned++) {
      const index = story[j]!;
      if (index === cursor) continue;
      if (this.matches(index, filter)) earlier.push(line(index, false));
    }
    earlier.reverse();
    const later: LogLine[] = [];
    scanned = 0;
    for (let j = lo; j < story.length && later.length < after && scanned < FILTER_SCAN_MAX_EVENTS; j++, scanned++) {
      const index = story[j]!;
      if (this.matches(index, filter)) later.push(line(index, false));
    }
    return [...earlier, line(Math.max(0, Math.min(cursor, this.count - 1)), true), ...later];
  }

  /** Per column of a bar `width` wide, the weightiest notable kind in its time span. */
  timelineMarks(width: number): (NotableKind | null)[] {
    if (this.timelineCache?.width === width) return this.timelineCache.marks;
    const marks: (NotableKind | null)[] = new Array<NotableKind | null>(Math.max(0, width)).fill(null);
    const weight: Record<NotableKind, number> = { stale: 1, election: 2, fault: 3, violation: 4 };
    for (const nb of this.notables) {
      const col = this.columnOf(nb.index, width);
      const cur = marks[col];
      if (cur === null || cur === undefined || weight[nb.kind] > weight[cur]) marks[col] = nb.kind;
    }
    this.timelineCache = { width, marks };
    return marks;
  }

  /** The timeline column an event falls in. */
  columnOf(index: number, width: number): number {
    const durationUs = this.store.durationUs;
    if (durationUs <= 0 || width <= 0) return 0;
    const tUs = this.store.timesUs[Math.max(0, Math.min(index, this.count - 1))]!;
    return Math.min(width - 1, Math.floor((tUs / durationUs) * width));
  }

  /** Keys in natural order (k2 before k10). */
  keyNames(): string[] {
    return [...this.keys.keys()].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  }

  /** The key to inspect when none is chosen: the latest stale read's, else the most written. */
  defaultKey(cursor: number): string | null {
    const staleAt = this.findNotable(cursor + 1, -1, 'stale');
    if (staleAt !== null) {
      const read = this.store.objectAt(staleAt);
      if (read?.type === 'store.read') return read.key;
    }
    let best: string | null = null;
    let bestApplies = -1;
    for (const [key, k] of this.keys) {
      if (k.applies.length > bestApplies) {
        best = key;
        bestApplies = k.applies.length;
      }
    }
    return best;
  }

  /** The applies of a key at or before the cursor, newest first, bounded. */
  appliesBefore(key: string, cursor: number): number[] {
    const k = this.keys.get(key);
    if (k === undefined) return [];
    const end = upperBound(k.applies, cursor);
    const out: number[] = [];
    for (let j = end - 1; j >= 0 && out.length < KEY_APPLIES_SCAN_MAX; j--) out.push(k.applies[j]!);
    return out;
  }

  readsBefore(key: string, cursor: number, count: number): number[] {
    const k = this.keys.get(key);
    if (k === undefined) return [];
    const end = upperBound(k.reads, cursor);
    return k.reads.slice(Math.max(0, end - count), end).reverse();
  }

  /** Checkpoints kept (memory grows with this, not with every state). */
  get checkpointCount(): number {
    return this.checkpoints.length;
  }
}

function upperBound(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
