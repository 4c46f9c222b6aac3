// A scenario's `raft:` block as the store's plain Raft timing (src/store/settings.ts): the one
// conversion the simulated cluster (harness) and a real one started from a scenario file
// (`kvsim cluster up SCENARIO.yaml`) both use.
import type { RaftTiming } from '../store/settings.js';
import type { Scenario } from './schema.js';

export function raftTimingOf(r: NonNullable<Scenario['raft']> | undefined): RaftTiming {
  if (r === undefined) return {};
  return {
    ...(r.tick !== undefined && { tickUs: r.tick }),
    ...(r.electionTimeout !== undefined && { electionTimeoutUs: r.electionTimeout }),
    ...(r.heartbeat !== undefined && { heartbeatUs: r.heartbeat }),
    ...(r.maxClockDrift !== undefined && { maxClockDriftUs: r.maxClockDrift }),
    ...(r.preVote !== undefined && { preVote: r.preVote }),
    ...(r.checkQuorum !== undefined && { checkQuorum: r.checkQuorum }),
    ...(r.coalesceHeartbeats !== undefined && { coalesceHeartbeats: r.coalesceHeartbeats }),
    ...(r.quiesce !== undefined && { quiesce: r.quiesce }),
    ...(r.maxInflight !== undefined && { maxInflight: r.maxInflight }),
  };
}
