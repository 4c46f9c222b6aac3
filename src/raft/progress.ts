// The leader's view of one follower (or learner): how far it matches, what to send next, and
// how many AppendEntries may be in flight. Mirrors the thesis' nextIndex/matchIndex plus the
// probe/replicate flow control of etcd's raft.
import { AssertionError } from '../base/assert.js';

export type ProgressState = 'probe' | 'replicate' | 'snapshot';

export class Progress {
  match = 0;
  next: number;
  state: ProgressState = 'probe';
  /** Probe: one append is outstanding; wait for its answer or the next heartbeat reply. */
  probeSent = false;
  /** Snapshot: the index of the snapshot in flight. */
  pendingSnapshot = 0;
  /** Last index of each in-flight append carrying entries, oldest first. */
  private inflight: number[] = [];
  /** Heard from since the last CheckQuorum round. */
  recentActive = false;
  /** Latest heartbeat round this peer acknowledged (ReadIndex, lease). */
  ackedRound = 0;
  /** `match` as of the previous heartbeat reply: no movement between two replies while entries
   * are outstanding means appends were lost (the simulated network drops; TCP would not). */
  matchAtHeartbeat = -1;

  constructor(
    next: number,
    private readonly maxInflight: number,
  ) {
    this.next = next;
  }

  inflightCount(): number {
    return this.inflight.length;
  }

  /** Nothing more may be sent until an answer arrives. */
  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent;
      case 'replicate':
        return this.inflight.length >= this.maxInflight;
      case 'snapshot':
        return true;
    }
  }

  becomeProbe(): void {
    // Coming back from a snapshot, resume after the snapshot; otherwise after the match.
    this.next = this.state === 'snapshot' ? Math.max(this.match, this.pendingSnapshot) + 1 : this.match + 1;
    this.state = 'probe';
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.inflight = [];
  }

  becomeReplicate(): void {
    this.state = 'replicate';
    this.next = this.match + 1;
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.inflight = [];
  }

  becomeSnapshot(index: number): void {
    this.state = 'snapshot';
    this.pendingSnapshot = index;
    this.probeSent = false;
    this.inflight = [];
  }

  /** An append ending at `lastIndex` (with `count` entries) went out. */
  sentAppend(lastIndex: number, count: number): void {
    switch (this.state) {
      case 'replicate':
        if (count > 0) {
          // Optimistic: assume it arrives and keep streaming.
          this.next = lastIndex + 1;
          this.inflight.push(lastIndex);
        }
        break;
      case 'probe':
        this.probeSent = true;
        break;
      case 'snapshot':
        throw new AssertionError('append sent while a snapshot is in flight');
    }
  }

  /** A success ending at `index`. Returns whether it taught us something new. */
  maybeUpdate(index: number): boolean {
    let updated = false;
    if (index > this.match) {
      this.match = index;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, index + 1);
    while (this.inflight.length > 0 && (this.inflight[0] as number) <= index) this.inflight.shift();
    return updated;
  }

  /**
   * A rejection of the append whose prevIndex was `rejected`; `hint` is where the leader's log
   * (after its own term search) may match. Returns false for a stale rejection.
   */
  maybeDecrTo(rejected: number, hint: number): boolean {
    if (this.state === 'replicate') {
      // Answers to appends sent before the last success are stale.
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    // Probe: only the answer to the append we sent last counts.
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, hint + 1), this.match + 1, 1);
    this.probeSent = false;
    return true;
  }

  /** A heartbeat answer shows the peer is alive: let one more message out. */
  onHeartbeatResponse(): void {
    this.probeSent = false;
    if (this.state === 'replicate' && this.inflight.length >= this.maxInflight) this.inflight.shift();
  }
}
