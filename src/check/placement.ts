// Placement convergence: once every fault has healed (and the placement driver has had its
// bounded extra settling), every shard's replicas are where the scenario's membership changes
// put them. The ring names each shard's desired voters and the directory its read replicas; the
// check compares them with what the shard's leader actually has in its committed membership, and
// with the replicas the machines actually host, and that the driver's counts can be (no moves
// below zero, no more read replicas removed than there ever were). A join, leave or replace that never completes,
// a move that stalls, a removed replica left running, or a member whose replica is gone fails it, even when every read and write
// was served correctly meanwhile.
//
// Input is plain data gathered by the engine; nothing here reaches into live objects.

export interface PlacementShardInput {
  shard: number;
  /** Machines the ring wants as voters. */
  desiredVoters: readonly string[];
  /** Machines the directory wants as extra read-only learners (read replicas). */
  desiredLearners: readonly string[];
  /** The membership committed at the shard's current leader (null: no leader at the end). */
  actual: { leader: string; voters: readonly string[]; learners: readonly string[] } | null;
  /** Machines (up, not retired) hosting a replica of this shard, whatever its membership. */
  hosts: readonly string[];
}

export interface PlacementInput {
  shards: readonly PlacementShardInput[];
  /** When the check was taken, and how long the settling could take at most. */
  atUs: number;
  movesCompleted: number;
  learnersAdded: number;
  learnersRemoved: number;
  /** Read replicas the directory started with (zone read replicas): removable, never added. */
  learnersInitial: number;
}

export interface PlacementMismatch {
  shard: number;
  /** What is wrong, in one phrase. */
  problem: 'no leader' | 'voters' | 'learners' | 'orphan' | 'missing';
  expected: string[];
  actual: string[];
}

export interface PlacementResult {
  ok: boolean;
  atUs: number;
  shards: number;
  movesCompleted: number;
  /** At most five, in shard order. */
  mismatches: PlacementMismatch[];
  /** Present when the counts are impossible (moves below zero, more read replicas removed than there were). */
  learnerCounts?: { initial: number; added: number; removed: number };
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  return sa.size === new Set(b).size && b.every((x) => sa.has(x));
}

const sorted = (xs: Iterable<string>): string[] => [...xs].sort();

export function checkPlacement(input: PlacementInput): PlacementResult {
  const mismatches: PlacementMismatch[] = [];
  // Read replicas are counted once each way: more removed than there ever were is a bookkeeping error.
  const countsOk =
    input.movesCompleted >= 0 && input.learnersRemoved >= 0 && input.learnersAdded >= 0 && input.learnersRemoved <= input.learnersAdded + input.learnersInitial;
  for (const s of input.shards) {
    const a = s.actual;
    if (a === null) {
      mismatches.push({ shard: s.shard, problem: 'no leader', expected: sorted(s.desiredVoters), actual: [] });
      continue;
    }
    const learnersWanted = s.desiredLearners.filter((m) => !s.desiredVoters.includes(m));
    if (!sameSet(a.voters, s.desiredVoters)) {
      mismatches.push({ shard: s.shard, problem: 'voters', expected: sorted(s.desiredVoters), actual: sorted(a.voters) });
    } else if (!sameSet(a.learners, learnersWanted)) {
      mismatches.push({ shard: s.shard, problem: 'learners', expected: sorted(learnersWanted), actual: sorted(a.learners) });
    } else {
      const members = new Set([...a.voters, ...a.learners]);
      const orphans = s.hosts.filter((m) => !members.has(m));
      // And the other way: a member whose machine no longer hosts its replica (dropped by a stale
      // request, or lost) is a voter or learner that is gone for good while the membership counts it.
      const missing = [...members].filter((m) => !s.hosts.includes(m));
      if (orphans.length > 0) mismatches.push({ shard: s.shard, problem: 'orphan', expected: sorted(members), actual: sorted(s.hosts) });
      else if (missing.length > 0) mismatches.push({ shard: s.shard, problem: 'missing', expected: sorted(members), actual: sorted(s.hosts) });
    }
  }
  return {
    ok: mismatches.length === 0 && countsOk,
    atUs: input.atUs,
    shards: input.shards.length,
    movesCompleted: input.movesCompleted,
    mismatches: mismatches.slice(0, 5),
    ...(!countsOk && { learnerCounts: { initial: input.learnersInitial, added: input.learnersAdded, removed: input.learnersRemoved } }),
  };
}

/** One line saying what did not converge. */
export function placementMessage(r: PlacementResult): string | undefined {
  if (r.ok) return undefined;
  const m = r.mismatches[0];
  if (m === undefined) {
    const c = r.learnerCounts;
    if (r.movesCompleted < 0) return `the placement driver counts ${r.movesCompleted} moves completed`;
    return `read replicas: ${c?.removed ?? '?'} removed but ${c?.initial ?? '?'} at the start and ${c?.added ?? '?'} added`;
  }
  const what =
    m.problem === 'no leader'
      ? 'has no leader'
      : m.problem === 'orphan'
        ? `is still hosted on ${m.actual.filter((x) => !m.expected.includes(x)).join(', ')} outside its membership`
        : m.problem === 'missing'
          ? `counts ${m.expected.filter((x) => !m.actual.includes(x)).join(', ')} in its membership, but no replica of it is hosted there`
        : `has ${m.problem} [${m.actual.join(', ')}], the placement wants [${m.expected.join(', ')}]`;
  const more = r.mismatches.length > 1 ? ` (and ${r.mismatches.length - 1} more)` : '';
  return `shard ${m.shard} ${what} at ${r.atUs}us, after the placement settling${more}`;
}
