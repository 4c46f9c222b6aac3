// Trace events of Raft groups (owned by raft/). The replica emits them without `t`; the host
// stamps the simulated time. All fields are plain JSON. Hashes are the log's chained entry
// hashes (see raft/log.ts), so checkers compare logs without seeing commands.

interface RaftEventBase {
  t: number;
  group: number;
  replica: string;
}

export type RaftRoleName = 'follower' | 'precandidate' | 'candidate' | 'leader';

export type RaftRoleReason =
  | 'start'
  | 'election-timeout'
  | 'timeout-now'
  | 'higher-term'
  | 'leader-seen'
  | 'lost-election'
  | 'won-prevote'
  | 'elected'
  | 'check-quorum'
  | 'removed';

/** One point of a log digest: [index, term, hash]. */
export type RaftLogPoint = [number, number, number];

export type RaftEvent =
  /** Role, term or known leader changed. */
  | (RaftEventBase & { type: 'raft.role'; role: RaftRoleName; term: number; leader: string | null; reason: RaftRoleReason })
  /** Constructed from persisted state (a fresh start has everything zero). */
  | (RaftEventBase & { type: 'raft.restart'; term: number; vote: string | null; commit: number; lastIndex: number; snapshotIndex: number; voters: string[]; learners: string[] })
  /** A vote (or pre-vote) granted. */
  | (RaftEventBase & { type: 'raft.vote'; term: number; candidate: string; pre: boolean })
  /** Won an election. `digest` covers the log from its commit index on (leader completeness). */
  | (RaftEventBase & { type: 'raft.elected'; term: number; lastIndex: number; commit: number; digest: RaftLogPoint[] })
  /** The log changed: entries from..to now end with (term, hash); `truncatedFrom` when a suffix was cut. */
  | (RaftEventBase & { type: 'raft.append'; from: number; to: number; term: number; hash: number; truncatedFrom: number | null })
  /** Commit index advanced over from..to; `hashes[i]` is the hash at from + i, `terms` likewise. */
  | (RaftEventBase & { type: 'raft.commit'; term: number; from: number; to: number; hashes: number[]; terms: number[] })
  /** Entries from..to handed to the state machine. */
  | (RaftEventBase & { type: 'raft.apply'; from: number; to: number; hashes: number[] })
  /** Snapshot taken locally (`installed: false`) or installed from the leader. */
  | (RaftEventBase & { type: 'raft.snapshot'; index: number; term: number; hash: number; installed: boolean })
  /** Membership in force changed (a conf entry was appended, truncated or restored). */
  | (RaftEventBase & { type: 'raft.conf'; index: number; voters: string[]; learners: string[] })
  /** Leadership transfer progress. */
  | (RaftEventBase & { type: 'raft.transfer'; term: number; to: string; phase: 'start' | 'timeout-now' | 'abort' })
  /** Quiescence: an idle group's leader stops heartbeating, and its followers their election clocks. */
  | (RaftEventBase & { type: 'raft.quiesce'; term: number; quiet: boolean; reason: 'idle' | 'woken' | 'leader-silent' })
  /** A read asked of this replica (mode 'index' = ReadIndex, 'lease' = lease read). */
  | (RaftEventBase & { type: 'raft.read-request'; requestId: string; mode: 'index' | 'lease' })
  /** A read answered: readable at `index` once applied, or refused. */
  | (RaftEventBase & { type: 'raft.read'; requestId: string; ok: boolean; index: number; mode: 'index' | 'lease'; term: number });

export type RaftEventType = RaftEvent['type'];

/** An event as the replica produces it: the host adds `t`. */
export type RaftEventBody = RaftEvent extends infer E ? (E extends { t: number } ? Omit<E, 't'> : never) : never;
