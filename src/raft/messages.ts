// Raft's wire and storage vocabulary: entries, hard state, snapshots, messages.
// Everything here is plain JSON-able data and is never mutated after creation, because the
// simulated network and disk pass objects by reference.
import { AssertionError } from '../base/assert.js';

/** Membership: who votes and who only receives the log. Lists are kept sorted. */
export interface ConfState {
  readonly voters: readonly string[];
  readonly learners: readonly string[];
}

/** One server at a time (thesis §4.3): each change moves the quorum by at most one voter. */
export type ConfChange =
  | { readonly type: 'add-learner'; readonly id: string }
  | { readonly type: 'promote'; readonly id: string }
  | { readonly type: 'remove'; readonly id: string };

interface EntryBase {
  readonly index: number;
  readonly term: number;
}

/** A client command; `data` is opaque to Raft. */
export interface NormalEntry extends EntryBase {
  readonly kind: 'normal';
  readonly data: string;
}

/** Appended by a new leader so it can commit something of its own term (§5.4.2, §6.4). */
export interface NoopEntry extends EntryBase {
  readonly kind: 'noop';
}

/** Carries the whole resulting membership so a new replica learns it from the log alone. */
export interface ConfEntry extends EntryBase {
  readonly kind: 'conf';
  readonly change: ConfChange;
  readonly conf: ConfState;
}

export type Entry = NormalEntry | NoopEntry | ConfEntry;

/** Term, vote and commit: what must survive a crash besides the log. */
export interface HardState {
  readonly term: number;
  readonly vote: string | null;
  readonly commit: number;
}

export interface Snapshot {
  /** Last log index the snapshot covers. */
  readonly index: number;
  readonly term: number;
  /** Chained log hash at `index`, so the log's hash chain continues across compaction. */
  readonly hash: number;
  /** Membership as of `index`. */
  readonly conf: ConfState;
  /** The state machine's own serialization, opaque to Raft. */
  readonly data: string;
}

interface MessageBase {
  readonly group: number;
  readonly from: string;
  readonly to: string;
  readonly term: number;
}

/** RequestVote (§5.2), or PreVote (thesis §9.6) when `pre`. */
export interface VoteRequest extends MessageBase {
  readonly type: 'vote';
  readonly pre: boolean;
  readonly lastIndex: number;
  readonly lastTerm: number;
  /** Sent on TimeoutNow: voters ignore their leader lease (thesis §3.10). */
  readonly transfer: boolean;
}

export interface VoteResponse extends MessageBase {
  readonly type: 'vote-resp';
  readonly pre: boolean;
  readonly granted: boolean;
}

/** AppendEntries (§5.3). */
export interface AppendRequest extends MessageBase {
  readonly type: 'append';
  readonly prevIndex: number;
  readonly prevTerm: number;
  readonly entries: readonly Entry[];
  readonly commit: number;
}

export interface AppendResponse extends MessageBase {
  readonly type: 'append-resp';
  readonly success: boolean;
  /** On success: the follower's log matches the leader's through this index. */
  readonly matchIndex: number;
  /** On rejection: the `prevIndex` that was rejected (lets the leader drop stale rejections). */
  readonly rejectedIndex: number;
  /** On rejection: the follower's largest index ≤ rejectedIndex whose term ≤ the prevTerm
   * asked for, and that term — the leader can skip a whole conflicting term at once. */
  readonly hintIndex: number;
  readonly hintTerm: number;
}

/** Leader liveness, commit propagation and the ReadIndex quorum round. */
export interface Heartbeat extends MessageBase {
  readonly type: 'heartbeat';
  /** min(follower's match, leader commit): never more than the follower is known to hold. */
  readonly commit: number;
  /** Heartbeat round; echoed so the leader can count acks per round. */
  readonly round: number;
  /** The group is idle: the last heartbeat until it wakes (quiescence; absent: false). */
  readonly quiesce?: boolean;
}

export interface HeartbeatResponse extends MessageBase {
  readonly type: 'heartbeat-resp';
  readonly round: number;
}

/** InstallSnapshot (§7), sent whole: the simulated network has no size limit. */
export interface SnapshotRequest extends MessageBase {
  readonly type: 'snapshot';
  readonly snapshot: Snapshot;
}

/** Leadership transfer (thesis §3.10): campaign now, without PreVote. */
export interface TimeoutNow extends MessageBase {
  readonly type: 'timeout-now';
}

export type RaftMessage =
  | VoteRequest
  | VoteResponse
  | AppendRequest
  | AppendResponse
  | Heartbeat
  | HeartbeatResponse
  | SnapshotRequest
  | TimeoutNow;

export type RaftMessageType = RaftMessage['type'];

export function assertNever(x: never, what: string): never {
  throw new AssertionError(`unhandled ${what}: ${JSON.stringify(x)}`);
}
