// A tiny deterministic cluster for multi-replica tests: every message, fsync, tick, crash and
// restart happens only when the test (or a seeded schedule) says so. Each node hosts one
// replica over a MemoryStorage; messages that wait for a persist batch are held until it syncs.
import { RaftInvariantChecker, type RaftCheckName, type RaftViolation } from '../../src/check/raft-invariants.js';
import { confOf, defaultRaftConfig, type RaftConfig } from '../../src/raft/config.js';
import type { Entry, RaftMessage } from '../../src/raft/messages.js';
import { RaftReplica, type ReadResult, type RaftRng } from '../../src/raft/replica.js';
import { MemoryStorage } from '../../src/raft/storage.js';
import type { RaftEvent } from '../../src/trace/events-raft.js';

export class FixedRng implements RaftRng {
  constructor(private readonly pick: 'lo' | 'hi' = 'lo') {}
  int(lo: number, hi: number): number {
    return this.pick === 'lo' ? lo : hi;
  }
}

/** Small seeded generator (mulberry32) for schedules. */
export class TestRng implements RaftRng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

export interface Node {
  id: string;
  replica: RaftReplica | null;
  storage: MemoryStorage;
  held: { msg: RaftMessage; afterBatch: number }[];
  durableBatch: number;
  applied: Entry[];
  reads: ReadResult[];
  clockUs: number;
}

export interface ClusterOptions {
  ids?: string[];
  learners?: string[];
  config?: Partial<RaftConfig>;
  bugs?: string[];
  seed?: number;
  /** Per-node election-timeout draw: always the lowest or highest value (default: seeded). */
  timeouts?: Record<string, 'lo' | 'hi'>;
  /** Throw at the first oracle violation (default true). */
  strict?: boolean;
  /** Oracle checks not to enforce. */
  skipChecks?: RaftCheckName[];
}

export class OracleError extends Error {
  constructor(readonly violation: RaftViolation) {
    super(`${violation.check}: ${violation.message}`);
  }
}

export class Cluster {
  readonly nodes = new Map<string, Node>();
  /** Messages in flight, in send order. */
  net: RaftMessage[] = [];
  readonly events: RaftEvent[] = [];
  readonly oracle: RaftInvariantChecker;
  /** Directed links that drop everything: `${from}>${to}`. */
  readonly cut = new Set<string>();
  nowUs = 0;
  private readonly cfg: (id: string) => RaftConfig;
  private readonly rngs = new Map<string, RaftRng>();
  private readonly bootstrap;
  private readonly strict: boolean;

  constructor(opts: ClusterOptions = {}) {
    const ids = opts.ids ?? ['a', 'b', 'c'];
    const seed = opts.seed ?? 1;
    this.strict = opts.strict ?? true;
    this.oracle = new RaftInvariantChecker({ skip: opts.skipChecks ?? [] });
    this.bootstrap = confOf(ids, opts.learners ?? []);
    this.cfg = (id) => defaultRaftConfig(1, id, { ...opts.config, bugs: new Set(opts.bugs ?? []) });
    let k = 0;
    for (const id of [...ids, ...(opts.learners ?? [])]) {
      const fixed = opts.timeouts?.[id];
      this.rngs.set(id, fixed === undefined ? new TestRng(seed * 1000 + k++) : new FixedRng(fixed));
      this.nodes.set(id, { id, replica: null, storage: new MemoryStorage(), held: [], durableBatch: 0, applied: [], reads: [], clockUs: 0 });
      this.start(id);
    }
  }

  node(id: string): Node {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`no node ${id}`);
    return n;
  }

  r(id: string): RaftReplica {
    const r = this.node(id).replica;
    if (r === null) throw new Error(`${id} is down`);
    return r;
  }

  up(id: string): boolean {
    return this.node(id).replica !== null;
  }

  /** Add a fresh node that knows nothing (for membership tests). */
  addNode(id: string): void {
    this.rngs.set(id, new TestRng(this.rngs.size + 7777));
    this.nodes.set(id, { id, replica: null, storage: new MemoryStorage(), held: [], durableBatch: 0, applied: [], reads: [], clockUs: 0 });
    const n = this.node(id);
    n.replica = new RaftReplica({ config: this.cfg(id), rng: this.rngs.get(id) as RaftRng, stored: null });
    this.drain(id);
  }

  private start(id: string): void {
    const n = this.node(id);
    const stored = n.storage.durable.hardState.term === 0 && n.storage.durable.entries.length === 0 && n.storage.durable.snapshot === null ? null : n.storage.durable;
    n.replica = new RaftReplica({ config: this.cfg(id), rng: this.rngs.get(id) as RaftRng, bootstrap: this.bootstrap, stored });
    n.durableBatch = 0;
    n.applied = [];
    this.drain(id);
  }

  /** Drain a replica's effects into storage, the network and the oracle. */
  drain(id: string): void {
    const n = this.node(id);
    const r = n.replica;
    if (r === null) return;
    const rd = r.ready();
    if (rd.persist !== null) n.storage.write(rd.persist);
    for (const m of rd.messages) {
      if (m.afterBatch > n.durableBatch) n.held.push(m);
      else this.transmit(m.msg);
    }
    for (const a of rd.apply) {
      if (a.kind === 'entry') n.applied.push(a.entry);
      else n.applied = [];
    }
    n.reads.push(...rd.reads);
    for (const e of rd.events) {
      const ev = { ...e, t: this.nowUs } as RaftEvent;
      this.events.push(ev);
      const v = this.oracle.observe(ev);
      if (v !== null && this.strict) throw new OracleError(v);
    }
  }

  private transmit(m: RaftMessage): void {
    if (this.cut.has(`${m.from}>${m.to}`)) return;
    this.net.push(m);
  }

  /** Make `count` pending batches of `id` durable and release what waited on them. */
  sync(id: string, count = Infinity): void {
    const n = this.node(id);
    if (n.replica === null) return;
    const last = n.storage.sync(count);
    if (last === null) return;
    n.durableBatch = last;
    n.replica.persisted(last);
    const still: typeof n.held = [];
    for (const h of n.held) {
      if (h.afterBatch <= last) this.transmit(h.msg);
      else still.push(h);
    }
    n.held = still;
    this.drain(id);
  }

  syncAll(): void {
    for (const id of this.nodes.keys()) this.sync(id);
  }

  tick(id: string, times = 1): void {
    for (let i = 0; i < times; i++) {
      const n = this.node(id);
      if (n.replica === null) return;
      n.clockUs += defaultRaftConfig(1, id).tickIntervalUs;
      n.replica.tick(n.clockUs);
      this.drain(id);
    }
  }

  /** Deliver the message at position i of the network queue (removing it). */
  deliver(i = 0): RaftMessage | null {
    const m = this.net.splice(i, 1)[0];
    if (m === undefined) return null;
    const n = this.nodes.get(m.to);
    if (n === undefined || n.replica === null || this.cut.has(`${m.from}>${m.to}`)) return m;
    n.replica.step(m);
    this.drain(m.to);
    return m;
  }

  /** Deliver everything (syncing disks as needed) until quiet, bounded by `maxSteps`. */
  settle(maxSteps = 10_000): void {
    for (let s = 0; s < maxSteps; s++) {
      if (this.net.length > 0) {
        this.deliver(0);
        continue;
      }
      const pending = [...this.nodes.values()].some((n) => n.replica !== null && n.storage.pending.length > 0);
      if (!pending) return;
      this.syncAll();
    }
    throw new Error('settle did not converge');
  }

  /** Tick everyone round-robin and settle, until `cond` holds (bounded). */
  runUntil(cond: () => boolean, maxRounds = 500): void {
    for (let i = 0; i < maxRounds; i++) {
      if (cond()) return;
      for (const id of this.nodes.keys()) this.tick(id);
      this.settle();
    }
    if (!cond()) throw new Error('runUntil: condition not reached');
  }

  leaders(): string[] {
    return [...this.nodes.values()].filter((n) => n.replica?.role === 'leader').map((n) => n.id);
  }

  leader(): string | null {
    // The leader with the highest term: older ones may not know they are deposed yet.
    let best: RaftReplica | null = null;
    for (const n of this.nodes.values()) {
      const r = n.replica;
      if (r !== null && r.role === 'leader' && (best === null || r.currentTerm > best.currentTerm)) best = r;
    }
    return best === null ? null : best.id;
  }

  crash(id: string): void {
    const n = this.node(id);
    n.storage.crash();
    n.replica = null;
    n.held = [];
    this.net = this.net.filter((m) => m.to !== id);
  }

  restart(id: string): void {
    if (this.up(id)) return;
    this.start(id);
  }

  isolate(id: string): void {
    for (const other of this.nodes.keys()) {
      if (other === id) continue;
      this.cut.add(`${id}>${other}`);
      this.cut.add(`${other}>${id}`);
    }
  }

  partition(...sides: string[][]): void {
    this.cut.clear();
    for (const a of sides) for (const b of sides) {
      if (a === b) continue;
      for (const x of a) for (const y of b) this.cut.add(`${x}>${y}`);
    }
  }

  heal(): void {
    this.cut.clear();
  }

  /** Deliver (syncing disks when the network is empty) until `pred` holds; false if it never did. */
  deliverUntil(pred: () => boolean, maxSteps = 10_000): boolean {
    for (let s = 0; s < maxSteps; s++) {
      if (pred()) return true;
      if (this.net.length > 0) this.deliver(0);
      else {
        const pending = [...this.nodes.values()].some((n) => n.replica !== null && n.storage.pending.length > 0);
        if (!pending) return pred();
        this.syncAll();
      }
    }
    return pred();
  }

  /** Tick only `id` until it campaigns. */
  campaign(id: string): void {
    for (let i = 0; i < 100 && this.r(id).role === 'follower'; i++) this.tick(id);
  }

  /** Make `id` campaign (again, in later terms) until it leads; deliveries stop once it does. */
  elect(id: string, maxTries = 5): boolean {
    for (let t = 0; t < maxTries; t++) {
      const term = this.r(id).currentTerm;
      for (let i = 0; i < 100 && this.r(id).currentTerm === term && this.r(id).role !== 'precandidate'; i++) this.tick(id);
      if (this.deliverUntil(() => this.r(id).role === 'leader')) return true;
    }
    return false;
  }

  /** Number of leader elections observed (raft.elected events). */
  elections(): number {
    return this.events.filter((e) => e.type === 'raft.elected').length;
  }
}

/**
 * A seeded random fault schedule: ticks, deliveries in random order, drops, duplicates, disk
 * syncs, crashes (losing unsynced writes), restarts, partitions and heals, with proposals and
 * reads mixed in. Returns the oracle's verdict; assertion errors propagate.
 */
export interface ScheduleOptions {
  steps: number;
  crash?: number;
  partition?: number;
  drop?: number;
  duplicate?: number;
  readMode?: 'index' | 'lease';
  compact?: number;
  /** Deliveries pick among the oldest this many messages (default 4): larger = more reordering. */
  reorderWindow?: number;
  /** Per-node clock rate (1 = exact) to model drift. */
  clockRates?: Record<string, number>;
}

export function randomSchedule(c: Cluster, seed: number, o: ScheduleOptions): RaftViolation | null {
  const rng = new TestRng(seed ^ 0x5bd1e995);
  const ids = [...c.nodes.keys()];
  let proposal = 0;
  let read = 0;
  const tickUs = defaultRaftConfig(1, 'x').tickIntervalUs;
  for (let step = 0; step < o.steps && c.oracle.violation === null; step++) {
    c.nowUs += 1000;
    // Ticks follow each node's own clock, which may run fast or slow.
    for (const id of ids) {
      const n = c.node(id);
      if (n.replica === null) continue;
      const rate = o.clockRates?.[id] ?? 1;
      const localNow = Math.floor(c.nowUs * rate);
      while (n.clockUs + tickUs <= localNow) {
        n.clockUs += tickUs;
        n.replica.tick(n.clockUs);
        c.drain(id);
      }
    }
    const roll = rng.next();
    if (roll < (o.crash ?? 0)) {
      const id = ids[rng.int(0, ids.length - 1)] as string;
      if (c.up(id)) c.crash(id);
      else c.restart(id);
    } else if (roll < (o.crash ?? 0) + (o.partition ?? 0)) {
      if (c.cut.size > 0 && rng.chance(0.5)) c.heal();
      else {
        const shuffled = [...ids];
        const k = rng.int(1, ids.length - 1);
        for (let i = shuffled.length - 1; i > 0; i--) {
          const j = rng.int(0, i);
          [shuffled[i], shuffled[j]] = [shuffled[j] as string, shuffled[i] as string];
        }
        c.partition(shuffled.slice(0, k), shuffled.slice(k));
      }
    }
    // Compaction now and then, so snapshots and InstallSnapshot run too.
    if (o.compact !== undefined && rng.chance(o.compact)) {
      const id = ids[rng.int(0, ids.length - 1)] as string;
      const r = c.node(id).replica;
      if (r !== null && r.appliedIndex > r.snapshotIndex + 3) {
        r.compact(r.appliedIndex - 1, `state@${r.appliedIndex - 1}`);
        c.drain(id);
      }
    }
    // Restart crashed nodes eventually.
    for (const id of ids) if (!c.up(id) && rng.chance(0.05)) c.restart(id);
    // Client traffic at the believed leader.
    const l = c.leader();
    if (l !== null && rng.chance(0.3)) {
      c.r(l).propose(`v${proposal++}`);
      c.drain(l);
    }
    if (rng.chance(0.3)) {
      const target = l !== null && rng.chance(0.8) ? l : (ids[rng.int(0, ids.length - 1)] as string);
      if (c.up(target)) {
        const n = c.node(target);
        const rate = o.clockRates?.[target] ?? 1;
        c.r(target).read(`r${read++}`, o.readMode ?? 'index', Math.max(n.clockUs, Math.floor(c.nowUs * rate)));
        c.drain(target);
      }
    }
    // Network and disks: a few random actions per millisecond.
    const actions = rng.int(0, 6);
    for (let a = 0; a < actions; a++) {
      const pick = rng.next();
      if (pick < 0.6 && c.net.length > 0) {
        const i = rng.int(0, Math.min(c.net.length - 1, (o.reorderWindow ?? 4) - 1));
        if (rng.chance(o.drop ?? 0)) c.net.splice(i, 1);
        else {
          const m = c.net[i] as RaftMessage;
          if (rng.chance(o.duplicate ?? 0)) c.net.push(m);
          c.deliver(i);
        }
      } else {
        const id = ids[rng.int(0, ids.length - 1)] as string;
        c.sync(id, 1);
      }
    }
  }
  return c.oracle.violation;
}
