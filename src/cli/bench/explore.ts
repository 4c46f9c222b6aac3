// Exploration figures: small swarm seeds per second on every core; then a guided sweep of 1000
// seeds, and the share of its seeds that reach each compound coverage counter (issue target:
// at least 5 % each), beside the share of the fresh seeds of the first sweep.
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { WorkerPool } from '../../explore/pool.js';
import { sweep, type SweepSummary } from '../../explore/sweep.js';
import { Guide } from '../../explore/guided.js';
import { COMPOUND_NAMES } from '../../explore/coverage.js';
import type { BenchFigure, BenchSection } from './types.js';

function share(summary: SweepSummary, name: (typeof COMPOUND_NAMES)[number]): number {
  return Math.round((1000 * summary.coverage[name].seeds) / Math.max(1, summary.seeds)) / 10;
}

export const exploreSection: BenchSection = {
  name: 'explore',
  async run(quick: boolean): Promise<BenchFigure[]> {
    const workers = availableParallelism();
    const pool = new WorkerPool(workers);
    try {
      const summary = await sweep(pool, {
        source: { kind: 'swarm' },
        range: { from: 1, to: quick ? 100 : 300 },
        shard: null,
        bugs: [],
        checkDeterminism: false,
        untilCovered: false,
        reportsDir: 'reports/.bench',
        nowMs: () => performance.now(),
      });
      const guidedTo = quick ? 200 : 1000;
      const guided = await sweep(pool, {
        source: { kind: 'swarm' },
        range: { from: 1, to: guidedTo },
        shard: null,
        bugs: [],
        checkDeterminism: false,
        untilCovered: false,
        reportsDir: 'reports/.bench',
        guide: new Guide([], 'reports/.bench'),
        nowMs: () => performance.now(),
      });
      return [
        { name: `swarm sweep, seeds 1..${summary.seeds} on ${workers} workers (small: 3-7 machines, 1.5-4 s load + 2 s settle, 4 s under lasting loss)`, value: Math.round(summary.seedsPerSec * 10) / 10, unit: 'seeds/s', target: '>= 20', key: 'seedsPerSec' },
        { name: 'swarm sweep: failures with no planted bug', value: summary.failures.length, unit: 'seeds', target: '<= 0' },
        { name: `guided sweep (--guided), seeds 1..${guided.seeds} on ${workers} workers`, value: Math.round(guided.seedsPerSec * 10) / 10, unit: 'seeds/s', key: 'guidedSeedsPerSec' },
        { name: 'guided sweep: failures with no planted bug', value: guided.failures.length, unit: 'seeds', target: '<= 0' },
        ...COMPOUND_NAMES.flatMap((name): BenchFigure[] => [
          { name: `${name}: share of guided seeds reaching it`, value: share(guided, name), unit: '%', target: '>= 5', key: `guided.${name}` },
          { name: `${name}: share of fresh swarm seeds (1..${summary.seeds}) reaching it`, value: share(summary, name), unit: '%' },
        ]),
      ];
    } finally {
      await pool.close();
    }
  },
};
