// The planted-bug catalogue. Each name switches on one deliberately wrong behaviour at its code
// point in replica.ts (grep for the name). Honest runs use an empty set.

export interface RaftBug {
  readonly name: RaftBugName;
  readonly description: string;
  /** The rule of the Raft paper/thesis the bug breaks. */
  readonly rule: string;
  /** The check expected to catch it. */
  readonly caughtBy: string;
}

/** The planted Raft bugs by name: a code point tests `bugOn(bugs, 'name')`, so a typo does not compile. */
export type RaftBugName =
  | 'vote-without-log-check'
  | 'commit-previous-term'
  | 'ack-before-persist'
  | 'forget-vote-on-restart'
  | 'leader-read-without-quorum'
  | 'readindex-before-term-commit'
  | 'lease-ignores-drift'
  | 'accept-stale-term'
  | 'no-election-timer-reset'
  | 'truncate-on-matching-heartbeat'
  | 'next-index-overshoot'
  | 'snapshot-drops-last-entry'
  | 'follower-serves-uncommitted';

/** Whether the planted bug `name` is switched on (honest runs pass an empty set). */
export function bugOn(bugs: ReadonlySet<string>, name: RaftBugName): boolean {
  return bugs.size > 0 && bugs.has(name);
}

export const RAFT_BUGS: readonly RaftBug[] = [
  {
    name: 'vote-without-log-check',
    description: 'A voter grants its vote without comparing logs, so a candidate missing committed entries can win.',
    rule: '§5.4.1 election restriction (candidate log at least as up-to-date)',
    caughtBy: 'oracle: leader completeness (then state-machine safety); often first the assertion that a leader never hears an ack beyond its own log',
  },
  {
    name: 'commit-previous-term',
    description: 'A leader advances commit to an entry of an earlier term once it is on a majority (the Figure 8 mistake).',
    rule: '§5.4.2 commit only current-term entries by counting replicas',
    caughtBy: 'oracle: commit rule (a leader commits onto an older-term entry); its consequence, an overwritten commit, by leader completeness (Figure 8 test)',
  },
  {
    name: 'ack-before-persist',
    description: 'Followers acknowledge appended entries and votes (and a leader counts itself) before the disk write is durable.',
    rule: '§5 / Figure 2: persistent state is updated on stable storage before responding',
    caughtBy: 'assertion: a commit beyond the replica\'s own last index after a crash lost unsynced writes; else oracle: leader completeness / state-machine safety',
  },
  {
    name: 'forget-vote-on-restart',
    description: 'On restart the replica reloads its term but not whom it voted for, so it can vote twice in one term.',
    rule: '§5.2 each server votes for at most one candidate per term (votedFor is persistent)',
    caughtBy: 'oracle: election safety (two leaders in one term), or the assertion that a follower never hears from two leaders in one term',
  },
  {
    name: 'leader-read-without-quorum',
    description: 'A leader answers ReadIndex at its commit index without a heartbeat round, so a deposed leader serves stale reads.',
    rule: '§6.4 / thesis §6.4 step 3: confirm leadership with a quorum before serving',
    caughtBy: 'oracle: read safety (read index below an index committed before the read began)',
  },
  {
    name: 'readindex-before-term-commit',
    description: 'A new leader serves ReadIndex before it has committed an entry of its own term; its commit index may be stale.',
    rule: 'thesis §6.4 step 1: a leader must first commit an entry in its term',
    caughtBy: 'oracle: read safety',
  },
  {
    name: 'lease-ignores-drift',
    description: 'The leader lease lasts the full quiet period without subtracting the maximum clock drift.',
    rule: 'thesis §6.4.1: the lease must be shorter than the election timeout by the clock-drift bound',
    caughtBy: 'oracle: read safety under clock drift',
  },
  {
    name: 'accept-stale-term',
    description: 'Messages from an older term are handled as if current: a deposed leader keeps replicating and candidates count old votes.',
    rule: '§5.1 a request with a stale term is rejected',
    caughtBy: 'assertion: a follower hears from two leaders in one term (election safety seen by one replica); oracle: commit rule / state-machine safety',
  },
  {
    name: 'no-election-timer-reset',
    description: 'Followers do not reset their election timer on hearing from the leader, so they campaign (and vote) while it is healthy.',
    rule: '§5.2 a follower stays follower while it receives valid RPCs from a leader',
    caughtBy: 'oracle: read safety of lease reads served while a follower has already elected itself; in the Raft tests, leader stability without faults',
  },
  {
    name: 'truncate-on-matching-heartbeat',
    description: 'A follower truncates its log after the last entry of an AppendEntries even when nothing conflicted (e.g. a delayed, reordered one).',
    rule: '§5.3 step 3: delete entries only on a conflict',
    caughtBy: 'assertion: a commit beyond the replica\'s own last index (the leader counted the truncated entries); else oracle: state-machine safety / leader completeness',
  },
  {
    name: 'next-index-overshoot',
    description: 'On a successful append the leader records the follower as matching its whole log, not what the follower confirmed.',
    rule: '§5.3 matchIndex is the highest index known replicated on the server',
    caughtBy: 'assertion: a commit beyond a follower\'s last index (the leader counted entries the follower never had); else oracle: state-machine safety / leader completeness',
  },
  {
    name: 'snapshot-drops-last-entry',
    description: 'Compaction at index i also discards entry i+1 from the log while the snapshot still claims to end at i.',
    rule: '§7 a snapshot replaces exactly the log prefix it covers',
    caughtBy: 'assertion: the leader\'s next index for a follower beyond its own last index (the snapshot lost its last entry: a hole in the log)',
  },
  {
    name: 'follower-serves-uncommitted',
    description: 'A follower applies entries as soon as they are in its log, before they are committed.',
    rule: '§5.3 / Figure 2: apply only committed entries',
    caughtBy: 'oracle: state-machine safety',
  },
];

export const RAFT_BUG_NAMES: readonly string[] = RAFT_BUGS.map((b) => b.name);

export function isRaftBug(name: string): boolean {
  return RAFT_BUG_NAMES.includes(name);
}
