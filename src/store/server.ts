// A store server: the process on one simulated machine. Its RaftHost runs one Raft replica
// per shard the ring places here (multi-Raft: ticks from the local clock, persist-before-send
// through the disk, reload after a crash); the server applies committed puts to a KV state
// machine per shard and answers client requests at every read level. A crash loses this
// object; the restart builds a new server that the host reloads from what was durable.
import type { ReadLevel } from '../history/op.js';
import { confOf, type RaftConfig } from '../raft/config.js';
import type { ApplyItem, RaftReplica, ReadResult } from '../raft/replica.js';
import { RaftHost } from './raft-host.js';
import type { MachineContext, Process } from '../sim/machine.js';
import { KvStateMachine, decodeCommand, encodeCommand, type KvSnapshot } from './kv.js';
import {
  isAdminRequest,
  isClientRequest,
  isFreshnessAnswer,
  isFreshnessQuery,
  KV_DATA_CHECK,
  kindOf,
  type AdminReply,
  type AdminRequest,
  type ClientReply,
  type ClientRequest,
  type FreshnessAnswer,
  type FreshnessQuery,
  type LoadReport,
  type ShardStatus,
} from './protocol.js';
import { NOT_A_REPLICA, type Router } from './client.js';
import { incarnationOf, machineOfReplica, replicaIdOf } from './replica-id.js';
import type { DiskOp } from '../sim/disk.js';
import { storeBugOn } from './bugs.js';
import { AssertionError } from '../base/assert.js';

/** How often a server reports its follower-level reads to the placement driver (read autoscaling). */
export const DEFAULT_LOAD_REPORT_EVERY_US = 500_000;

export interface ServerEnv {
  /** The placement the cluster was founded with (the founding members of every shard). */
  ring: Router;
  /** Founding non-voting members (read replicas by zone) of a shard, beside the ring's voters. */
  foundingLearnersOf?(shard: number): readonly string[];
  /** The placement driver's machine, if membership is managed (load reports go there). */
  placementDriver?: string;
  loadReportEveryUs?: number;
  /** Service time of one read on a machine (a CPU model: reads queue behind each other); 0 = instant. */
  readServiceUs?: number;
  raftConfig(group: number, id: string): RaftConfig;
  /** Compact a replica's log once this many entries were applied since its last snapshot. */
  snapshotEvery: number;
  bugs: ReadonlySet<string>;
  /** Observer hooks (white-box, for trace annotations only; never read by the protocol). */
  observer?: {
    applied(shard: number, key: string, value: string, index: number): void;
    versionsBehind(key: string, version: number): number;
    /** A payload this machine dropped as not well formed (`kind`: its kind, or its type). */
    malformed?(machine: string, kind: string, payload: unknown): void;
  };
}


/**
 * Disk keys the server itself keeps, per shard:
 *   store/hosted/S       the id of the replica hosted on a `host` request (absent: none, or the
 *                        founding replica);
 *   store/incarnation/S  the last incarnation handed out here (ids are never reused);
 *   store/dropped/S      tombstone: the id of the last replica dropped here. A founding replica
 *                        comes back on boot only while there is none.
 * A drop deletes the replica's state, its hosted key and writes the tombstone in one atomic
 * disk batch, so a crash leaves either the whole replica or none of it.
 */
const HOSTED_PREFIX = 'store/hosted/';
const INCARNATION_PREFIX = 'store/incarnation/';
const DROPPED_PREFIX = 'store/dropped/';

interface PutWaiter {
  opId: number;
  from: string;
  reqId: number;
}

interface ReadWaiter {
  from: string;
  req: ClientRequest;
  /** Serve once the replica has applied through this index. */
  index: number;
}

/** Bounds on work queued per replica; beyond them requests are refused (the client retries). */
const PUT_WAITERS_MAX = 10_000;
const READ_WAITERS_MAX = 10_000;

/**
 * Freshness queries for bounded reads (see FreshnessQuery). While reads wait for freshness, the
 * replica asks again whenever its newest query is this share of the tightest waiting bound old
 * without having made it fresh: a query or answer the network lost, a query sent to a replica
 * no longer leading (it drops it), or none sent at all because no leader was known. So a read
 * waiting its whole bound asks at most FRESH_ASKS_PER_BOUND + 1 times.
 */
const FRESH_ASKS_PER_BOUND = 2;
/** Floor on the interval between those asks: a tiny bound does not flood the leader. */
const FRESH_ASK_EVERY_MIN_US = 10_000;
/** Bound on the queries kept waiting for an answer: an ask does not discard the ones before it,
 * so an answer slower than the interval still counts when it comes. */
const FRESH_QUERIES_MAX = 4;

/** A freshness query asked by this replica: id, local send time, and the answer once it came. */
interface FreshQuery {
  qid: number;
  sentLocalUs: number;
  index: number | null;
}

/** What a held request waits for: a read index from Raft, the replica to apply far enough, a
 * bounded read's freshness, a put's entry to apply, a follower's freshness query's read index. */
export type HeldKind = 'read-index' | 'read-apply' | 'bounded' | 'put' | 'freshness';

/** This machine's replica of one shard: its state machine and the requests waiting on it. */
export class ShardReplica {
  readonly kv = new KvStateMachine();
  /** Leader side: puts proposed here, by log index, and the index each op was proposed at. */
  private readonly putsByIndex = new Map<number, PutWaiter[]>();
  private readonly putsByOp = new Map<number, number>();
  /** Reads waiting for a read index to be confirmed (by request id) or applied. */
  private readonly readsPending = new Map<string, { from: string; req: ClientRequest }>();
  private readonly readsWaiting: ReadWaiter[] = [];
  /** Bounded reads that found this replica staler than their bound: served once a freshness
   * answer makes it fresh enough, refused at `giveUpLocalUs` (the bound, from arrival). */
  private readonly boundedWaiting: { from: string; req: ClientRequest; boundUs: number; giveUpLocalUs: number }[] = [];
  private boundedTimer = -1;
  private boundedTimerAtLocalUs = Infinity;
  lastSnapshotIndex = 0;
  compactScheduled = false;
  /** Local time as of which this replica has applied everything committed (bounded reads). */
  freshAtLocalUs = -Infinity;
  /** Freshness queries asked and not yet of use, oldest first (at most FRESH_QUERIES_MAX). */
  private readonly freshQueries: FreshQuery[] = [];
  /** Re-asks freshness while bounded reads wait (askWhileWaiting); -1 when not armed. */
  private freshAskTimer = -1;
  /** Leader side: freshness queries waiting for their ReadIndex round, by request id. */
  private readonly freshPending = new Map<string, { from: string; qid: number; sent: number }>();
  wasLeader = false;

  constructor(
    readonly shard: number,
    private readonly server: StoreServer,
  ) {}

  /** Every client request (and freshness query) this replica holds unanswered, with what it waits for. */
  forEachHeld(visit: (kind: HeldKind, entry: object) => void): void {
    for (const e of this.readsPending.values()) visit('read-index', e);
    for (const e of this.readsWaiting) visit('read-apply', e);
    for (const e of this.boundedWaiting) visit('bounded', e);
    for (const list of this.putsByIndex.values()) for (const e of list) visit('put', e);
    for (const e of this.freshPending.values()) visit('freshness', e);
  }

  get raft(): RaftReplica {
    const r = this.server.host.replica(this.shard);
    if (r === undefined) throw new AssertionError(`shard ${this.shard} is not hosted on ${this.server.ctx.id}`);
    return r;
  }

  // A put's life, all here: proposed (or joined, for a retry of the same op) while leader,
  // answered when its entry applies (ok, or unknown if another entry took its index), when a
  // snapshot covers it, or when leadership is lost.

  /** Proposes a put as leader, or waits on the entry already proposed for the same op. */
  propose(from: string, req: ClientRequest): void {
    const server = this.server;
    const pendingIndex = this.putsByOp.get(req.opId);
    if (pendingIndex !== undefined) {
      // A retry of a put already proposed here: wait for the same entry.
      const waiters = this.putsByIndex.get(pendingIndex);
      if (waiters === undefined) throw new AssertionError(`put op ${req.opId} waits on index ${pendingIndex}, which has no waiters`);
      waiters.push({ opId: req.opId, from, reqId: req.reqId });
      return;
    }
    if (this.putsByOp.size >= PUT_WAITERS_MAX) return server.refuse(from, req, 'unavailable', 'too many pending writes', this);
    const result = server.host.propose(this.shard, encodeCommand({ type: 'put', opId: req.opId, key: req.key, value: req.value ?? '' }));
    if (!result.ok) {
      return server.reply(from, { kind: 'reply', reqId: req.reqId, status: 'not-leader', reason: result.reason, ...(result.leaderHint !== null && { leaderHint: machineOfReplica(result.leaderHint) }) });
    }
    this.putsByIndex.set(result.index, [{ opId: req.opId, from, reqId: req.reqId }]);
    this.putsByOp.set(req.opId, result.index);
  }

  /** A linearizable or lease read as leader: confirmed by Raft, then served once applied. */
  readAsLeader(from: string, req: ClientRequest, requestId: string, mode: 'lease' | 'index'): void {
    if (this.readsPending.size >= READ_WAITERS_MAX) return this.server.refuse(from, req, 'unavailable', 'too many pending reads', this);
    this.readsPending.set(requestId, { from, req });
    this.server.host.read(this.shard, requestId, mode);
  }

  /** A read served once this replica has applied through `index` (session reads). */
  readWhenApplied(from: string, req: ClientRequest, index: number): void {
    if (this.readsWaiting.length >= READ_WAITERS_MAX) return this.server.refuse(from, req, 'unavailable', 'too many waiting reads', this);
    this.readsWaiting.push({ from, req, index });
  }

  /**
   * A bounded read at a replica not known fresh within the bound: wait (at most the bound) for
   * the freshness query already asked, instead of refusing at once — an idle replica has
   * nothing to make it fresh before the client's retry, which would find it stale again.
   */
  readWhenFresh(from: string, req: ClientRequest, boundUs: number): void {
    if (this.boundedWaiting.length >= READ_WAITERS_MAX) return this.server.refuse(from, req, 'unavailable', 'too many waiting reads', this);
    const now = this.server.ctx.localNowUs();
    this.boundedWaiting.push({ from, req, boundUs, giveUpLocalUs: now + boundUs });
    if (now + boundUs < this.boundedTimerAtLocalUs) {
      if (this.boundedTimer >= 0) this.server.ctx.cancelTimer(this.boundedTimer);
      this.armBoundedTimer(boundUs);
    }
    // This read's bound may be the tightest now: decide the next ask again.
    if (this.freshAskTimer >= 0) this.server.ctx.cancelTimer(this.freshAskTimer);
    this.freshAskTimer = -1;
    this.askWhileWaiting();
  }

  /**
   * While bounded reads wait, asks the leader again once the newest query is a share of the
   * tightest bound old (FRESH_ASKS_PER_BOUND), on a timer: nothing else would ask before the
   * next read arrives, and in a quiesced group nothing else makes this replica fresh. Stops
   * when no read waits (served or given up).
   */
  private askWhileWaiting(): void {
    const ctx = this.server.ctx;
    const now = ctx.localNowUs();
    let boundMinUs = Infinity;
    for (const w of this.boundedWaiting) if (w.giveUpLocalUs > now) boundMinUs = Math.min(boundMinUs, w.boundUs);
    if (boundMinUs === Infinity) return;
    const everyUs = Math.max(FRESH_ASK_EVERY_MIN_US, Math.floor(boundMinUs / FRESH_ASKS_PER_BOUND));
    if (now - this.newestFreshQuerySentLocalUs() >= everyUs) this.server.askFreshness(this);
    // The next ask is due an interval after the newest query, or after now if none went out
    // within the interval (no leader known yet).
    const newestLocalUs = this.newestFreshQuerySentLocalUs();
    const dueLocalUs = now - newestLocalUs < everyUs ? newestLocalUs + everyUs : now + everyUs;
    this.freshAskTimer = ctx.setTimer(Math.max(1, dueLocalUs - now), () => {
      this.freshAskTimer = -1;
      // A replica dropped from this machine asks nothing more.
      if (this.server.replicas.get(this.shard) === this) this.askWhileWaiting();
    });
  }

  /** The local send time of the newest freshness query still waiting (-Infinity: none). */
  newestFreshQuerySentLocalUs(): number {
    return this.freshQueries.at(-1)?.sentLocalUs ?? -Infinity;
  }

  /** Records a freshness query just sent; the oldest waiting one gives way beyond the bound. */
  addFreshQuery(qid: number, sentLocalUs: number): void {
    this.freshQueries.push({ qid, sentLocalUs, index: null });
    if (this.freshQueries.length > FRESH_QUERIES_MAX) this.freshQueries.shift();
  }

  /**
   * An answer to one of this replica's freshness queries: the index its leader confirmed. The
   * id alone is not enough — ids start again at 1 after a restart (see FreshnessQuery.sent).
   */
  onFreshAnswer(qid: number, sentLocalUs: number, index: number): void {
    const q = this.freshQueries.find((f) => f.qid === qid && f.sentLocalUs === sentLocalUs);
    if (q === undefined) return;
    q.index = index;
    this.serveWaitingReads();
  }

  private armBoundedTimer(delayUs: number): void {
    const ctx = this.server.ctx;
    this.boundedTimerAtLocalUs = ctx.localNowUs() + Math.max(1, delayUs);
    this.boundedTimer = ctx.setTimer(Math.max(1, delayUs), () => {
      this.boundedTimer = -1;
      this.boundedTimerAtLocalUs = Infinity;
      const now = this.server.ctx.localNowUs();
      let kept = 0;
      let next = Infinity;
      for (const w of this.boundedWaiting) {
        if (w.giveUpLocalUs <= now) this.server.refuse(w.from, w.req, 'unavailable', 'staler than the bound', this);
        else {
          this.boundedWaiting[kept++] = w;
          next = Math.min(next, w.giveUpLocalUs);
        }
      }
      this.boundedWaiting.length = kept;
      if (kept > 0) this.armBoundedTimer(next - now);
    });
  }

  /** Leader side: a follower's freshness query, answered with the index a ReadIndex round confirms. */
  confirmFreshness(asker: string, qid: number, sent: number): void {
    if (this.freshPending.size >= READ_WAITERS_MAX) return;
    const requestId = `fresh/${asker}/${qid}/${sent}`;
    // A duplicated query (the network may deliver twice) is already being confirmed.
    if (this.freshPending.has(requestId)) return;
    this.freshPending.set(requestId, { from: asker, qid, sent });
    this.server.host.read(this.shard, requestId, 'index');
  }

  /** Committed entries (or a snapshot) from Raft, in order, exactly once. */
  onApply(items: readonly ApplyItem[]): void {
    const ctx = this.server.ctx;
    for (const item of items) {
      if (item.kind === 'snapshot') {
        this.kv.restore(item.snapshot.data === '' ? { appliedIndex: item.snapshot.index, entries: [], applied: [] } : (JSON.parse(item.snapshot.data) as KvSnapshot));
        this.kv.appliedIndex = item.snapshot.index;
        this.lastSnapshotIndex = Math.max(this.lastSnapshotIndex, item.snapshot.index);
        this.failWaitersUpTo(item.snapshot.index);
        continue;
      }
      const entry = item.entry;
      const command = entry.kind === 'normal' ? decodeCommand(entry.data) : undefined;
      const at = this.kv.apply(entry.index, command);
      if (command !== undefined && at === entry.index) {
        this.server.env.observer?.applied(this.shard, command.key, command.value, entry.index);
        ctx.emit({ t: 0, type: 'store.apply', machine: ctx.id, shard: this.shard, index: entry.index, key: command.key, value: command.value, op: command.opId });
      } else if (command !== undefined && at !== undefined) {
        ctx.emit({ t: 0, type: 'store.duplicate', machine: ctx.id, shard: this.shard, index: entry.index, firstIndex: at, key: command.key, op: command.opId });
      }
      const waiters = this.putsByIndex.get(entry.index);
      if (waiters !== undefined) {
        this.putsByIndex.delete(entry.index);
        for (const w of waiters) {
          this.putsByOp.delete(w.opId);
          // The entry at this index is ours only if it carries our op; else ours was overwritten.
          if (command !== undefined && command.opId === w.opId) this.server.reply(w.from, { kind: 'reply', reqId: w.reqId, status: 'ok', index: at! });
          else this.server.reply(w.from, { kind: 'reply', reqId: w.reqId, status: 'unknown', reason: 'overwritten' });
        }
      }
    }
    this.serveWaitingReads();
    this.maybeCompact();
  }

  /** A read index confirmed (or refused) by Raft. */
  onRead(r: ReadResult): void {
    const fresh = this.freshPending.get(r.requestId);
    if (fresh !== undefined) {
      this.freshPending.delete(r.requestId);
      if (r.ok) this.server.answerFreshness(this, fresh.from, fresh.qid, fresh.sent, r.index);
      return;
    }
    const pending = this.readsPending.get(r.requestId);
    if (pending === undefined) return;
    this.readsPending.delete(r.requestId);
    if (r.ok) {
      this.readsWaiting.push({ from: pending.from, req: pending.req, index: r.index });
      this.serveWaitingReads();
    } else {
      this.server.reply(pending.from, { kind: 'reply', reqId: pending.req.reqId, status: 'not-leader', ...(r.leaderHint !== null && { leaderHint: machineOfReplica(r.leaderHint) }), reason: r.reason });
    }
  }

  /** Role changes: a leader that steps down answers what it can no longer finish. */
  onRole(role: string): void {
    const leaderNow = role === 'leader';
    if (this.wasLeader && !leaderNow) this.lostLeadership();
    this.wasLeader = leaderNow;
  }

  private maybeCompact(): void {
    if (this.compactScheduled || this.kv.appliedIndex - this.lastSnapshotIndex < this.server.env.snapshotEvery) return;
    // Not from inside Raft's apply callback: compact on a fresh event.
    this.compactScheduled = true;
    this.server.ctx.setTimer(0, () => {
      this.compactScheduled = false;
      const applied = this.kv.appliedIndex;
      if (applied - this.lastSnapshotIndex < this.server.env.snapshotEvery || !this.server.host.hasGroup(this.shard)) return;
      this.lastSnapshotIndex = applied;
      this.server.host.compact(this.shard, applied, JSON.stringify(this.kv.snapshot()));
    });
  }

  private lostLeadership(): void {
    const hint = this.server.host.leaderOf(this.shard);
    for (const waiters of this.putsByIndex.values()) {
      for (const w of waiters) this.server.reply(w.from, { kind: 'reply', reqId: w.reqId, status: 'unknown', reason: 'leadership lost', ...(hint !== null && { leaderHint: hint }) });
    }
    this.putsByIndex.clear();
    this.putsByOp.clear();
  }

  private failWaitersUpTo(index: number): void {
    for (const [i, waiters] of this.putsByIndex) {
      if (i > index) continue;
      for (const w of waiters) {
        const at = this.kv.appliedAt(w.opId);
        this.server.reply(w.from, at !== undefined ? { kind: 'reply', reqId: w.reqId, status: 'ok', index: at } : { kind: 'reply', reqId: w.reqId, status: 'unknown', reason: 'snapshot' });
        this.putsByOp.delete(w.opId);
      }
      this.putsByIndex.delete(i);
    }
  }

  private serveFreshEnough(): void {
    const now = this.server.ctx.localNowUs();
    let kept = 0;
    for (const w of this.boundedWaiting) {
      if (now - this.freshAtLocalUs <= w.boundUs) this.server.serveReadQueued(this, w.from, w.req);
      else this.boundedWaiting[kept++] = w;
    }
    this.boundedWaiting.length = kept;
  }

  serveWaitingReads(): void {
    // The newest answered query applied through makes this replica fresh as of its send time;
    // it and every query before it are done with (an older one could only say less).
    let used = -1;
    for (let i = 0; i < this.freshQueries.length; i++) {
      const q = this.freshQueries[i]!;
      if (q.index !== null && this.kv.appliedIndex >= q.index) used = i;
    }
    if (used >= 0) {
      this.freshAtLocalUs = Math.max(this.freshAtLocalUs, this.freshQueries[used]!.sentLocalUs);
      this.freshQueries.splice(0, used + 1);
      if (this.boundedWaiting.length > 0) this.serveFreshEnough();
    }
    if (this.readsWaiting.length === 0) return;
    let kept = 0;
    for (let i = 0; i < this.readsWaiting.length; i++) {
      const w = this.readsWaiting[i]!;
      if (this.kv.appliedIndex >= w.index) this.server.serveRead(this, w.from, w.req);
      else this.readsWaiting[kept++] = w;
    }
    this.readsWaiting.length = kept;
  }
}

export class StoreServer implements Process {
  readonly replicas = new Map<number, ShardReplica>();
  readonly host: RaftHost;
  private nextReadId = 1;
  private nextFreshId = 1;
  /** Store payloads dropped unread because they were not well formed (protocol.ts). */
  private malformedStore = 0;

  constructor(
    readonly ctx: MachineContext,
    readonly env: ServerEnv,
  ) {
    const joined = ctx.disk.keys(HOSTED_PREFIX).map((k) => Number(k.slice(HOSTED_PREFIX.length)));
    const founding = this.shardsHere().filter((shard) => !joined.includes(shard) && ctx.disk.get(`${DROPPED_PREFIX}${shard}`) === undefined);
    for (const shard of [...founding, ...joined]) this.replicas.set(shard, new ShardReplica(shard, this));
    this.host = new RaftHost({
      ctx,
      // The founding membership is the conf at index 0 on every boot, first or restart;
      // conf entries in the log (and snapshots) take precedence over it. A replica that joined
      // later has no bootstrap: it learns its membership from the leader's log or snapshot.
      groups: [
        ...founding.map((shard) => ({ group: shard, bootstrap: confOf([...env.ring.replicasOf(shard)], env.foundingLearnersOf?.(shard) ?? []) })),
        ...joined.map((shard) => ({ group: shard, id: this.hostedId(shard), bootstrap: null })),
      ],
      config: env.raftConfig,
      data: KV_DATA_CHECK,
      // Every group ticks at the scenario's raft.tick. Say so: a machine that joins hosts no
      // group yet, and would otherwise fall back to the host's default tick.
      tickIntervalUs: env.raftConfig(0, ctx.id).tickIntervalUs,
      hooks: {
        onApply: (group, items) => this.replicas.get(group)?.onApply(items),
        onRead: (group, result) => this.replicas.get(group)?.onRead(result),
        onEvent: (event) => {
          // The replica's own role change (its id is the machine's only for a founding replica).
          // (While the host is being built it is not assigned yet; those are start events.)
          const host = this.host as RaftHost | undefined;
          if (event.type === 'raft.role' && host !== undefined && event.replica === host.replicaId(event.group)) this.replicas.get(event.group)?.onRole(event.role);
        },
      },
    });
    if (env.placementDriver !== undefined) this.scheduleLoadReport();
  }

  /** Follower-level reads served per shard since the last report (for the read autoscaler). */
  private readonly readsServed = new Map<number, number>();
  /** Local time until which this machine's CPU is busy serving reads (service-time model). */
  private busyUntilLocalUs = 0;

  private scheduleLoadReport(): void {
    const everyUs = this.env.loadReportEveryUs ?? DEFAULT_LOAD_REPORT_EVERY_US;
    this.ctx.setTimer(everyUs, () => {
      const reads: Record<number, number> = {};
      for (const [shard, n] of this.readsServed) reads[shard] = n;
      this.readsServed.clear();
      const report: LoadReport = { kind: 'admin-load', reads, intervalUs: everyUs };
      this.ctx.send(this.env.placementDriver!, report, 'admin-load');
      this.scheduleLoadReport();
    });
  }

  /** The id recorded for a replica hosted on request (asserted: boot only lists recorded ones). */
  private hostedId(shard: number): string {
    const id = this.ctx.disk.get(`${HOSTED_PREFIX}${shard}`);
    if (typeof id !== 'string' || machineOfReplica(id) !== this.ctx.id || incarnationOf(id) < 1) {
      throw new AssertionError(`${this.ctx.id} records no valid replica id for shard ${shard}: ${String(id)}`);
    }
    // A dropped replica never comes back: the hosted one is later than the tombstone's.
    const tomb = this.ctx.disk.get(`${DROPPED_PREFIX}${shard}`);
    if (typeof tomb === 'string' && incarnationOf(tomb) >= incarnationOf(id)) throw new AssertionError(`${this.ctx.id} boots ${id} for shard ${shard} though ${tomb} was dropped`);
    return id;
  }

  private adminReply(to: string, reply: AdminReply): void {
    this.ctx.send(to, reply, `admin-reply.${reply.op}`);
  }

  private onAdmin(from: string, req: AdminRequest): void {
    const replica = this.replicas.get(req.shard);
    const raft = replica !== undefined ? this.host.replica(req.shard) : undefined;
    const done = (ok: boolean, reason: string) =>
      this.adminReply(from, { kind: 'admin-reply', op: req.op as 'conf', shard: req.shard, seq: req.seq, ok, reason });
    const hostDone = (ok: boolean, reason: string, replicaId: string | null) =>
      this.adminReply(from, { kind: 'admin-reply', op: 'host', shard: req.shard, seq: req.seq, ok, reason, replica: replicaId });
    switch (req.op) {
      case 'status': {
        if (raft === undefined || raft.role !== 'leader') {
          this.adminReply(from, { kind: 'admin-reply', op: 'status', shard: req.shard, seq: req.seq, status: null, leaderHint: this.host.leaderOf(req.shard) });
          return;
        }
        const match: Record<string, number> = {};
        for (const peer of [...raft.membership.voters, ...raft.membership.learners]) {
          match[peer] = peer === raft.id ? raft.lastIndex : (raft.progressOf(peer)?.match ?? 0);
        }
        const status: ShardStatus = {
          shard: req.shard,
          leader: raft.id,
          term: raft.currentTerm,
          voters: [...raft.membership.voters],
          learners: [...raft.membership.learners],
          confCommitted: raft.confIndex <= raft.commitIndex,
          confIndex: raft.confIndex,
          commit: raft.commitIndex,
          match,
        };
        this.adminReply(from, { kind: 'admin-reply', op: 'status', shard: req.shard, seq: req.seq, status, leaderHint: this.ctx.id });
        return;
      }
      case 'conf': {
        if (raft === undefined) return done(false, 'not hosted here');
        if (raft.confIndex !== req.confIndex) return done(false, `membership changed since ${req.confIndex} (now ${raft.confIndex})`);
        const r = this.host.proposeConfChange(req.shard, req.change);
        return done(r.ok, r.ok ? `proposed at ${r.index}` : r.reason);
      }
      case 'transfer':
        if (raft === undefined) return done(false, 'not hosted here');
        return done(this.host.transferLeadership(req.shard, req.to), 'transfer');
      case 'host': {
        const current = this.host.replicaId(req.shard);
        // The answer waits for the disk either way: the id it names must survive a crash.
        if (current !== undefined) return this.ctx.disk.write([], () => hostDone(true, 'already hosted', current));
        // A new replica takes the next incarnation on this machine: an id no membership has
        // named, so no stale configuration can count its vote. Id and hosting are remembered
        // on disk (a restart hosts it again), and the id is told to the driver only once durable.
        const incarnation = Math.max(1, Number(this.ctx.disk.get(`${INCARNATION_PREFIX}${req.shard}`) ?? 0) + 1);
        const id = replicaIdOf(this.ctx.id, incarnation);
        // Ids are never reused: the new one must be later than any replica dropped here.
        const tomb = this.ctx.disk.get(`${DROPPED_PREFIX}${req.shard}`);
        if (typeof tomb === 'string' && incarnationOf(tomb) >= incarnation) throw new AssertionError(`${this.ctx.id} would host ${id} for shard ${req.shard} after dropping ${tomb}`);
        this.ctx.disk.write(
          [
            { key: `${INCARNATION_PREFIX}${req.shard}`, value: incarnation },
            { key: `${HOSTED_PREFIX}${req.shard}`, value: id },
          ],
          () => hostDone(true, 'hosting', id),
        );
        this.replicas.set(req.shard, new ShardReplica(req.shard, this));
        this.host.addGroup({ group: req.shard, id, bootstrap: null });
        return;
      }
      case 'drop': {
        const current = this.host.replicaId(req.shard);
        const drop = current !== undefined && (req.replica === undefined || req.replica === current);
        const ops: DiskOp[] = [];
        if (drop) {
          // State, hosting and tombstone in one atomic batch: a crash keeps all or none of it.
          ops.push(...this.host.removeGroup(req.shard));
          this.replicas.delete(req.shard);
          ops.push({ key: `${HOSTED_PREFIX}${req.shard}`, value: undefined }, { key: `${DROPPED_PREFIX}${req.shard}`, value: current });
        }
        // Confirm only once durable: a crash before that would bring the replica back as a
        // zombie the driver believes gone. A repeated request waits for the same sync.
        this.ctx.disk.write(ops, () => done(true, drop ? 'dropped' : 'not hosted'));
        return;
      }
      default: {
        const never: never = req;
        throw new AssertionError(`unknown admin request ${JSON.stringify(never)}`);
      }
    }
  }

  private shardsHere(): number[] {
    const out: number[] = [];
    const ring = this.env.ring;
    const learners = this.env.foundingLearnersOf;
    for (let shard = 0; shard < ring.shards; shard++) {
      if (ring.replicasOf(shard).includes(this.ctx.id) || (learners !== undefined && learners(shard).includes(this.ctx.id))) out.push(shard);
    }
    return out;
  }

  /** Payloads dropped unread because they were not well formed: store messages and Raft's. */
  get malformed(): number {
    return this.malformedStore + this.host.stats.malformed;
  }

  /** A shard of this cluster: a number outside the ring is not a message of ours. */
  private isShardHere(shard: number): boolean {
    return shard < this.env.ring.shards;
  }

  /**
   * Every payload's shape is checked before anything acts on it (over TCP it may be anything):
   * one that fails is counted in `malformed` and dropped, with no reply and no trace event.
   */
  onMessage(from: string, payload: unknown): void {
    const kind = kindOf(payload);
    switch (kind) {
      case 'raft':
      case 'raft-batch': {
        // The host checks Raft payloads itself (and counts the malformed ones); a group not
        // hosted here is dropped, like an unknown port.
        const before = this.host.stats.malformed;
        this.host.onMessage(from, payload);
        if (this.host.stats.malformed !== before) this.env.observer?.malformed?.(this.ctx.id, kind, payload);
        return;
      }
      case 'fresh-req': {
        if (!isFreshnessQuery(payload) || !this.isShardHere(payload.shard)) break;
        const replica = this.replicas.get(payload.shard);
        if (replica === undefined || replica.raft.role !== 'leader') return; // the asker times out and asks again
        replica.confirmFreshness(from, payload.qid, payload.sent);
        return;
      }
      case 'fresh-resp': {
        if (!isFreshnessAnswer(payload) || !this.isShardHere(payload.shard)) break;
        this.replicas.get(payload.shard)?.onFreshAnswer(payload.qid, payload.sent, payload.index);
        return;
      }
      case 'req':
        if (!isClientRequest(payload) || !this.isShardHere(payload.shard)) break;
        return this.onRequest(from, payload);
      case 'admin':
        if (!isAdminRequest(payload) || !this.isShardHere(payload.shard)) break;
        return this.onAdmin(from, payload);
      case 'reply':
        return; // servers do not expect replies
      default:
        break;
    }
    this.malformedStore += 1;
    this.env.observer?.malformed?.(this.ctx.id, typeof kind === 'string' ? kind : typeof payload, payload);
  }

  reply(to: string, reply: ClientReply): void {
    this.ctx.send(to, reply, `reply.${reply.status}`);
  }

  refuse(from: string, req: ClientRequest, status: 'not-leader' | 'unavailable', reason: string, replica?: ShardReplica): void {
    const hint = replica === undefined ? null : this.host.leaderOf(replica.shard);
    this.reply(from, { kind: 'reply', reqId: req.reqId, status, reason, ...(hint !== null && hint !== this.ctx.id && { leaderHint: hint }) });
  }

  private onRequest(from: string, req: ClientRequest): void {
    const replica = this.replicas.get(req.shard);
    if (replica === undefined) return this.refuse(from, req, 'unavailable', NOT_A_REPLICA);
    if (req.op === 'put') return this.onPut(from, req, replica);
    const level: ReadLevel = req.level ?? 'linearizable';
    switch (level) {
      case 'linearizable':
      case 'lease':
        if (replica.raft.role !== 'leader') return this.refuse(from, req, 'not-leader', 'not the leader', replica);
        return replica.readAsLeader(from, req, `${this.ctx.id}/${this.nextReadId++}`, level === 'lease' ? 'lease' : 'index');
      case 'follower':
        return this.serveReadQueued(replica, from, req);
      case 'session': {
        // Planted bug: ignore the session token and serve whatever is applied.
        const needed = storeBugOn(this.env.bugs, 'session-token-ignored') ? 0 : (req.sessionIndex ?? 0);
        if (replica.kv.appliedIndex >= needed) return this.serveReadQueued(replica, from, req);
        return replica.readWhenApplied(from, req, needed);
      }
      case 'bounded': {
        const boundUs = req.boundUs ?? 0;
        // Refresh ahead of need, so steady bounded traffic rarely finds the replica stale.
        if (this.ctx.localNowUs() - replica.freshAtLocalUs > boundUs / 2) this.askFreshnessAhead(replica, boundUs);
        // The age is read after asking: the leader of a one-voter group confirms its own query at
        // once, inside askFreshness, and a read parked here would wait out its bound for an answer
        // that has already come (found by the bounded-read liveness probe: RF 1 refused them all).
        const ageUs = this.ctx.localNowUs() - replica.freshAtLocalUs;
        // Planted bug: serve bounded reads however long ago freshness was confirmed.
        if (ageUs > boundUs && !storeBugOn(this.env.bugs, 'bounded-ignores-bound')) return replica.readWhenFresh(from, req, boundUs);
        return this.serveReadQueued(replica, from, req);
      }
      default: {
        const never: never = level;
        throw new AssertionError(`unknown read level ${String(never)}`);
      }
    }
  }

  private onPut(from: string, req: ClientRequest, replica: ShardReplica): void {
    const done = replica.kv.appliedAt(req.opId);
    if (done !== undefined) return this.reply(from, { kind: 'reply', reqId: req.reqId, status: 'ok', index: done });
    if (replica.raft.role !== 'leader') {
      // Planted bug: a non-leader takes the write into its own state and acknowledges it.
      if (storeBugOn(this.env.bugs, 'stale-route-no-redirect') && replica.kv.appliedIndex > 0) {
        const index = replica.kv.appliedIndex;
        replica.kv.forceWrite(req.opId, req.key, req.value ?? '', index);
        return this.reply(from, { kind: 'reply', reqId: req.reqId, status: 'ok', index });
      }
      return this.refuse(from, req, 'not-leader', 'not the leader', replica);
    }
    replica.propose(from, req);
  }

  /** A bounded read's refresh ahead of need: at most one query per bound (or 100 ms) on arrivals. */
  private askFreshnessAhead(replica: ShardReplica, boundUs: number): void {
    if (this.ctx.localNowUs() - replica.newestFreshQuerySentLocalUs() < Math.max(boundUs, 100_000)) return;
    this.askFreshness(replica);
  }

  /**
   * Asks the shard's leader for a confirmed commit index (the leader itself runs the ReadIndex
   * round at once). With no leader known nothing is sent and nothing recorded, so the next ask
   * is not held back by a query that never left.
   */
  askFreshness(replica: ShardReplica): void {
    const leader = this.host.leaderOf(replica.shard);
    if (leader === null) return;
    const now = this.ctx.localNowUs();
    const qid = this.nextFreshId++;
    replica.addFreshQuery(qid, now);
    if (leader === this.ctx.id) replica.confirmFreshness(this.ctx.id, qid, now);
    else this.ctx.send(leader, { kind: 'fresh-req', shard: replica.shard, qid, sent: now } satisfies FreshnessQuery, 'fresh-req');
  }

  answerFreshness(replica: ShardReplica, asker: string, qid: number, sent: number, index: number): void {
    // Promoted now if already applied (an idle leader applies nothing more), else on apply.
    if (asker === this.ctx.id) return replica.onFreshAnswer(qid, sent, index);
    this.ctx.send(asker, { kind: 'fresh-resp', shard: replica.shard, qid, sent, index } satisfies FreshnessAnswer, 'fresh-resp');
  }

  /**
   * Reads served off the leader path cost CPU: with a service time configured they queue behind
   * each other on this machine, so a hot shard's replicas saturate and latency grows — which is
   * what adding read replicas (learners) relieves.
   */
  serveReadQueued(replica: ShardReplica, from: string, req: ClientRequest): void {
    this.readsServed.set(req.shard, (this.readsServed.get(req.shard) ?? 0) + 1);
    const serviceUs = this.env.readServiceUs ?? 0;
    if (serviceUs <= 0) return this.serveRead(replica, from, req);
    const now = this.ctx.localNowUs();
    const startUs = Math.max(now, this.busyUntilLocalUs);
    this.busyUntilLocalUs = startUs + serviceUs;
    this.ctx.setTimer(this.busyUntilLocalUs - now, () => {
      const current = this.replicas.get(req.shard);
      if (current === undefined) return this.refuse(from, req, 'unavailable', NOT_A_REPLICA);
      this.serveRead(current, from, req);
    });
  }

  serveRead(replica: ShardReplica, from: string, req: ClientRequest): void {
    const entry = replica.kv.get(req.key);
    const version = entry?.index ?? 0;
    const level: ReadLevel = req.level ?? 'linearizable';
    const behind = this.env.observer?.versionsBehind(req.key, version) ?? 0;
    this.ctx.emit({ t: 0, type: 'store.read', machine: this.ctx.id, shard: req.shard, key: req.key, level, version, stale: behind > 0, behind });
    this.reply(from, { kind: 'reply', reqId: req.reqId, status: 'ok', value: entry?.value ?? null, version, index: replica.kv.appliedIndex });
  }

  // ------------------------------------------------------------------ white-box accessors

  /** Raft state on this machine's disk that belongs to no replica hosted here (white-box). */
  strayDiskKeys(): string[] {
    return this.host.strayKeys();
  }

  leaderGroups(): number[] {
    const out: number[] = [];
    for (const [shard, r] of this.replicas) if (r.raft.role === 'leader') out.push(shard);
    return out;
  }

  groupInfo(shard: number): { role: string; term: number; leader: string | null; commit: number; applied: number } | undefined {
    const r = this.replicas.get(shard);
    if (r === undefined) return undefined;
    return { role: r.raft.role, term: r.raft.currentTerm, leader: this.host.leaderOf(shard), commit: r.raft.commitIndex, applied: r.kv.appliedIndex };
  }

  kvOf(shard: number): KvStateMachine | undefined {
    return this.replicas.get(shard)?.kv;
  }

  /** Transfer leadership of `shard` to the voter on machine `to` (a fault; white-box). */
  transferLeadership(shard: number, to: string): boolean {
    const voter = this.host.replica(shard)?.membership.voters.find((id) => machineOfReplica(id) === to);
    return voter !== undefined && this.host.transferLeadership(shard, voter);
  }
}
