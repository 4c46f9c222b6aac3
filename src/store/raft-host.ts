// Hosts many Raft groups on one simulated machine (multi-Raft). It is the only place where a
// replica meets the world: it ticks every replica from the machine's local clock, writes persist
// batches to the machine's disk and releases the messages that wait for them only from the
// disk's durability callback, routes incoming messages by group id, reloads every group's durable
// state when the machine's process is booted again after a crash, and stamps trace events.
//
// A machine hosts at most one replica per group at a time; each replica has its own id (see
// store/replica-id.ts), and a message addressed to another replica id of a hosted group (an
// earlier replica of this machine, since dropped) is not delivered to the current one.
//
// Disk layout per replica: `raft/g/hs` (hard state), `raft/g/snap` (snapshot), `raft/g/e/<i>`
// (entry i) for a founding replica, `raft/g@k/...` for incarnation k. Only durable keys are
// read on boot: a crash has already discarded the rest.
import type { RaftConfig } from '../raft/config.js';
import type { ConfChange, ConfState, Entry, HardState, RaftMessage, Snapshot } from '../raft/messages.js';
import { parseRaftMessage, parseRaftMessages, type RaftDataCheck } from '../raft/validate.js';
import {
  RaftReplica,
  type ApplyItem,
  type OutboundMessage,
  type ProposeResult,
  type ReadMode,
  type ReadResult,
} from '../raft/replica.js';
import type { PersistBatch, PersistedState } from '../raft/storage.js';
import type { MachineContext } from '../sim/machine.js';
import type { DiskOp } from '../sim/disk.js';
import type { RaftEvent } from '../trace/events-raft.js';
import { incarnationOf, machineOfReplica } from './replica-id.js';
import { AssertionError } from '../base/assert.js';

/** What travels on the simulated network for Raft. */
export interface RaftPayload {
  readonly kind: 'raft';
  readonly msg: RaftMessage;
}

/**
 * Messages of many groups for one machine, produced in one tick: multi-Raft hosts coalesce
 * them (heartbeats above all) into one network message, as CockroachDB does.
 */
export interface RaftBatchPayload {
  readonly kind: 'raft-batch';
  readonly msgs: readonly RaftMessage[];
  /**
   * Quiescence: (group, term) pairs, flattened, of the quiesced groups the sender leads with a
   * replica on the receiver — sent every beat instead of their heartbeats, so their followers
   * know the leader's machine is alive (absent: none).
   */
  readonly quiet?: readonly number[];
}

function isQuietList(x: unknown): x is readonly number[] {
  if (!Array.isArray(x) || x.length % 2 !== 0) return false;
  for (const v of x) if (!Number.isSafeInteger(v) || v < 0) return false;
  return true;
}

export function isRaftPayload(p: unknown): p is RaftPayload | RaftBatchPayload {
  if (typeof p !== 'object' || p === null) return false;
  const kind = (p as { kind?: unknown }).kind;
  return kind === 'raft' || kind === 'raft-batch';
}

export interface RaftGroupSpec {
  readonly group: number;
  /** This machine's replica of the group (defaults to the founding id, the machine's own). */
  readonly id?: string;
  /** Membership of a brand-new group; null for a replica joining an existing group. */
  readonly bootstrap: ConfState | null;
}

export interface RaftHostHooks {
  /** Committed entries (or a snapshot to restore) of one group, in order, exactly once per boot. */
  onApply?(group: number, items: readonly ApplyItem[]): void;
  onRead?(group: number, result: ReadResult): void;
  /** Every Raft trace event of this machine, after it was emitted (t filled in). */
  onEvent?(event: RaftEvent): void;
}

export interface RaftHostOptions {
  readonly ctx: MachineContext;
  readonly groups: readonly RaftGroupSpec[];
  readonly config: (group: number, id: string) => RaftConfig;
  /** One tick for every group; defaults to the first group's tickIntervalUs. */
  readonly tickIntervalUs?: number;
  readonly hooks?: RaftHostHooks;
  /** The state machine's check of entry and snapshot data in arriving messages (absent: any string). */
  readonly data?: RaftDataCheck;
}

interface Hosted {
  readonly group: number;
  readonly id: string;
  readonly keys: StateKeys;
  readonly replica: RaftReplica;
  readonly heartbeatTicks: number;
  /** Messages waiting for a persist batch, in emission order. */
  held: OutboundMessage[];
  durableBatch: number;
  /** Stored entry range on disk (so truncation and compaction know what to delete). */
  storedFirst: number;
  storedLast: number;
  removed: boolean;
}

export interface RaftHostStats {
  messagesIn: number;
  messagesOut: number;
  batches: number;
  unknownGroup: number;
  /** Messages for an earlier replica of a group hosted here now (dropped, like a closed port). */
  otherReplica: number;
  /** Raft payloads dropped unread because they were not well formed (raft/validate.ts). */
  malformed: number;
}

interface StateKeys {
  /** Prefix of every key of this replica (`raft/g/` or `raft/g@k/`). */
  readonly base: string;
  readonly hs: string;
  readonly snap: string;
  readonly entryPrefix: string;
}

function stateKeys(group: number, id: string): StateKeys {
  const k = incarnationOf(id);
  const base = k === 0 ? `raft/${group}/` : `raft/${group}@${k}/`;
  return { base, hs: `${base}hs`, snap: `${base}snap`, entryPrefix: `${base}e/` };
}

export class RaftHost {
  private readonly ctx: MachineContext;
  private readonly hooks: RaftHostHooks;
  private readonly config: (group: number, id: string) => RaftConfig;
  private readonly groups = new Map<number, Hosted>();
  private readonly tickUs: number;
  private readonly data: RaftDataCheck | undefined;
  private tickTimer = -1;
  /** Ticks since this host started; every heartbeatTicks-th one is the beat its leaders share. */
  private hostTicks = 0;
  /** While ticking, outgoing messages wait here per destination and leave as one batch each. */
  private batch: Map<string, RaftMessage[]> | null = null;
  readonly stats: RaftHostStats = { messagesIn: 0, messagesOut: 0, batches: 0, unknownGroup: 0, otherReplica: 0, malformed: 0 };

  constructor(opts: RaftHostOptions) {
    this.ctx = opts.ctx;
    this.hooks = opts.hooks ?? {};
    this.config = opts.config;
    this.data = opts.data;
    const first = opts.groups[0];
    this.tickUs = opts.tickIntervalUs ?? (first === undefined ? 10_000 : opts.config(first.group, opts.ctx.id).tickIntervalUs);
    for (const spec of opts.groups) this.addGroup(spec);
    this.scheduleTick();
  }

  // ------------------------------------------------------------------ the store's hooks

  /** Start (or, after a crash, reload) this machine's replica of a group. */
  addGroup(spec: RaftGroupSpec): RaftReplica {
    const id = spec.id ?? this.ctx.id;
    if (machineOfReplica(id) !== this.ctx.id) throw new AssertionError(`replica ${id} hosted on ${this.ctx.id}`);
    const existing = this.groups.get(spec.group);
    if (existing !== undefined) {
      if (existing.id !== id) throw new AssertionError(`group ${spec.group} on ${this.ctx.id} already hosts ${existing.id}, not ${id}`);
      return existing.replica;
    }
    const cfg = this.config(spec.group, id);
    if (cfg.group !== spec.group || cfg.id !== id) throw new AssertionError('raft config names another replica');
    const keys = stateKeys(spec.group, id);
    const stored = this.load(spec.group, keys);
    const replica = new RaftReplica({
      config: cfg,
      rng: this.ctx.rng(`raft/${spec.group}`),
      ...(spec.bootstrap !== null && { bootstrap: spec.bootstrap }),
      stored: stored.state,
    });
    const h: Hosted = {
      group: spec.group,
      id,
      keys,
      replica,
      heartbeatTicks: cfg.heartbeatTicks,
      held: [],
      durableBatch: 0,
      storedFirst: stored.first,
      storedLast: stored.last,
      removed: false,
    };
    this.groups.set(spec.group, h);
    this.drain(h);
    return replica;
  }

  /**
   * Stop hosting a group (after its replica was removed from the membership). Returns the disk
   * ops that delete its state, for the caller to write in one atomic batch with its tombstone:
   * state deleted without a durable tombstone could come back after a crash as an empty replica
   * under the old id.
   */
  removeGroup(group: number): DiskOp[] {
    const h = this.groups.get(group);
    if (h === undefined) return [];
    h.removed = true;
    this.groups.delete(group);
    const ops: DiskOp[] = [
      { key: h.keys.hs, value: undefined },
      { key: h.keys.snap, value: undefined },
    ];
    for (let i = h.storedFirst; i <= h.storedLast; i++) ops.push({ key: `${h.keys.entryPrefix}${i}`, value: undefined });
    return ops;
  }

  /**
   * Raft state on this machine's disk (as it sees it, pending writes applied) that belongs to no
   * group hosted here: what a drop or a move should have deleted and did not. Sorted.
   */
  strayKeys(): string[] {
    const bases = new Set<string>();
    for (const h of this.groups.values()) bases.add(h.keys.base);
    return this.ctx.disk.keys('raft/').filter((key) => !bases.has(key.slice(0, key.indexOf('/', 'raft/'.length) + 1)));
  }

  /** The id of this machine's replica of `group` (undefined when not hosted). */
  replicaId(group: number): string | undefined {
    return this.groups.get(group)?.id;
  }

  hasGroup(group: number): boolean {
    return this.groups.has(group);
  }

  groupIds(): number[] {
    return [...this.groups.keys()];
  }

  replica(group: number): RaftReplica | undefined {
    return this.groups.get(group)?.replica;
  }

  /** The machine this machine believes leads `group` (null when unknown or not hosted). */
  leaderOf(group: number): string | null {
    const leader = this.groups.get(group)?.replica.leader ?? null;
    return leader === null ? null : machineOfReplica(leader);
  }

  isLeader(group: number): boolean {
    return this.groups.get(group)?.replica.role === 'leader';
  }

  propose(group: number, data: string): ProposeResult {
    const h = this.groups.get(group);
    if (h === undefined) return { ok: false, leaderHint: null, reason: 'no-such-group' };
    const r = h.replica.propose(data);
    this.drain(h);
    return r;
  }

  /** Answer arrives through hooks.onRead (possibly within this call). */
  read(group: number, requestId: string, mode: ReadMode): void {
    const h = this.groups.get(group);
    if (h === undefined) {
      this.hooks.onRead?.(group, { requestId, ok: false, leaderHint: null, reason: 'no-such-group' });
      return;
    }
    h.replica.read(requestId, mode, this.ctx.localNowUs());
    this.drain(h);
  }

  proposeConfChange(group: number, change: ConfChange): ProposeResult {
    const h = this.groups.get(group);
    if (h === undefined) return { ok: false, leaderHint: null, reason: 'no-such-group' };
    const r = h.replica.proposeConfChange(change);
    this.drain(h);
    return r;
  }

  transferLeadership(group: number, to: string): boolean {
    const h = this.groups.get(group);
    if (h === undefined) return false;
    const ok = h.replica.transferLeadership(to);
    this.drain(h);
    return ok;
  }

  /** The state machine of `group` has a snapshot through `index`. */
  compact(group: number, index: number, data: string): void {
    const h = this.groups.get(group);
    if (h === undefined) return;
    h.replica.compact(index, data);
    this.drain(h);
  }

  /**
   * Route a network payload; returns false when it is not a Raft payload. A Raft payload that is
   * not well formed is dropped whole and counted (`stats.malformed`), and nothing else happens.
   */
  onMessage(from: string, payload: unknown): boolean {
    if (!isRaftPayload(payload)) return false;
    if (payload.kind === 'raft') {
      const m = parseRaftMessage(payload.msg, this.data);
      if (m === null) this.stats.malformed += 1;
      else this.stepOne(m);
      return true;
    }
    // A batch with one bad message is refused whole, before any of it is stepped.
    const msgs = parseRaftMessages(payload.msgs, this.data);
    const quiet = payload.quiet;
    if (msgs === null || (quiet !== undefined && !isQuietList(quiet))) {
      this.stats.malformed += 1;
      return true;
    }
    // The answers to a batch go back as a batch too.
    const outer = this.batch;
    if (outer === null) this.batch = new Map();
    for (const m of msgs) this.stepOne(m);
    if (outer === null) this.flushBatch();
    if (quiet !== undefined) this.touchQuiet(from, quiet);
    return true;
  }

  /** The beat of machine `from` names quiesced groups it leads: their replicas here stay quiet. */
  private touchQuiet(from: string, quiet: readonly number[]): void {
    for (let i = 0; i < quiet.length; i += 2) {
      const h = this.groups.get(quiet[i]!);
      const leader = h?.replica.leader ?? null;
      if (h !== undefined && leader !== null && machineOfReplica(leader) === from) h.replica.touchQuiet(quiet[i + 1]!);
    }
  }

  private stepOne(m: RaftMessage): void {
    const h = this.groups.get(m.group);
    if (h === undefined) {
      this.stats.unknownGroup += 1;
      return;
    }
    if (h.id !== m.to) {
      this.stats.otherReplica += 1;
      return;
    }
    this.stats.messagesIn += 1;
    h.replica.step(m);
    this.drain(h);
  }

  // ------------------------------------------------------------------ plumbing

  private scheduleTick(): void {
    this.tickTimer = this.ctx.setTimer(this.tickUs, () => {
      const nowUs = this.ctx.localNowUs();
      this.hostTicks += 1;
      this.batch = new Map();
      let quiet: Map<string, number[]> | null = null;
      for (const h of this.groups.values()) {
        // Groups share the cluster's heartbeat interval, so their beats fall on the same ticks.
        const beat = this.hostTicks % h.heartbeatTicks === 0;
        h.replica.tick(nowUs, beat);
        this.drain(h);
        const peers = beat ? h.replica.quietPeers() : null;
        if (peers === null) continue;
        quiet ??= new Map();
        for (const peer of peers) {
          const machine = machineOfReplica(peer);
          let list = quiet.get(machine);
          if (list === undefined) quiet.set(machine, (list = []));
          list.push(h.group, h.replica.currentTerm);
        }
      }
      this.flushBatch(quiet);
      this.scheduleTick();
    });
  }

  private flushBatch(quiet: Map<string, number[]> | null = null): void {
    const batch = this.batch;
    this.batch = null;
    if (batch === null) return;
    for (const [to, msgs] of batch) {
      // `to` is a machine: a batch carries messages for any replica hosted there.
      const names = quiet?.get(to);
      if (names !== undefined) {
        quiet!.delete(to);
        this.ctx.send(to, { kind: 'raft-batch', msgs, quiet: names } satisfies RaftBatchPayload, 'raft.batch');
      } else if (msgs.length === 1) this.ctx.send(to, { kind: 'raft', msg: msgs[0]! } satisfies RaftPayload, `raft.${msgs[0]!.type}`);
      else this.ctx.send(to, { kind: 'raft-batch', msgs } satisfies RaftBatchPayload, 'raft.batch');
    }
    // Machines with only quiet groups to name this beat.
    if (quiet !== null) for (const [to, names] of quiet) this.ctx.send(to, { kind: 'raft-batch', msgs: [], quiet: names } satisfies RaftBatchPayload, 'raft.quiet');
  }

  /** Stop ticking (the process is being replaced). */
  stop(): void {
    if (this.tickTimer >= 0) this.ctx.cancelTimer(this.tickTimer);
    this.tickTimer = -1;
  }

  private drain(h: Hosted): void {
    const rd = h.replica.ready();
    if (rd.persist !== null) this.write(h, rd.persist);
    for (const out of rd.messages) {
      if (out.afterBatch > h.durableBatch) h.held.push(out);
      else this.send(out.msg);
    }
    for (const e of rd.events) this.emit(e);
    if (rd.apply.length > 0) this.hooks.onApply?.(h.group, rd.apply);
    for (const r of rd.reads) this.hooks.onRead?.(h.group, r);
  }

  private send(msg: RaftMessage): void {
    this.stats.messagesOut += 1;
    const machine = machineOfReplica(msg.to);
    if (this.batch !== null) {
      let list = this.batch.get(machine);
      if (list === undefined) this.batch.set(machine, (list = []));
      list.push(msg);
      return;
    }
    const payload: RaftPayload = { kind: 'raft', msg };
    this.ctx.send(machine, payload, `raft.${msg.type}`);
  }

  private emit(event: RaftEvent): void {
    this.ctx.emit(event);
    this.hooks.onEvent?.(event);
  }

  private write(h: Hosted, batch: PersistBatch): void {
    const k = h.keys;
    const ops: DiskOp[] = [];
    if (batch.snapshot !== null) {
      ops.push({ key: k.snap, value: batch.snapshot });
      for (let i = h.storedFirst; i <= Math.min(batch.snapshot.index, h.storedLast); i++) ops.push({ key: `${k.entryPrefix}${i}`, value: undefined });
      h.storedFirst = Math.max(h.storedFirst, batch.snapshot.index + 1);
      if (h.storedLast < batch.snapshot.index) h.storedLast = batch.snapshot.index;
    }
    if (batch.truncateFrom !== null) {
      const lastKept = batch.truncateFrom - 1;
      for (let i = Math.max(batch.truncateFrom, h.storedFirst); i <= h.storedLast; i++) ops.push({ key: `${k.entryPrefix}${i}`, value: undefined });
      h.storedLast = Math.min(h.storedLast, lastKept);
    }
    for (const e of batch.entries) ops.push({ key: `${k.entryPrefix}${e.index}`, value: e });
    if (batch.entries.length > 0) h.storedLast = (batch.entries[batch.entries.length - 1] as Entry).index;
    if (batch.hardState !== null) ops.push({ key: k.hs, value: batch.hardState });
    this.stats.batches += 1;
    const id = batch.id;
    this.ctx.disk.write(ops, () => this.durable(h, id));
  }

  private durable(h: Hosted, batchId: number): void {
    if (h.removed) return;
    h.durableBatch = batchId;
    h.replica.persisted(batchId);
    if (h.held.length > 0) {
      const still: OutboundMessage[] = [];
      for (const out of h.held) {
        if (out.afterBatch <= batchId) this.send(out.msg);
        else still.push(out);
      }
      h.held = still;
    }
    this.drain(h);
  }

  private load(g: number, k: StateKeys): { state: PersistedState | null; first: number; last: number } {
    const disk = this.ctx.disk;
    const hs = disk.get(k.hs) as HardState | undefined;
    const snap = disk.get(k.snap) as Snapshot | undefined;
    const base = snap?.index ?? 0;
    const indexes: number[] = [];
    const prefix = k.entryPrefix;
    // What this machine sees now: after a crash that is only the durable state; when a group is
    // hosted again right after being dropped, the drop's deletes may still be in flight.
    for (const k of disk.keys(prefix)) indexes.push(Number(k.slice(prefix.length)));
    indexes.sort((a, b) => a - b);
    const entries: Entry[] = [];
    for (const i of indexes) {
      if (i <= base) continue;
      const e = disk.get(`${prefix}${i}`) as Entry;
      if (e.index !== base + 1 + entries.length) throw new AssertionError(`group ${g} on ${this.ctx.id}: stored log has a hole before ${i}`);
      entries.push(e);
    }
    const first = indexes.length === 0 ? base + 1 : Math.min(indexes[0] as number, base + 1);
    const last = indexes.length === 0 ? base : Math.max(indexes[indexes.length - 1] as number, base);
    if (hs === undefined && snap === undefined && entries.length === 0) return { state: null, first, last };
    return {
      state: { hardState: hs ?? { term: 0, vote: null, commit: 0 }, snapshot: snap ?? null, entries },
      first,
      last,
    };
  }
}
