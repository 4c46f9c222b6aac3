// Exploration figure: small swarm seeds per second on every core.
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { WorkerPool } from '../../explore/pool.js';
import { sweep } from '../../explore/sweep.js';
import type { BenchFigure, BenchSection } from './types.js';

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
      return [
        { name: `swarm sweep, seeds 1..${summary.seeds} on ${workers} workers (small: 3-7 machines, 1.5-4 s load + 2 s settle, 4 s under lasting loss)`, value: Math.round(summary.seedsPerSec * 10) / 10, unit: 'seeds/s', target: '>= 20', key: 'seedsPerSec' },
        { name: 'swarm sweep: failures with no planted bug', value: summary.failures.length, unit: 'seeds', target: '<= 0' },
      ];
    } finally {
      await pool.close();
    }
  },
};
