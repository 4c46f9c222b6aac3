// A scenario's cluster as the shape of a local cluster of real servers: what `kvsim real` starts
// and what `kvsim cluster up SCENARIO` starts (kept light: the CLI imports it at start-up).
import type { ClusterShape } from '../node/local-cluster.js';
import { raftTimingOf } from '../scenario/raft-timing.js';
import type { Scenario } from '../scenario/schema.js';

/** A scenario's cluster as a local cluster's shape (kvsim real, and kvsim cluster up SCENARIO). */
export function clusterShapeOf(scenario: Scenario, seed: number, bugs: readonly string[]): ClusterShape {
  return {
    machines: scenario.cluster.machines,
    shards: scenario.cluster.shards ?? 8,
    replication: scenario.cluster.replication ?? 3,
    ...(scenario.cluster.vnodes !== undefined && { vnodes: scenario.cluster.vnodes }),
    seed,
    raft: raftTimingOf(scenario.raft),
    ...(scenario.raft?.snapshotEvery !== undefined && { snapshotEvery: scenario.raft.snapshotEvery }),
    ...(bugs.length > 0 && { bugs }),
  };
}
