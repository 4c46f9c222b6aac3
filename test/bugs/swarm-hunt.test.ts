// Every planted bug is found by the swarm explorer in a small, fixed seed range, by the check
// the catalogue expects, and the failing seed passes with no bug (so the find is the bug's).
// The ranges end at the first seed that `kvsim hunt --bug NAME` (start seed 1) fails on; after
// a change to the generator, recompute them with `node scripts/bug-seeds.mjs`.
import { describe, expect, it } from 'vitest';
import { BUGS } from '../../src/bugs/catalogue.js';
import { executeScenario } from '../../src/explore/execute.js';
import { swarmFileText } from '../../src/explore/swarm.js';

/** bug -> [first seed of the range, last seed (the first failing one from seed 1), checks that may catch it]. */
const RANGES: Record<string, [number, number, string[]]> = {
  'vote-without-log-check': [2, 4, ['invariants', 'assertion']],
  'commit-previous-term': [4, 6, ['invariants']],
  'ack-before-persist': [1, 2, ['assertion', 'invariants', 'liveness']],
  'forget-vote-on-restart': [39, 41, ['invariants', 'assertion']],
  'leader-read-without-quorum': [5, 7, ['invariants']],
  'readindex-before-term-commit': [57, 59, ['invariants']],
  'lease-ignores-drift': [12, 14, ['invariants']],
  'accept-stale-term': [2, 4, ['assertion']],
  'no-election-timer-reset': [1, 1, ['invariants', 'liveness']],
  'truncate-on-matching-heartbeat': [13, 15, ['assertion', 'invariants']],
  'next-index-overshoot': [1, 3, ['assertion', 'invariants']],
  'snapshot-drops-last-entry': [9, 11, ['assertion', 'invariants']],
  'follower-serves-uncommitted': [4, 6, ['invariants', 'linearizable']],
  'session-token-ignored': [6, 8, ['eventual']],
  'stale-route-no-redirect': [1, 1, ['eventual', 'linearizable', 'durability']],
  'bounded-ignores-bound': [4, 6, ['eventual']],
  'ring-boundary-off-by-one': [23, 25, ['durability']],
};

describe('each planted bug is found by a bounded swarm search', () => {
  it('covers the whole catalogue', () => {
    expect(Object.keys(RANGES).sort()).toEqual(BUGS.map((b) => b.name).sort());
  });

  for (const [bug, [from, to, checks]] of Object.entries(RANGES)) {
    it(`${bug}: found in seeds ${from}..${to} by ${checks.join(' / ')}, and that seed passes with no bug`, () => {
      let found: { seed: number; check: string } | null = null;
      for (let seed = from; seed <= to && found === null; seed++) {
        const out = executeScenario(`swarm-${seed}.yaml`, swarmFileText(seed, [bug]), seed, [bug]);
        if (out.failure !== null) found = { seed, check: out.failure.check };
      }
      expect(found, `no seed in ${from}..${to} fails with ${bug}`).not.toBe(null);
      expect(checks).toContain(found!.check);
      const honest = executeScenario(`swarm-${found!.seed}.yaml`, swarmFileText(found!.seed, []), found!.seed, []);
      expect(honest.failing, `seed ${found!.seed} fails with no bug: a false alarm`).toEqual([]);
    });
  }
});
