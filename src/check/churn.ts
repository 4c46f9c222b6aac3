// Leadership churn: once a shard has settled after the last fault healed (its liveness probes
// served) and its membership stays put, its replicas have no reason to start elections: the
// leader's heartbeats (or, with quiescence, its machine's beats) reach every member. A replica
// that times out again and again there — a follower whose election clock is not reset, a quiet
// follower woken for nothing, a leader whose heartbeats stop — keeps deposing a healthy leader.
// Reads and writes are still served between elections, so every other check passes; this sees it.
//
// Fed Raft trace events as they happen. An election counts when a replica becomes a candidate
// (its term goes up) after an election timeout — with PreVote, after winning the pre-vote,
// which needs a majority that has not heard from a leader for an election timeout — not on a
// transfer's TimeoutNow, and only by a replica the group's leader counts as a member (a removed
// replica waiting for its drop hears no heartbeats, by design). Only with PreVote on: without
// it a replica that campaigned while cut off disrupts the leader a few times after the heal,
// Raft's known disruption that PreVote exists to stop. A stray election can still come from a
// streak of the network's own loss: the window opens only in the second half of the settling,
// and CHURN_CAMPAIGNS elections in one group there are churn. With quiescence on, the engine puts
// a write to each settled shard every few election timeouts there (startQuietBeats): a quiet group
// must wake and go quiet again without an election.
import type { TraceEvent } from '../trace/events.js';

/** Campaigns by timeout in one settled group that make churn. */
export const CHURN_CAMPAIGNS = 2;

export interface ChurnedShard {
  shard: number;
  /** Elections (a candidate after a timeout) counted in the window. */
  campaigns: number;
  /** Start of the window: settled, membership unchanged since, plus a grace of two election timeouts. */
  fromUs: number;
}

export class ChurnWatch {
  /** Per group: times of campaigns by election timeout, by members. */
  private readonly campaigns = new Map<number, number[]>();
  /** Per group: when its membership (as any replica holds it) last changed. */
  private readonly confChangedUs = new Map<number, number>();
  private readonly membersOf = new Map<string, readonly string[]>();
  private readonly leaderOf = new Map<number, string>();

  observe(e: TraceEvent): void {
    switch (e.type) {
      case 'raft.role': {
        if (e.role === 'leader') this.leaderOf.set(e.group, e.replica);
        if (e.role !== 'candidate' || (e.reason !== 'election-timeout' && e.reason !== 'won-prevote')) return;
        const leader = this.leaderOf.get(e.group);
        const members = leader === undefined ? undefined : this.membersOf.get(`${e.group}/${leader}`);
        if (members !== undefined && !members.includes(e.replica)) return;
        let list = this.campaigns.get(e.group);
        if (list === undefined) this.campaigns.set(e.group, (list = []));
        list.push(e.t);
        return;
      }
      case 'raft.conf':
      case 'raft.restart':
        this.membersOf.set(`${e.group}/${e.replica}`, [...e.voters, ...e.learners]);
        if (e.type === 'raft.conf') this.confChangedUs.set(e.group, e.t);
        return;
      default:
        return;
    }
  }

  /**
   * The shards that churned: per shard, campaigns counted from max(settled, last membership
   * change) plus `graceUs`, and not before `notBeforeUs`. `settledUs` is null for a shard that
   * never settled (liveness fails it).
   */
  churned(settled: readonly { shard: number; settledUs: number | null }[], graceUs: number, notBeforeUs: number): ChurnedShard[] {
    const out: ChurnedShard[] = [];
    for (const { shard, settledUs } of settled) {
      if (settledUs === null) continue;
      const fromUs = Math.max(notBeforeUs, Math.max(settledUs, this.confChangedUs.get(shard) ?? 0) + graceUs);
      const campaigns = (this.campaigns.get(shard) ?? []).filter((t) => t >= fromUs).length;
      if (campaigns >= CHURN_CAMPAIGNS) out.push({ shard, campaigns, fromUs });
    }
    return out;
  }
}
