// How a cluster's Raft timing is written down (a scenario's `raft:` block, a real cluster's
// cluster.json) and the per-group configuration every replica is built with. Plain values in
// microseconds, no scenario types: the harness and the real runtime both go through here, so a
// simulated and a real cluster with the same numbers run the same protocol.
import { defaultRaftConfig, type RaftConfig } from '../raft/config.js';

export interface RaftTiming {
  tickUs?: number;
  electionTimeoutUs?: number;
  heartbeatUs?: number;
  maxClockDriftUs?: number;
  preVote?: boolean;
  checkQuorum?: boolean;
  /** One heartbeat exchange per machine pair per interval for all groups (default on). */
  coalesceHeartbeats?: boolean;
  /** Idle groups stop heartbeating (default off; needs coalesceHeartbeats). */
  quiesce?: boolean;
  maxInflight?: number;
}

export const DEFAULT_TICK_US = 10_000;
export const DEFAULT_ELECTION_TIMEOUT_US = 150_000;
export const DEFAULT_HEARTBEAT_US = 30_000;

/** The configuration of replica `id` in group `group`, from the written timing. */
export function raftConfigOf(t: RaftTiming, bugs: ReadonlySet<string>): (group: number, id: string) => RaftConfig {
  const tickUs = t.tickUs ?? DEFAULT_TICK_US;
  const electionTicks = Math.max(3, Math.round((t.electionTimeoutUs ?? DEFAULT_ELECTION_TIMEOUT_US) / tickUs));
  const heartbeatTicks = Math.max(1, Math.min(electionTicks - 1, Math.round((t.heartbeatUs ?? DEFAULT_HEARTBEAT_US) / tickUs)));
  return (group, id) =>
    defaultRaftConfig(group, id, {
      tickIntervalUs: tickUs,
      electionTimeoutTicks: electionTicks,
      heartbeatTicks,
      ...(t.maxClockDriftUs !== undefined && { maxClockDriftUs: t.maxClockDriftUs }),
      ...(t.preVote !== undefined && { preVote: t.preVote }),
      ...(t.checkQuorum !== undefined && { checkQuorum: t.checkQuorum }),
      coalesceHeartbeats: t.coalesceHeartbeats ?? true,
      quiesce: t.quiesce ?? false,
      ...(t.maxInflight !== undefined && { maxInflightMsgs: t.maxInflight }),
      bugs,
    });
}
