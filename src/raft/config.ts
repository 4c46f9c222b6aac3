// Replica configuration and membership helpers. Timeouts are counted in ticks of the host's
// local clock; `tickIntervalUs` is only used to turn ticks into a lease length in µs.
import type { ConfChange, ConfState } from './messages.js';
import { bugOn } from './bugs.js';
import { AssertionError } from '../base/assert.js';

export interface RaftConfig {
  readonly group: number;
  readonly id: string;
  /** Base election timeout; each round draws uniformly from [base, 2·base − 1]. */
  readonly electionTimeoutTicks: number;
  readonly heartbeatTicks: number;
  readonly tickIntervalUs: number;
  /** Bound on how far two clocks may drift apart over one election timeout. */
  readonly maxClockDriftUs: number;
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  /**
   * Periodic heartbeats on the host's beat (the `heartbeatDue` argument of tick) instead of this
   * replica's own count: every leader on a machine heartbeats in the same tick, so a multi-Raft
   * host sends one message per follower machine for all of them.
   */
  readonly coalesceHeartbeats: boolean;
  /**
   * Idle groups stop heartbeating (src/raft/README.md, "Quiescence"): a leader whose followers
   * all hold its whole log, committed, with nothing pending, sends one last heartbeat marked
   * `quiesce`; its followers stop their election clocks while the leader's host keeps naming the
   * group in its per-machine beat (`touchQuiet`). Needs coalesceHeartbeats (the host's beat).
   */
  readonly quiesce: boolean;
  /** In-flight AppendEntries carrying entries, per follower in replicate state. */
  readonly maxInflightMsgs: number;
  readonly maxEntriesPerMsg: number;
  /** Proposals beyond this many uncommitted entries are refused (back-pressure). */
  readonly maxUncommittedEntries: number;
  readonly maxPendingReads: number;
  /** Planted bugs (see bugs.ts); empty in every honest run. */
  readonly bugs: ReadonlySet<string>;
}

export function defaultRaftConfig(group: number, id: string, overrides: Partial<RaftConfig> = {}): RaftConfig {
  return {
    group,
    id,
    electionTimeoutTicks: 10,
    heartbeatTicks: 2,
    tickIntervalUs: 10_000,
    maxClockDriftUs: 10_000,
    preVote: true,
    checkQuorum: true,
    coalesceHeartbeats: false,
    quiesce: false,
    maxInflightMsgs: 16,
    maxEntriesPerMsg: 64,
    maxUncommittedEntries: 10_000,
    maxPendingReads: 1_000,
    bugs: new Set<string>(),
    ...overrides,
  };
}

export function validateRaftConfig(c: RaftConfig): void {
  if (!(c.electionTimeoutTicks > c.heartbeatTicks && c.heartbeatTicks >= 1)) {
    throw new AssertionError(`need electionTimeoutTicks > heartbeatTicks >= 1 (got ${c.electionTimeoutTicks}, ${c.heartbeatTicks})`);
  }
  if (c.maxInflightMsgs < 1 || c.maxEntriesPerMsg < 1) throw new AssertionError('flow-control bounds must be >= 1');
  if (c.id.length === 0) throw new AssertionError('empty replica id');
  if (c.quiesce && !c.coalesceHeartbeats) throw new AssertionError('quiesce needs coalesceHeartbeats (the host beat that keeps quiet followers quiet)');
}

/**
 * How long a leader may serve reads locally after a heartbeat round it sent at time s was acked
 * by a quorum. A voter that acked will not vote for anyone else until it has counted
 * `electionTimeoutTicks` of its own ticks; the first may fire right after the heartbeat, so the
 * guaranteed quiet period is one tick shorter, and clocks may disagree by `maxClockDriftUs`.
 */
export function leaseDurationUs(c: RaftConfig): number {
  const quietUs = (c.electionTimeoutTicks - 1) * c.tickIntervalUs;
  return bugOn(c.bugs, 'lease-ignores-drift') ? quietUs : quietUs - c.maxClockDriftUs;
}

export const EMPTY_CONF: ConfState = { voters: [], learners: [] };

export function confOf(voters: readonly string[], learners: readonly string[] = []): ConfState {
  return { voters: [...voters].sort(), learners: [...learners].sort() };
}

export function isVoter(conf: ConfState, id: string): boolean {
  return conf.voters.includes(id);
}

export function isMember(conf: ConfState, id: string): boolean {
  return conf.voters.includes(id) || conf.learners.includes(id);
}

/** The membership after `change`, or an error string when the change makes no sense. */
export function applyConfChange(conf: ConfState, change: ConfChange): ConfState | string {
  const { id } = change;
  switch (change.type) {
    case 'add-learner':
      if (isMember(conf, id)) return `${id} is already a member`;
      return confOf(conf.voters, [...conf.learners, id]);
    case 'promote':
      if (!conf.learners.includes(id)) return `${id} is not a learner`;
      return confOf([...conf.voters, id], conf.learners.filter((x) => x !== id));
    case 'remove':
      if (!isMember(conf, id)) return `${id} is not a member`;
      if (conf.voters.length === 1 && conf.voters[0] === id) return 'cannot remove the last voter';
      return confOf(conf.voters.filter((x) => x !== id), conf.learners.filter((x) => x !== id));
  }
}
