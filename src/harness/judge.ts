// The final checks of a store run, from what the run left behind: the client history, the
// committed writes, each replica's final state, the liveness probes and the Raft oracle's
// verdict. A simulated run (store-engine.ts) and a run against real processes (src/live) both
// judge with this one function, so their verdicts mean the same thing.
import { checkConvergence, checkEventual, type CommittedWrite, type ConvergenceInput, type EventualResult } from '../check/eventual.js';
import { checkDurability, type ReplicaFinalState } from '../check/durability.js';
import { checkLiveness, type CompactionInput, type LivenessProbe, type StrayKey, type UnansweredInput } from '../check/liveness.js';
import type { ChurnedShard } from '../check/churn.js';
import { checkPlacement, type PlacementInput } from '../check/placement.js';
import type { RaftInvariantStats, RaftViolation } from '../check/raft-invariants.js';
import { checkHistory } from '../check/linearizability.js';
import type { OpRecord } from '../history/op.js';
import { NOT_APPLICABLE, durabilityVerdict, eventualVerdict, invariantsVerdict, linearizableVerdict, livenessVerdict, placementVerdict, type Checks } from './verdicts.js';

export interface JudgeInput {
  history: readonly OpRecord[];
  /** value → where it was committed (values are unique per write). */
  committed: ReadonlyMap<string, CommittedWrite>;
  replicas: readonly ReplicaFinalState[];
  convergence: ConvergenceInput['shards'];
  ownerOfKey: (key: string) => number;
  boundedStalenessUs: number;
  healedAtUs: number;
  livenessBoundUs: number;
  probes: readonly LivenessProbe[];
  /** Each replica's log past its snapshot at the end (null: not known, e.g. real processes). */
  compaction: CompactionInput | null;
  /** Requests held at the heal and still held at the end (null: not checked). */
  unanswered: UnansweredInput | null;
  /** Raft state left on running machines' disks for replicas they no longer host (null: not checked). */
  stray: readonly StrayKey[] | null;
  /** Settled shards whose replicas kept starting elections (null: not checked). */
  churn: readonly ChurnedShard[] | null;
  oracle: { violation: RaftViolation | null; stats: RaftInvariantStats };
  /** Linearizability work budget, in the search's deadline polls (about 4096 steps each). */
  linearizabilityWorkPolls: number;
  /** Where the replicas ended up, when a placement driver manages membership (else null). */
  placement: PlacementInput | null;
}

export interface Judgement {
  ops: { total: number; ok: number; failed: number; indeterminate: number };
  staleReads: number;
  checks: Checks;
  eventual: EventualResult;
}

export function judgeStoreRun(input: JudgeInput): Judgement {
  const history = input.history;
  const eventual = checkEventual({ history, committed: input.committed, boundedStalenessUs: input.boundedStalenessUs });
  const convergence = checkConvergence({ shards: input.convergence });
  const durability = checkDurability(history, input.replicas, input.ownerOfKey);
  const liveness = checkLiveness(input.healedAtUs, input.livenessBoundUs, input.probes, input.compaction, input.unanswered, input.stray, input.churn);
  const linRecords = history.filter((o) => o.op === 'put' || o.level === 'linearizable' || o.level === 'lease' || o.level === undefined);
  // A work budget, not a wall-clock one: the search polls `deadline` every few thousand steps,
  // so counting polls bounds its work deterministically (the verdict is part of the trace).
  let polls = 0;
  const pollsMax = input.linearizabilityWorkPolls;
  const lin = checkHistory(linRecords, { model: 'kv', missingValue: null, deadline: () => ++polls > pollsMax });
  const ops = { total: history.length, ok: 0, failed: 0, indeterminate: 0 };
  for (const o of history) ops[o.outcome]++;
  return {
    ops,
    staleReads: eventual.staleness.stale,
    checks: {
      invariants: invariantsVerdict(input.oracle.violation, input.oracle.stats),
      linearizable: linearizableVerdict(lin, linRecords.length, pollsMax),
      eventual: eventualVerdict(eventual, convergence),
      durability: durabilityVerdict(durability),
      liveness: livenessVerdict(liveness),
      placement: input.placement === null ? NOT_APPLICABLE : placementVerdict(checkPlacement(input.placement)),
    },
    eventual,
  };
}

/** Per shard, the replicas' digests, judged against the most advanced replica's. */
export function convergenceOf(replicas: readonly { machine: string; shard: number; digest: string; appliedIndex: number }[]): ConvergenceInput['shards'] {
  const byShard = new Map<number, { machine: string; digest: string; appliedIndex: number }[]>();
  for (const r of replicas) {
    let list = byShard.get(r.shard);
    if (list === undefined) byShard.set(r.shard, (list = []));
    list.push({ machine: r.machine, digest: r.digest, appliedIndex: r.appliedIndex });
  }
  const convergence: ConvergenceInput['shards'] = [];
  for (const [shard, list] of byShard) {
    // The most advanced replica holds the committed state everyone must reach.
    const best = list.reduce((a, b) => (b.appliedIndex > a.appliedIndex ? b : a));
    convergence.push({ shard, replicas: list, expected: best.digest });
  }
  return convergence;
}
