// Majority math over the voter set. Kept separate so each rule reads as one line at its use.

export function majority(voterCount: number): number {
  return Math.floor(voterCount / 2) + 1;
}

/**
 * The largest value that at least a majority of voters have reached (e.g. the quorum match
 * index). `values` holds one number per voter.
 */
export function quorumValue(values: readonly number[]): number {
  const n = values.length;
  if (n === 0) return 0;
  if (n === 1) return values[0]!;
  if (n === 3) {
    // The median of three (a leader asks this after every acknowledgement): no copy, no sort.
    const a = values[0]!;
    const b = values[1]!;
    const c = values[2]!;
    return Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
  }
  const sorted = [...values].sort((x, y) => y - x);
  return sorted[majority(n) - 1] as number;
}

export type VoteOutcome = 'won' | 'lost' | 'pending';

/** Tally of a (pre-)election among `voters`; `votes` maps voter → granted. */
export function tallyVotes(voters: readonly string[], votes: ReadonlyMap<string, boolean>): VoteOutcome {
  let granted = 0;
  let rejected = 0;
  for (const v of voters) {
    const g = votes.get(v);
    if (g === true) granted += 1;
    else if (g === false) rejected += 1;
  }
  const need = majority(voters.length);
  if (granted >= need) return 'won';
  if (rejected > voters.length - need) return 'lost';
  return 'pending';
}
