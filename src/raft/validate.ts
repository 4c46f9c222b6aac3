// The shape of Raft's wire vocabulary (messages.ts), checked where a message arrives from outside
// the process. In a simulation every message was built by a replica; over TCP anyone who can
// connect can send a well-formed frame with garbage inside, so a host parses each message here
// (`parseRaftMessage`) before `RaftReplica.step` sees it and drops (and counts) what fails.
//
// What passes cannot make the receiving code throw or misbehave on its *form*: every field the
// replica reads has its type, indices, terms and rounds are safe integers ≥ 0 with room for the
// +1s the protocol adds, ids are bounded non-empty strings, lists are arrays of bounded length,
// and an append is consistent in itself (entries contiguous after prevIndex, terms not
// decreasing from prevTerm and not above the message's term — the rules a leader's own log
// obeys, and that the follower's log asserts). What no stateless check can see is a message
// that lies about the protocol's state (a second leader in a term, an ack beyond the leader's
// log): Raft trusts its peers, and the replica's assertions stop on those as on any bug.
//
// Hand-written type guards, not zod: these run on every delivered message of every simulation
// (millions per run); see src/store/README.md ("Malformed messages") for the measurement.
import type {
  AppendRequest,
  AppendResponse,
  ConfChange,
  ConfState,
  Entry,
  Heartbeat,
  HeartbeatResponse,
  RaftMessage,
  Snapshot,
  SnapshotRequest,
  TimeoutNow,
  VoteRequest,
  VoteResponse,
} from './messages.js';

/** Indices, terms and heartbeat rounds: far beyond any run, with headroom below 2^53 so the
 * protocol's own arithmetic on them (term + 1, prevIndex + 1 + i) stays exact. */
export const RAFT_NUMBER_MAX = 2 ** 50;
/** Replica ids (and the machine names in them). */
export const RAFT_ID_LENGTH_MAX = 256;
/** Voters or learners of one membership (a group has one replica per machine). */
export const RAFT_MEMBERS_MAX = 4096;
/** Entries of one AppendEntries (a leader sends at most `maxEntriesPerMsg`, 64 by default). */
export const RAFT_ENTRIES_PER_MSG_MAX = 65_536;

/** The state machine's own check of the opaque data Raft carries (absent: any string). */
export interface RaftDataCheck {
  /** `data` of a normal entry. */
  entry(data: string): boolean;
  /** `data` of a snapshot. */
  snapshot(data: string): boolean;
}

/** An index, term or round: a safe integer in [0, RAFT_NUMBER_MAX]. */
export function isRaftNumber(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= RAFT_NUMBER_MAX;
}

/** A replica id or machine name: a non-empty string of bounded length. */
export function isRaftId(x: unknown): x is string {
  return typeof x === 'string' && x.length > 0 && x.length <= RAFT_ID_LENGTH_MAX;
}

/** A JSON object (not null, not an array). */
export function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function isIdList(x: unknown): x is string[] {
  if (!Array.isArray(x) || x.length > RAFT_MEMBERS_MAX) return false;
  for (let i = 0; i < x.length; i++) if (!isRaftId(x[i])) return false;
  return true;
}

export function isConfState(x: unknown): x is ConfState {
  return isObject(x) && isIdList(x.voters) && isIdList(x.learners);
}

export function isConfChange(x: unknown): x is ConfChange {
  if (!isObject(x) || !isRaftId(x.id)) return false;
  return x.type === 'add-learner' || x.type === 'promote' || x.type === 'remove';
}

export function isEntry(x: unknown, data?: RaftDataCheck): x is Entry {
  if (!isObject(x) || !isRaftNumber(x.index) || !isRaftNumber(x.term)) return false;
  switch (x.kind) {
    case 'normal':
      return typeof x.data === 'string' && (data === undefined || data.entry(x.data));
    case 'noop':
      return true;
    case 'conf':
      return isConfChange(x.change) && isConfState(x.conf);
    default:
      return false;
  }
}

export function isSnapshot(x: unknown, data?: RaftDataCheck): x is Snapshot {
  return (
    isObject(x) &&
    isRaftNumber(x.index) &&
    isRaftNumber(x.term) &&
    // The chained log hash is an unsigned 32-bit integer (log.ts, chainHash).
    typeof x.hash === 'number' &&
    Number.isInteger(x.hash) &&
    x.hash >= 0 &&
    x.hash <= 0xffff_ffff &&
    isConfState(x.conf) &&
    typeof x.data === 'string' &&
    (data === undefined || data.snapshot(x.data))
  );
}

/** The fields every message has: group, from ≠ to, term (passed as the values each parser read once). */
function isBase(group: unknown, from: unknown, to: unknown, term: unknown): boolean {
  return isRaftNumber(group) && isRaftId(from) && isRaftId(to) && from !== to && isRaftNumber(term);
}

// One parser per message type. Each reads every field of its type once and, when all pass,
// returns a new message built from the values read: the replica never sees fields it does not
// know, and every message it steps has one of eight object shapes. That matters for speed, not
// only tidiness: the messages a replica builds with `{ ...base, type, ... }` come out of V8 with
// hundreds of distinct hidden classes per type, so every property read on them is a megamorphic
// lookup that misses V8's stub cache; reads on the rebuilt message hit an inline cache. (Measured
// in src/store/README.md, "Malformed messages".) Entries and snapshots are checked, not copied.

function parseHeartbeat(x: Record<string, unknown>): Heartbeat | null {
  const { group, from, to, term, commit, round, quiesce } = x;
  if (!isBase(group, from, to, term) || !isRaftNumber(commit) || !isRaftNumber(round)) return null;
  if (quiesce !== undefined && quiesce !== true) return null;
  return quiesce === true ? ({ group, from, to, term, type: 'heartbeat', commit, round, quiesce } as Heartbeat) : ({ group, from, to, term, type: 'heartbeat', commit, round } as Heartbeat);
}

function parseHeartbeatResponse(x: Record<string, unknown>): HeartbeatResponse | null {
  const { group, from, to, term, round } = x;
  if (!isBase(group, from, to, term) || !isRaftNumber(round)) return null;
  return { group, from, to, term, type: 'heartbeat-resp', round } as HeartbeatResponse;
}

/** Entries contiguous after prevIndex, terms from prevTerm up to the message's term. */
function parseAppend(x: Record<string, unknown>, data: RaftDataCheck | undefined): AppendRequest | null {
  const { group, from, to, term, prevIndex, prevTerm, entries, commit } = x;
  if (!isBase(group, from, to, term) || !isRaftNumber(term)) return null; // (again, to narrow `term` for the loop)
  if (!isRaftNumber(prevIndex) || !isRaftNumber(prevTerm) || !isRaftNumber(commit)) return null;
  if (!Array.isArray(entries) || entries.length > RAFT_ENTRIES_PER_MSG_MAX) return null;
  let lastTerm = prevTerm;
  for (let i = 0; i < entries.length; i++) {
    const e: unknown = entries[i];
    if (!isEntry(e, data)) return null;
    if (e.index !== prevIndex + 1 + i || e.term < lastTerm || e.term > term) return null;
    lastTerm = e.term;
  }
  return { group, from, to, term, type: 'append', prevIndex, prevTerm, entries, commit } as AppendRequest;
}

function parseAppendResponse(x: Record<string, unknown>): AppendResponse | null {
  const { group, from, to, term, success, matchIndex, rejectedIndex, hintIndex, hintTerm } = x;
  if (!isBase(group, from, to, term) || typeof success !== 'boolean') return null;
  if (!isRaftNumber(matchIndex) || !isRaftNumber(rejectedIndex) || !isRaftNumber(hintIndex) || !isRaftNumber(hintTerm)) return null;
  return { group, from, to, term, type: 'append-resp', success, matchIndex, rejectedIndex, hintIndex, hintTerm } as AppendResponse;
}

function parseVote(x: Record<string, unknown>): VoteRequest | null {
  const { group, from, to, term, pre, lastIndex, lastTerm, transfer } = x;
  if (!isBase(group, from, to, term) || typeof pre !== 'boolean' || typeof transfer !== 'boolean') return null;
  if (!isRaftNumber(lastIndex) || !isRaftNumber(lastTerm)) return null;
  return { group, from, to, term, type: 'vote', pre, lastIndex, lastTerm, transfer } as VoteRequest;
}

function parseVoteResponse(x: Record<string, unknown>): VoteResponse | null {
  const { group, from, to, term, pre, granted } = x;
  if (!isBase(group, from, to, term) || typeof pre !== 'boolean' || typeof granted !== 'boolean') return null;
  return { group, from, to, term, type: 'vote-resp', pre, granted } as VoteResponse;
}

function parseSnapshotRequest(x: Record<string, unknown>, data: RaftDataCheck | undefined): SnapshotRequest | null {
  const { group, from, to, term, snapshot } = x;
  if (!isBase(group, from, to, term) || !isSnapshot(snapshot, data)) return null;
  return { group, from, to, term, type: 'snapshot', snapshot } as SnapshotRequest;
}

function parseTimeoutNow(x: Record<string, unknown>): TimeoutNow | null {
  const { group, from, to, term } = x;
  if (!isBase(group, from, to, term)) return null;
  return { group, from, to, term, type: 'timeout-now' } as TimeoutNow;
}

/**
 * The RaftMessage in `x`, or null when `x` is not one a replica can step: the common fields
 * (group, from ≠ to, term) and those of its type, with `data` checking the state machine's data
 * in entries and snapshots. The result is a new object with exactly its type's fields.
 */
export function parseRaftMessage(x: unknown, data?: RaftDataCheck): RaftMessage | null {
  if (!isObject(x)) return null;
  const type = x.type as RaftMessage['type'];
  switch (type) {
    case 'heartbeat':
      return parseHeartbeat(x);
    case 'heartbeat-resp':
      return parseHeartbeatResponse(x);
    case 'append':
      return parseAppend(x, data);
    case 'append-resp':
      return parseAppendResponse(x);
    case 'vote':
      return parseVote(x);
    case 'vote-resp':
      return parseVoteResponse(x);
    case 'snapshot':
      return parseSnapshotRequest(x, data);
    case 'timeout-now':
      return parseTimeoutNow(x);
    default: {
      // Compile time: every type of messages.ts has its case above. Run time: anything else.
      const unknown: never = type;
      void unknown;
      return null;
    }
  }
}

/**
 * Every message of a list (a host's batch), parsed, or null when the list is not an array or any
 * message is not well formed. Its length is bounded by the transport's frame; the simulator
 * delivers only what hosts built.
 */
export function parseRaftMessages(list: unknown, data?: RaftDataCheck): RaftMessage[] | null {
  if (!Array.isArray(list)) return null;
  const out: RaftMessage[] = [];
  for (let i = 0; i < list.length; i++) {
    const m = parseRaftMessage(list[i], data);
    if (m === null) return null;
    out.push(m);
  }
  return out;
}
