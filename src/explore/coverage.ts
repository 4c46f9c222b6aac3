// Sometimes-assertions: named counters of rare situations, computed from trace events as they
// are emitted (a tracer listener), so a sweep can show that its runs actually reached them.
// A counter that never fires over a whole sweep means the explorer is not testing that path.
//
// The last eight are compound: two or more rare things at related moments, the situations that
// bugs nobody planted tend to need (a retried put committed twice with a write in between, a
// crash between a log truncation and its replacement reaching the disk, a snapshot arriving
// over entries still being appended, ...). Each is defined on the trace alone, below.
import type { TraceEvent } from '../trace/events.js';
import { machineOfReplica } from '../store/replica-id.js';

const SIMPLE_NAMES = [
  /** A replica answered a read (below linearizable) from a state behind the committed one. */
  'staleRead',
  /** A shard elected a new leader (not its first) while a client get on that shard was in flight. */
  'leaderChangeDuringRead',
  /** A put the client gave up on (indeterminate) that nevertheless committed and applied. */
  'writeTimedOutButCommitted',
  /** A term in which at least two replicas of a shard campaigned and none won. */
  'voteSplit',
  /** A network cut that severed a machine leading some shard at that moment. */
  'partitionCutLeader',
  /** A replica caught up by installing a snapshot from its leader. */
  'snapshotInstalled',
  /**
   * A session read that had to wait until its replica applied the client's last seen index.
   * The server does not trace its wait queue, so this is inferred: with no read service time a
   * read served at once is traced right after the delivery of its `get.session` request to that
   * machine; a session read traced at any other point was served later, from the wait queue.
   */
  'sessionReadWaited',
  /** A crash lost disk writes that were not yet durable. */
  'unsyncedWritesLost',
  /** A leadership transfer reached TimeoutNow. */
  'leadershipTransfer',
  /** The same message was delivered twice (network duplication). */
  'duplicateDelivered',
  /** A follower cut off an uncommitted suffix of its log (a conflict with a new leader). */
  'logTruncated',
  /** A leader stepped down because it lost contact with a quorum (CheckQuorum). */
  'checkQuorumStepDown',
  /** The placement driver finished moving a shard's replica (join, leave or replace). */
  'shardMoved',
  /** A machine joined, left or was replaced. */
  'membershipChanged',
  /** A read replica (learner) was added to a hot shard. */
  'readReplicaAdded',
] as const;

/** The compound counters (see the top comment): what guided sweeps are measured on. */
export const COMPOUND_NAMES = [
  /** A put committed at two log indexes (a client retry after a timeout): once per op. */
  'putCommittedTwice',
  /** ... and on some replica another put to the same key was applied between the two indexes. */
  'putTwiceAroundWrite',
  /** A machine crashed after one of its replicas truncated its log and before its disk next made writes durable. */
  'crashAfterTruncate',
  /** ... and that machine restarted (on whatever of the truncation and the new entries had reached the disk). */
  'restartAfterTruncateCrash',
  /** A follower installed a snapshot while its log held entries past its commit index that it had received by append. */
  'snapshotOverEntries',
  /** A read served by a replica whose state came from a snapshot, before it applied any entry after it. */
  'readFromSnapshot',
  /** A leader started a leadership transfer while its latest membership change was not yet committed. */
  'transferDuringConfChange',
  /** A message sent to a machine before it crashed, delivered after it restarted (held by a clog or a delay, or a late duplicate). */
  'deliveredAfterRestart',
] as const;

export const COVERAGE_NAMES = [...SIMPLE_NAMES, ...COMPOUND_NAMES] as const;
export type CoverageName = (typeof COVERAGE_NAMES)[number];
export type CoverageCounts = Record<CoverageName, number>;

/** Bound on remembered delivered message ids (duplicates are detected within this window). */
const DELIVERED_IDS_MAX = 200_000;

export function emptyCounts(): CoverageCounts {
  const out = {} as CoverageCounts;
  for (const name of COVERAGE_NAMES) out[name] = 0;
  return out;
}

interface TermState {
  candidates: Set<string>;
  elected: boolean;
}

/** Observes one run's trace events; `counts()` once the run has ended. */
export class CoverageObserver {
  private readonly c = emptyCounts();
  /** Pending client gets: op id -> shard. */
  private readonly pendingGets = new Map<number, number>();
  private readonly invokes = new Map<number, 'put' | 'get'>();
  private readonly appliedOps = new Set<number>();
  private readonly indeterminatePuts = new Set<number>();
  /** The delivery being handled right now: a session read traced during it was not held. */
  private lastDelivery: { to: string; label: string } | null = null;
  private readonly everElected = new Set<number>();
  /** Current leader of each group, as announced (cleared when that replica stops leading). */
  private readonly leaderOf = new Map<number, string>();
  /** Per group, the terms seen with their candidates. */
  private readonly terms = new Map<number, Map<number, TermState>>();
  private readonly delivered = new Set<number>();
  /** The last message id sent, and per machine the last id sent before its latest crash (ids only grow). */
  private lastSentId = -1;
  private readonly sentBeforeCrash = new Map<string, number>();
  /** Ops committed twice (counted once), and those with a write to the key in between. */
  private readonly twice = new Set<number>();
  private readonly twiceAround = new Set<number>();
  /** machine -> shard -> key -> index of the last put applied there. */
  private readonly lastWrite = new Map<string, Map<number, Map<string, number>>>();
  /** Machines with a truncation not yet followed by durable writes; machines crashed in that window. */
  private readonly truncatedUnsynced = new Set<string>();
  private readonly crashedAfterTruncate = new Set<string>();
  /** Per group and replica: its commit index, last appended index and latest conf entry. */
  private readonly replicas = new Map<number, Map<string, { commit: number; last: number; conf: number }>>();
  /** `${shard}/${machine}` whose state is a snapshot with no entry applied since. */
  private readonly fromSnapshot = new Set<string>();
  private finished = false;

  observe(event: TraceEvent): void {
    switch (event.type) {
      case 'store.read':
        if (event.stale) this.c.staleRead++;
        if (this.fromSnapshot.size > 0 && this.fromSnapshot.has(`${event.shard}/${event.machine}`)) this.c.readFromSnapshot++;
        if (event.level === 'session') {
          const d = this.lastDelivery;
          // One delivered request is served at once at most once; anything else waited.
          if (d !== null && d.to === event.machine && d.label === 'get.session') this.lastDelivery = null;
          else this.c.sessionReadWaited++;
        }
        return;
      case 'client.invoke':
        this.invokes.set(event.op, event.kind);
        if (event.kind === 'get') this.pendingGets.set(event.op, event.shard);
        return;
      case 'client.complete': {
        this.pendingGets.delete(event.op);
        const kind = this.invokes.get(event.op);
        this.invokes.delete(event.op);
        if (kind === 'put' && event.outcome === 'indeterminate') {
          if (this.appliedOps.has(event.op)) this.c.writeTimedOutButCommitted++;
          else this.indeterminatePuts.add(event.op);
        }
        return;
      }
      case 'store.apply':
        this.writesAt(event.machine, event.shard).set(event.key, event.index);
        if (this.appliedOps.has(event.op)) return;
        this.appliedOps.add(event.op);
        if (this.indeterminatePuts.delete(event.op)) this.c.writeTimedOutButCommitted++;
        return;
      case 'store.duplicate': {
        if (!this.twice.has(event.op)) {
          this.twice.add(event.op);
          this.c.putCommittedTwice++;
        }
        const between = this.writesAt(event.machine, event.shard).get(event.key);
        if (between !== undefined && between > event.firstIndex && !this.twiceAround.has(event.op)) {
          this.twiceAround.add(event.op);
          this.c.putTwiceAroundWrite++;
        }
        return;
      }
      case 'raft.elected': {
        this.leaderOf.set(event.group, event.replica);
        this.term(event.group, event.term).elected = true;
        const first = !this.everElected.has(event.group);
        this.everElected.add(event.group);
        if (first) return;
        for (const shard of this.pendingGets.values()) {
          if (shard === event.group) {
            this.c.leaderChangeDuringRead++;
            break;
          }
        }
        return;
      }
      case 'raft.role':
        if (event.role === 'candidate') this.term(event.group, event.term).candidates.add(event.replica);
        if (event.role !== 'leader' && this.leaderOf.get(event.group) === event.replica) this.leaderOf.delete(event.group);
        if (event.reason === 'check-quorum') this.c.checkQuorumStepDown++;
        return;
      case 'net.cut': {
        const leaders = new Set(this.leaderOf.values());
        if (event.links.some(([a, b]) => leaders.has(a) || leaders.has(b))) this.c.partitionCutLeader++;
        return;
      }
      case 'machine.crash':
        for (const [group, leader] of this.leaderOf) if (leader === event.machine) this.leaderOf.delete(group);
        this.sentBeforeCrash.set(event.machine, this.lastSentId);
        if (this.truncatedUnsynced.delete(event.machine)) {
          this.c.crashAfterTruncate++;
          this.crashedAfterTruncate.add(event.machine);
        }
        return;
      case 'machine.restart':
        if (this.crashedAfterTruncate.delete(event.machine)) this.c.restartAfterTruncateCrash++;
        return;
      case 'disk.durable':
        if (event.writes > 0) this.truncatedUnsynced.delete(event.machine);
        return;
      case 'raft.restart': {
        const r = this.replica(event.group, event.replica);
        r.commit = event.commit;
        r.last = event.lastIndex;
        this.fromSnapshot.delete(`${event.group}/${machineOfReplica(event.replica)}`);
        return;
      }
      case 'raft.commit':
        this.replica(event.group, event.replica).commit = event.to;
        return;
      case 'raft.conf':
        this.replica(event.group, event.replica).conf = event.index;
        return;
      case 'raft.apply':
        if (this.fromSnapshot.size > 0) this.fromSnapshot.delete(`${event.group}/${machineOfReplica(event.replica)}`);
        return;
      case 'raft.snapshot':
        if (event.installed) {
          this.c.snapshotInstalled++;
          const r = this.replica(event.group, event.replica);
          if (r.last > r.commit) this.c.snapshotOverEntries++;
          r.commit = event.index;
          r.last = event.index;
          this.fromSnapshot.add(`${event.group}/${machineOfReplica(event.replica)}`);
        }
        return;
      case 'disk.lost':
        if (event.writes > 0) this.c.unsyncedWritesLost++;
        return;
      case 'store.placement':
        if (event.kind === 'move-done') this.c.shardMoved++;
        if (event.kind === 'learner-added') this.c.readReplicaAdded++;
        return;
      case 'store.membership':
        this.c.membershipChanged++;
        return;
      case 'raft.transfer': {
        if (event.phase === 'timeout-now') this.c.leadershipTransfer++;
        const r = this.replica(event.group, event.replica);
        if (event.phase === 'start' && r.conf > r.commit) this.c.transferDuringConfChange++;
        return;
      }
      case 'msg.send':
        this.lastSentId = event.id;
        return;
      case 'msg.deliver': {
        this.lastDelivery = { to: event.to, label: event.label };
        // Delivered means the receiver is up: sent before its last crash, it outlived the crash.
        if (this.sentBeforeCrash.size > 0 && event.id <= (this.sentBeforeCrash.get(event.to) ?? -1)) this.c.deliveredAfterRestart++;
        if (this.delivered.has(event.id)) this.c.duplicateDelivered++;
        else if (this.delivered.size < DELIVERED_IDS_MAX) this.delivered.add(event.id);
        return;
      }
      case 'raft.append': {
        const r = this.replica(event.group, event.replica);
        r.last = event.to;
        if (event.truncatedFrom !== null) {
          this.c.logTruncated++;
          this.truncatedUnsynced.add(machineOfReplica(event.replica));
        }
        return;
      }
      case 'run.end':
        this.finish();
        return;
      default:
        return;
    }
  }

  private replica(group: number, replica: string): { commit: number; last: number; conf: number } {
    let byId = this.replicas.get(group);
    if (byId === undefined) this.replicas.set(group, (byId = new Map()));
    let r = byId.get(replica);
    if (r === undefined) byId.set(replica, (r = { commit: 0, last: 0, conf: 0 }));
    return r;
  }

  private writesAt(machine: string, shard: number): Map<string, number> {
    let byShard = this.lastWrite.get(machine);
    if (byShard === undefined) this.lastWrite.set(machine, (byShard = new Map()));
    let byKey = byShard.get(shard);
    if (byKey === undefined) byShard.set(shard, (byKey = new Map()));
    return byKey;
  }

  private term(group: number, term: number): TermState {
    let byTerm = this.terms.get(group);
    if (byTerm === undefined) this.terms.set(group, (byTerm = new Map()));
    let state = byTerm.get(term);
    if (state === undefined) byTerm.set(term, (state = { candidates: new Set(), elected: false }));
    return state;
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    for (const byTerm of this.terms.values()) {
      for (const state of byTerm.values()) if (!state.elected && state.candidates.size >= 2) this.c.voteSplit++;
    }
  }

  counts(): CoverageCounts {
    this.finish();
    return { ...this.c };
  }
}

/** Per counter over a sweep: the total, and how many seeds reached it at least once. */
export type CoverageTable = Record<CoverageName, { total: number; seeds: number }>;

export function emptyTable(): CoverageTable {
  const out = {} as CoverageTable;
  for (const name of COVERAGE_NAMES) out[name] = { total: 0, seeds: 0 };
  return out;
}

export function addToTable(table: CoverageTable, counts: Partial<CoverageCounts>): void {
  for (const name of COVERAGE_NAMES) {
    const n = counts[name] ?? 0;
    table[name].total += n;
    if (n > 0) table[name].seeds++;
  }
}

export function allCovered(table: CoverageTable): boolean {
  return COVERAGE_NAMES.every((name) => table[name].seeds > 0);
}
