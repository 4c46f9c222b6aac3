// A leader's state for one term (Raft paper §5.3, thesis §3.10, §6.2, §6.4). The replica creates
// it when it wins an election and drops it when it steps down, so no field of one leadership has
// to be reset for the next: per-follower progress, snapshot retries, the heartbeat clock, a
// leadership transfer, the ReadIndex queue and the heartbeat rounds that confirm reads and
// leases. Only the round count carries over (see `firstRound`).
//
// The heartbeat-round bookkeeping lives here: a round is started (numbered, its send time kept),
// acknowledged by followers, and confirmed once a quorum of voters has acknowledged it or a later
// one — which serves the reads registered at or before it and starts the lease at its send time.
// The replica's `startHeartbeatRound` / `settleRounds` are the only callers of the round methods.
import { assert } from '../base/assert.js';
import { Progress } from './progress.js';
import { quorumValue, tallyVotes } from './quorum.js';
import { ReadOnlyQueue } from './readonly.js';

/** A leadership transfer in progress (thesis §3.10). */
export interface Transfer {
  readonly to: string;
  /** Ticks since it started; the transfer is abandoned after an election timeout. */
  elapsedTicks: number;
}

export class LeaderState {
  /** Replication state of every other member (voters and learners). */
  readonly progress = new Map<string, Progress>();
  /** ReadIndex requests of this leadership: held, batched, or waiting for their round. */
  readonly reads: ReadOnlyQueue;
  heartbeatElapsedTicks = 0;
  transfer: Transfer | null = null;
  /** The round of the heartbeat marked `quiesce` last sent (0: none since the group last woke). */
  quiesceRound = 0;
  /** Every follower acknowledged the quiesce round: no heartbeats until something wakes the group. */
  quiesced = false;
  /** Ticks since a snapshot went to each peer that has one in flight (lost ones are retried). */
  private readonly snapshotElapsedTicks = new Map<string, number>();

  /** The latest heartbeat round started. */
  private roundNow: number;
  /** Send time of each round not yet known to be confirmed, oldest first. */
  private readonly roundSentUs = new Map<number, number>();
  private roundLastSentUs = -Infinity;
  /** The latest round a quorum confirmed in this leadership (`firstRound` until one is). */
  private leaseRound: number;
  private leaseFromUs = -Infinity;

  /**
   * `firstRound`: the last round of this replica's previous leaderships. Rounds are numbered
   * across leaderships rather than per term (heartbeats carry the numbers), so within
   * one run of the replica an answer to an earlier leadership's heartbeat — which the term check
   * drops anyway — cannot confirm a round of this one.
   */
  constructor(maxPendingReads: number, firstRound: number) {
    assert(Number.isInteger(firstRound) && firstRound >= 0, `first round ${firstRound}`);
    this.reads = new ReadOnlyQueue(maxPendingReads);
    this.roundNow = firstRound;
    this.leaseRound = firstRound;
  }

  // ---------------------------------------------------------------- followers

  addPeer(peer: string, next: number, maxInflight: number): void {
    this.progress.set(peer, new Progress(next, maxInflight));
  }

  removePeer(peer: string): void {
    this.progress.delete(peer);
    this.snapshotElapsedTicks.delete(peer);
  }

  snapshotSent(peer: string): void {
    this.snapshotElapsedTicks.set(peer, 0);
  }

  snapshotDone(peer: string): void {
    this.snapshotElapsedTicks.delete(peer);
  }

  /** One tick for every snapshot in flight: one that has been out for `timeoutTicks` is taken for
   * lost, and its follower goes back to probing (it would otherwise stay paused forever). */
  retryLostSnapshots(timeoutTicks: number): void {
    for (const [peer, elapsed] of this.snapshotElapsedTicks) {
      if (elapsed + 1 >= timeoutTicks) {
        this.snapshotElapsedTicks.delete(peer);
        const pr = this.progress.get(peer);
        if (pr !== undefined && pr.state === 'snapshot') pr.becomeProbe();
      } else {
        this.snapshotElapsedTicks.set(peer, elapsed + 1);
      }
    }
  }

  /** The highest index a majority of `voters` holds; `selfMatch` is the leader's own. */
  quorumMatch(voters: readonly string[], selfId: string, selfMatch: number): number {
    const matches: number[] = [];
    for (const v of voters) matches.push(v === selfId ? selfMatch : (this.progress.get(v)?.match ?? 0));
    return quorumValue(matches);
  }

  /** CheckQuorum (thesis §6.2): a majority of `voters` was heard from since the last check. */
  quorumActive(voters: readonly string[], selfId: string): boolean {
    const active = new Map<string, boolean>();
    for (const v of voters) active.set(v, v === selfId || (this.progress.get(v)?.recentActive ?? false));
    return tallyVotes(voters, active) === 'won';
  }

  forgetActivity(): void {
    for (const pr of this.progress.values()) pr.recentActive = false;
  }

  // ---------------------------------------------------------------- heartbeat rounds

  /** The latest round started (the count the next leadership continues from). */
  get round(): number {
    return this.roundNow;
  }

  /** Send time of the latest round a quorum confirmed in this leadership; −∞ before the first. */
  get leaseStartUs(): number {
    return this.leaseFromUs;
  }

  /** Start a round sent at local time `sentUs`; returns its number. */
  startRound(sentUs: number): number {
    // The lease is measured from a round's send time, so send times must not go back.
    assert(sentUs >= this.roundLastSentUs, `round sent at ${sentUs} after one sent at ${this.roundLastSentUs}`);
    this.roundLastSentUs = sentUs;
    this.roundNow += 1;
    this.roundSentUs.set(this.roundNow, sentUs);
    return this.roundNow;
  }

  /** A follower answered the heartbeat of `round`. */
  acknowledge(pr: Progress, round: number): void {
    pr.ackedRound = Math.max(pr.ackedRound, round);
  }

  /** The latest round a quorum of `voters` has acknowledged (the leader acknowledges its own
   * rounds as it starts them). */
  quorumRound(voters: readonly string[], selfId: string): number {
    const acked: number[] = [];
    for (const v of voters) acked.push(v === selfId ? this.roundNow : (this.progress.get(v)?.ackedRound ?? 0));
    return quorumValue(acked);
  }

  /** Round `quorumRound` is confirmed: the lease runs from its send time (no voter of that quorum
   * votes for anyone else for an election timeout after answering it), and older rounds' send
   * times are no longer needed. */
  confirmRound(quorumRound: number): void {
    if (quorumRound > this.leaseRound) {
      const sentUs = this.roundSentUs.get(quorumRound);
      if (sentUs !== undefined) this.leaseFromUs = Math.max(this.leaseFromUs, sentUs);
      this.leaseRound = quorumRound;
    }
    // Bound: one pass over the rounds still kept; they are in increasing order.
    for (const r of this.roundSentUs.keys()) {
      if (r >= quorumRound) break;
      this.roundSentUs.delete(r);
    }
  }
}
