// Protocol events: moments inside the store that a fault can be aimed at (`when: { event: ... }`).
// Each names the machine involved and, where there is one, its peer in that moment; a fault
// with that trigger may target `involved` or `peer`. The harness finds them (harness/
// protocol-watch.ts): from the trace's Raft events and the machines' restarts, and from the
// store client for retried puts. Here they are only words.
//
//   event               involved                         peer
//   truncated           the replica that cut a suffix    the leader it follows
//   voteGranted         the voter (a real vote)          the candidate
//   snapshotInstalled   the follower that installed it   the leader it follows
//   transferStarted     the leader handing over          the transferee
//   transferReceived    the transferee, on TimeoutNow    the leader it had
//   confAppended        the leader appending the change  the machine added or removed
//   putRetried          the server the retry goes to     the server of the attempt before
//   restarted           the machine back from a crash    none

export const PROTOCOL_EVENTS = [
  'truncated',
  'voteGranted',
  'snapshotInstalled',
  'transferStarted',
  'transferReceived',
  'confAppended',
  'putRetried',
  'restarted',
] as const;

export type ProtocolEventName = (typeof PROTOCOL_EVENTS)[number];

export interface ProtocolEvent {
  readonly name: ProtocolEventName;
  /** The machine the event happened on (not a replica id: `n3`, never `n3#2`). */
  readonly machine: string;
  readonly peer: string | null;
  /** The shard (Raft group) it belongs to; null for a machine's restart. */
  readonly shard: number | null;
}
