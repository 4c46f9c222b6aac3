// Sometimes-assertions: named counters of rare situations, computed from trace events as they
// are emitted (a tracer listener), so a sweep can show that its runs actually reached them.
// A counter that never fires over a whole sweep means the explorer is not testing that path.
import type { TraceEvent } from '../trace/events.js';

export const COVERAGE_NAMES = [
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
  private finished = false;

  observe(event: TraceEvent): void {
    switch (event.type) {
      case 'store.read':
        if (event.stale) this.c.staleRead++;
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
        if (this.appliedOps.has(event.op)) return;
        this.appliedOps.add(event.op);
        if (this.indeterminatePuts.delete(event.op)) this.c.writeTimedOutButCommitted++;
        return;
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
        return;
      case 'raft.snapshot':
        if (event.installed) this.c.snapshotInstalled++;
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
      case 'raft.transfer':
        if (event.phase === 'timeout-now') this.c.leadershipTransfer++;
        return;
      case 'msg.deliver':
        this.lastDelivery = { to: event.to, label: event.label };
        if (this.delivered.has(event.id)) this.c.duplicateDelivered++;
        else if (this.delivered.size < DELIVERED_IDS_MAX) this.delivered.add(event.id);
        return;
      case 'raft.append':
        if (event.truncatedFrom !== null) this.c.logTruncated++;
        return;
      case 'run.end':
        this.finish();
        return;
      default:
        return;
    }
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
