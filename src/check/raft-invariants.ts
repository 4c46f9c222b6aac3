// The online Raft safety oracle. Fed trace events in order (during a run, or from a trace file),
// it stops at the first violation of:
//   election safety        — at most one leader per term per group (§5.2);
//   log matching           — same (index, term) ⇒ same chained hash, i.e. same prefix (§5.3);
//   leader completeness    — a new leader's log holds every entry committed so far (§5.4);
//   state-machine safety   — no two replicas commit/apply different entries at an index (§5.4.3);
//   read safety            — a read is served at an index no lower than everything committed
//                            before it was asked (linearizable reads, thesis §6.4);
//   commit rule            — a leader advances its commit index only onto an entry of its own
//                            term (§5.4.2: older entries commit indirectly, never by counting);
//   membership safety      — a vote is granted only by a replica that some membership it holds
//                            names (a replica created empty knows none), and a leader is elected
//                            by a majority of the voters of its own configuration, each of whom
//                            granted it a vote in that term (no quorum counted with a replica
//                            outside the configuration, or with one that never voted).
// It only compares chained hashes carried by the events, never entries or live objects.
import type { RaftEvent } from '../trace/events-raft.js';
import type { TraceEvent } from '../trace/events.js';
import { AssertionError } from '../base/assert.js';

export type RaftCheckName =
  | 'election-safety'
  | 'log-matching'
  | 'leader-completeness'
  | 'state-machine-safety'
  | 'read-safety'
  | 'commit-rule'
  | 'membership-safety'
  /** Not the oracle's own: the CheckQuorum watch (quorum-contact.ts) reports under this name. */
  | 'check-quorum'
  /** Not the oracle's own: the transfer watch (transfer-watch.ts). */
  | 'transfer'
  /** Not Raft's: a payload dropped as malformed with no garble fault to explain it (store-engine.ts). */
  | 'well-formed';

interface ReplicaConf {
  voters: readonly string[];
  /** Some membership this replica has held named it (a member's vote is allowed). */
  knownMember: boolean;
}

export interface RaftViolation {
  readonly check: RaftCheckName;
  readonly t: number;
  readonly group: number;
  readonly message: string;
  /** The event that broke the rule, then the earlier event(s) it contradicts. */
  readonly events: readonly RaftEvent[];
}

interface Stamp {
  readonly hash: number;
  readonly term: number | null;
  readonly event: RaftEvent;
}

interface GroupState {
  leaders: Map<number, RaftEvent>;
  committed: Map<number, Stamp>;
  applied: Map<number, Stamp>;
  /** `${index}:${term}` → hash, from every event that reveals one. */
  points: Map<string, Stamp>;
  maxCommitted: number;
  maxCommittedEvent: RaftEvent | null;
  /** Highest index committed while the committer was in term t (commit events carry it). */
  commitByTerm: Map<number, { index: number; event: RaftEvent }>;
  /** `${replica}/${requestId}` → max committed index when the read was asked. */
  readsAsked: Map<string, { index: number; event: RaftEvent; by: RaftEvent | null }>;
  /** With a clock uncertainty: each rise of maxCommitted, in trace order (see commitsBefore). */
  commitRises: { t: number; index: number; event: RaftEvent }[];
  /** Each replica's membership in force, from raft.restart and raft.conf (unknown: older traces). */
  confs: Map<string, ReplicaConf>;
  /** `${term}/${candidate}` → replicas that granted it a real vote in that term. */
  votes: Map<string, Set<string>>;
}

export interface RaftInvariantStats {
  events: number;
  leaders: number;
  commits: number;
  applies: number;
  reads: number;
}

/** The oracle's verdict in the shape of a run summary check (`ok` plus details). */
export type RaftInvariantVerdict = {
  ok: boolean;
  check?: RaftCheckName;
  t?: number;
  group?: number;
  message?: string;
  events?: readonly RaftEvent[];
  stats: RaftInvariantStats;
};

export interface RaftInvariantOptions {
  /** Checks not to enforce (tests use it to watch a later consequence of a broken rule). */
  skip?: readonly RaftCheckName[];
  /**
   * How far apart two events of different replicas may be and still be in either order (µs).
   * 0 in a simulation (one clock). Traces merged from several processes (src/real/merge.ts) are
   * ordered by host clocks that agree only so closely: read safety then counts as "committed
   * before the read was asked" only what was committed more than this before it.
   */
  clockUncertaintyUs?: number;
}

export class RaftInvariantOracle {
  private readonly groups = new Map<number, GroupState>();
  private first: RaftViolation | null = null;
  readonly stats: RaftInvariantStats = { events: 0, leaders: 0, commits: 0, applies: 0, reads: 0 };
  private readonly skip: ReadonlySet<RaftCheckName>;
  private readonly uncertaintyUs: number;

  constructor(options: RaftInvariantOptions = {}) {
    this.skip = new Set(options.skip ?? []);
    this.uncertaintyUs = options.clockUncertaintyUs ?? 0;
  }

  /** Records a rise of the group's highest committed index (tracked only with a clock uncertainty). */
  private rise(g: GroupState, e: RaftEvent, index: number): void {
    g.maxCommitted = index;
    g.maxCommittedEvent = e;
    if (this.uncertaintyUs > 0) g.commitRises.push({ t: e.t, index, event: e });
  }

  /** The highest index committed more than the clock uncertainty before `t`, and by which event. */
  private committedBefore(g: GroupState, t: number): { index: number; by: RaftEvent | null } {
    if (this.uncertaintyUs === 0) return { index: g.maxCommitted, by: g.maxCommittedEvent };
    const rises = g.commitRises;
    let lo = 0;
    let hi = rises.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (rises[mid]!.t < t - this.uncertaintyUs) lo = mid + 1;
      else hi = mid;
    }
    const r = rises[lo - 1];
    return r === undefined ? { index: 0, by: null } : { index: r.index, by: r.event };
  }

  get violation(): RaftViolation | null {
    return this.first;
  }

  verdict(): RaftInvariantVerdict {
    const v = this.first;
    if (v === null) return { ok: true, stats: { ...this.stats } };
    return { ok: false, check: v.check, t: v.t, group: v.group, message: v.message, events: v.events, stats: { ...this.stats } };
  }

  /** Feed one event; returns the first violation once there is one. Non-Raft events are ignored. */
  observe(e: TraceEvent): RaftViolation | null {
    if (this.first !== null) return this.first;
    if (!e.type.startsWith('raft.')) return null;
    const v = this.check(e as RaftEvent);
    if (v !== null) this.first = v;
    return this.first;
  }

  private group(id: number): GroupState {
    let g = this.groups.get(id);
    if (g === undefined) {
      g = {
        leaders: new Map(),
        committed: new Map(),
        applied: new Map(),
        points: new Map(),
        maxCommitted: 0,
        maxCommittedEvent: null,
        commitByTerm: new Map(),
        readsAsked: new Map(),
        commitRises: [],
        confs: new Map(),
        votes: new Map(),
      };
      this.groups.set(id, g);
    }
    return g;
  }

  private check(e: RaftEvent): RaftViolation | null {
    this.stats.events += 1;
    const g = this.group(e.group);
    switch (e.type) {
      case 'raft.elected': {
        this.stats.leaders += 1;
        const prior = g.leaders.get(e.term);
        if (prior !== undefined && prior.replica !== e.replica) {
          return this.fail('election-safety', e, `two leaders in term ${e.term}: ${prior.replica} and ${e.replica}`, [prior]);
        }
        g.leaders.set(e.term, e);
        return this.checkElectionQuorum(g, e) ?? this.checkCompleteness(g, e);
      }
      case 'raft.append':
        if (e.to > 0 && e.to >= e.from) return this.point(g, e, e.to, e.term, e.hash);
        return null;
      case 'raft.commit': {
        this.stats.commits += 1;
        // §5.4.2: the leader of e.term commits by counting replicas, so its new commit index
        // must hold an entry of e.term (followers learn commit indexes and are exempt).
        const lastTerm = e.terms[e.terms.length - 1];
        if (g.leaders.get(e.term)?.replica === e.replica && lastTerm !== e.term && !this.skip.has('commit-rule')) {
          return this.fail('commit-rule', e, `${e.replica}, leader of term ${e.term}, committed up to index ${e.to} of term ${lastTerm} by counting replicas`, [g.leaders.get(e.term)!]);
        }
        for (let i = e.from; i <= e.to; i++) {
          const hash = e.hashes[i - e.from] as number;
          const term = e.terms[i - e.from] as number;
          const v = this.point(g, e, i, term, hash) ?? this.record(g.committed, e, i, hash, term, 'committed');
          if (v !== null) return v;
        }
        if (e.to > g.maxCommitted) this.rise(g, e, e.to);
        const inTerm = g.commitByTerm.get(e.term);
        if (inTerm === undefined || e.to > inTerm.index) g.commitByTerm.set(e.term, { index: e.to, event: e });
        return null;
      }
      case 'raft.apply': {
        this.stats.applies += 1;
        for (let i = e.from; i <= e.to; i++) {
          const hash = e.hashes[i - e.from] as number;
          const v = this.record(g.applied, e, i, hash, null, 'applied') ?? this.against(g.committed, e, i, hash, 'committed');
          if (v !== null) return v;
        }
        return null;
      }
      case 'raft.snapshot': {
        const v = this.point(g, e, e.index, e.term, e.hash) ?? this.against(g.committed, e, e.index, e.hash, 'committed');
        if (v !== null) return v;
        if (e.index > g.maxCommitted) this.rise(g, e, e.index);
        return null;
      }
      case 'raft.read-request':
        {
          const before = this.committedBefore(g, e.t);
          g.readsAsked.set(`${e.replica}/${e.requestId}`, { index: before.index, event: e, by: before.by });
        }
        return null;
      case 'raft.read': {
        const key = `${e.replica}/${e.requestId}`;
        const asked = g.readsAsked.get(key);
        g.readsAsked.delete(key);
        if (!e.ok || asked === undefined) return null;
        this.stats.reads += 1;
        if (e.index < asked.index) {
          const involved: RaftEvent[] = [asked.event];
          if (asked.by !== null) involved.push(asked.by);
          return this.fail(
            'read-safety',
            e,
            `${e.replica} served ${e.mode} read ${e.requestId} at index ${e.index}, but index ${asked.index} was committed before the read was asked`,
            involved,
          );
        }
        return null;
      }
      case 'raft.restart':
        // Older traces carry no membership here: nothing is known until the replica's raft.conf.
        if (e.voters === undefined || e.learners === undefined) g.confs.delete(e.replica);
        else {
          // Restarted with no log at all, it knows only the membership it starts with (a founding
          // one, or none): an earlier life's knowledge under this id does not come back with it.
          const empty = e.lastIndex === 0 && e.snapshotIndex === 0;
          const before = !empty && (g.confs.get(e.replica)?.knownMember ?? false);
          g.confs.set(e.replica, { voters: e.voters, knownMember: e.voters.includes(e.replica) || e.learners.includes(e.replica) || before });
        }
        return null;
      case 'raft.conf': {
        const named = e.voters.includes(e.replica) || e.learners.includes(e.replica);
        g.confs.set(e.replica, { voters: e.voters, knownMember: named || (g.confs.get(e.replica)?.knownMember ?? false) });
        return null;
      }
      case 'raft.vote': {
        const conf = g.confs.get(e.replica);
        if (conf !== undefined && !conf.knownMember && !this.skip.has('membership-safety')) {
          return this.fail('membership-safety', e, `${e.replica} granted a ${e.pre ? 'pre-vote' : 'vote'} to ${e.candidate} in term ${e.term}, but no membership it holds names it`, []);
        }
        if (!e.pre) {
          const key = `${e.term}/${e.candidate}`;
          let set = g.votes.get(key);
          if (set === undefined) g.votes.set(key, (set = new Set()));
          set.add(e.replica);
        }
        return null;
      }
      case 'raft.role':
      case 'raft.transfer':
      case 'raft.quiesce':
        return null;
      default: {
        const never: never = e;
        throw new AssertionError(`unhandled raft event ${JSON.stringify(never)}`);
      }
    }
  }

  /**
   * A leader is elected by a majority of its own configuration's voters, each of whom granted it
   * a vote in this term (their raft.vote comes first: a vote is answered only once durable).
   */
  private checkElectionQuorum(g: GroupState, e: Extract<RaftEvent, { type: 'raft.elected' }>): RaftViolation | null {
    const conf = g.confs.get(e.replica);
    if (conf === undefined || this.skip.has('membership-safety')) return null;
    if (!conf.voters.includes(e.replica)) {
      return this.fail('membership-safety', e, `${e.replica} elected in term ${e.term} but is not a voter of its configuration {${conf.voters.join(', ')}}`, []);
    }
    const granted = g.votes.get(`${e.term}/${e.replica}`);
    let count = 0;
    for (const v of conf.voters) if (v === e.replica || granted?.has(v) === true) count++;
    if (count < Math.floor(conf.voters.length / 2) + 1) {
      return this.fail(
        'membership-safety',
        e,
        `${e.replica} elected in term ${e.term} with votes from ${count} of its ${conf.voters.length} voters {${conf.voters.join(', ')}}; granted by {${[...(granted ?? [])].join(', ')}}`,
        [],
      );
    }
    return null;
  }

  /** §5.4: every index committed so far must be in the new leader's log, identical. */
  private checkCompleteness(g: GroupState, e: Extract<RaftEvent, { type: 'raft.elected' }>): RaftViolation | null {
    // §5.4: a leader of term T holds every entry committed in terms before T. A candidate that
    // wins an old term late (it was paused) need not hold what a later term committed.
    let c = 0;
    let byEvent: RaftEvent | null = null;
    for (const [term, at] of g.commitByTerm) {
      if (term < e.term && at.index > c) {
        c = at.index;
        byEvent = at.event;
      }
    }
    const by = byEvent === null ? [] : [byEvent];
    if (e.lastIndex < c) {
      return this.fail('leader-completeness', e, `${e.replica} elected in term ${e.term} with last index ${e.lastIndex} < committed ${c}`, by);
    }
    // Points at or below c must carry the committed hash. If no point sits exactly at c, the
    // first point past c ends the term run holding c, so that run's term must be c's term.
    let coveredTo = -1;
    for (const [index, term, hash] of e.digest) {
      const v = this.point(g, e, index, term, hash);
      if (v !== null) return v;
      if (index <= c) {
        coveredTo = index;
        const want = g.committed.get(index);
        if (want !== undefined && want.hash !== hash) {
          return this.fail('leader-completeness', e, `${e.replica} elected in term ${e.term} holds a different entry at committed index ${index}`, [want.event]);
        }
        continue;
      }
      const want = g.committed.get(c);
      if (coveredTo >= 0 && coveredTo < c && want !== undefined && want.term !== null && want.term !== term) {
        return this.fail('leader-completeness', e, `${e.replica} elected in term ${e.term} has term ${term} at committed index ${c} (committed term ${want.term})`, [want.event]);
      }
      break;
    }
    return null;
  }

  /** Log matching: one hash per (index, term). */
  private point(g: GroupState, e: RaftEvent, index: number, term: number, hash: number): RaftViolation | null {
    const key = `${index}:${term}`;
    const seen = g.points.get(key);
    if (seen === undefined) {
      g.points.set(key, { hash, term, event: e });
      return null;
    }
    if (seen.hash !== hash) {
      return this.fail('log-matching', e, `${e.replica} and ${seen.event.replica} both have an entry at index ${index} term ${term} but their logs differ up to it`, [seen.event]);
    }
    return null;
  }

  private record(map: Map<number, Stamp>, e: RaftEvent, index: number, hash: number, term: number | null, what: string): RaftViolation | null {
    const seen = map.get(index);
    if (seen === undefined) {
      map.set(index, { hash, term, event: e });
      return null;
    }
    if (seen.hash !== hash) {
      return this.fail('state-machine-safety', e, `${e.replica} ${what} a different entry at index ${index} than ${seen.event.replica}`, [seen.event]);
    }
    return null;
  }

  private against(map: Map<number, Stamp>, e: RaftEvent, index: number, hash: number, what: string): RaftViolation | null {
    const seen = map.get(index);
    if (seen !== undefined && seen.hash !== hash) {
      return this.fail('state-machine-safety', e, `${e.replica} has a different entry at index ${index} than the one ${what} by ${seen.event.replica}`, [seen.event]);
    }
    return null;
  }

  private fail(check: RaftCheckName, e: RaftEvent, message: string, earlier: readonly RaftEvent[]): RaftViolation {
    return { check, t: e.t, group: e.group, message: `t=${e.t}µs group ${e.group}: ${message}`, events: [e, ...earlier] };
  }
}

/** Older name, kept for callers written against it. */
export { RaftInvariantOracle as RaftInvariantChecker };

/** Run the oracle over a finished list of events. */
export function checkRaftEvents(events: Iterable<TraceEvent>): RaftViolation | null {
  const c = new RaftInvariantOracle();
  for (const e of events) if (c.observe(e) !== null) break;
  return c.violation;
}
