// ReadIndex requests waiting for a heartbeat quorum (thesis §6.4). A request records the
// commit index when it arrived and the heartbeat round started for it; it is ready once a
// quorum of voters has acknowledged that round or a later one. Rounds only grow, so pending
// requests become ready in FIFO order.
import { AssertionError } from '../base/assert.js';

export interface PendingRead {
  readonly requestId: string;
  readonly index: number;
  readonly round: number;
}

export class ReadOnlyQueue {
  private pending: PendingRead[] = [];
  /** Reads that arrived before the leader committed an entry of its term. */
  private held: string[] = [];
  /** Reads that arrived while a round was in flight: they share the next round (batching). */
  private batched: string[] = [];

  constructor(private readonly maxPending: number) {}

  size(): number {
    return this.pending.length + this.held.length + this.batched.length;
  }

  /** True while some read waits for a heartbeat round to be acknowledged. */
  roundInFlight(): boolean {
    return this.pending.length > 0;
  }

  batch(requestId: string): void {
    this.batched.push(requestId);
  }

  takeBatched(): string[] {
    const b = this.batched;
    this.batched = [];
    return b;
  }

  isFull(): boolean {
    return this.size() >= this.maxPending;
  }

  add(read: PendingRead): void {
    const last = this.pending[this.pending.length - 1];
    if (last !== undefined && last.round > read.round) throw new AssertionError('read rounds must not decrease');
    this.pending.push(read);
  }

  hold(requestId: string): void {
    this.held.push(requestId);
  }

  takeHeld(): string[] {
    const h = this.held;
    this.held = [];
    return h;
  }

  /** Remove and return every read whose round is at or below `quorumRound`. */
  takeReady(quorumRound: number): PendingRead[] {
    let n = 0;
    while (n < this.pending.length && (this.pending[n] as PendingRead).round <= quorumRound) n += 1;
    return n === 0 ? [] : this.pending.splice(0, n);
  }

  /** Everything, for rejection when leadership is lost. */
  takeAll(): string[] {
    const ids = [...this.held, ...this.pending.map((p) => p.requestId), ...this.batched];
    this.held = [];
    this.pending = [];
    this.batched = [];
    return ids;
  }
}
