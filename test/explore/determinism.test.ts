// The determinism self-check: every seed runs twice (the second time on a fresh worker) and a
// mismatch names the first diverging event. Proven with nondeterminism planted on purpose: a
// test-only engine whose process reads a counter shared by all runs in one worker thread.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { executeScenario } from '../../src/explore/execute.js';
import { WorkerPool } from '../../src/explore/pool.js';
import { firstDivergence, sweep, type SweepOptions } from '../../src/explore/sweep.js';

const ENGINE = pathToFileURL('test/explore/fixtures/counter-engine.mjs').href;
const DEMO = 'scenarios/demo-ping.yaml';

function options(overrides: Partial<SweepOptions>): SweepOptions {
  return {
    source: { kind: 'file', file: DEMO, text: readFileSync(DEMO, 'utf8') },
    range: { from: 1, to: 3 },
    shard: null,
    bugs: [],
    checkDeterminism: true,
    untilCovered: false,
    reportsDir: 'reports/.test',
    nowMs: () => 0,
    ...overrides,
  };
}

describe('determinism self-check', () => {
  it('firstDivergence names the first differing index, or the end of the shorter list', () => {
    expect(firstDivergence(['a', 'b'], ['a', 'b'])).toBeNull();
    expect(firstDivergence(['a', 'b', 'c'], ['a', 'x', 'c'])).toEqual({ index: 1, events: ['b', 'x'] });
    expect(firstDivergence(['a'], ['a', 'b'])).toEqual({ index: 1, events: [null, 'b'] });
  });

  it('finds the planted nondeterminism and reports it at the planted event', async () => {
    // Where the planted event sits in a run (index in emission order), computed in process.
    const mod = (await import(ENGINE)) as { engineFactory: () => never; PLANTED_AT_US: number };
    const plantedIndex = (seed: number): number => {
      const alone = executeScenario(DEMO, readFileSync(DEMO, 'utf8'), seed, [], { captureEvents: true, engineFactory: mod.engineFactory });
      return alone.eventLog!.findIndex((e) => JSON.parse(e).action === 'planted');
    };
    expect(plantedIndex(2)).toBeGreaterThan(0);
    expect(plantedIndex(2)).not.toBe(plantedIndex(3));

    const pool = new WorkerPool(1);
    try {
      const summary = await sweep(pool, options({ engineModule: ENGINE }));
      expect(summary.deterministic).toBe(false);
      // Seed 1 is the first run on the reused worker: it sees the same counter as a fresh one.
      expect(summary.divergences.map((d) => d.seed)).toEqual([2, 3]);
      for (const d of summary.divergences) {
        expect(d.hashes[0]).not.toBe(d.hashes[1]);
        expect(d.index).toBe(plantedIndex(d.seed));
        const [reused, fresh] = d.events!.map((e) => JSON.parse(e!));
        expect(reused).toMatchObject({ type: 'fault', action: 'planted', t: mod.PLANTED_AT_US });
        expect(fresh).toMatchObject({ type: 'fault', action: 'planted', t: mod.PLANTED_AT_US, detail: 'runs before this one in this worker: 0' });
        expect(reused.detail).not.toBe(fresh.detail);
      }
    } finally {
      await pool.close();
    }
  });

  it('reports deterministic: true for the honest engine on the same seeds', async () => {
    const pool = new WorkerPool(2);
    try {
      const summary = await sweep(pool, options({}));
      expect(summary.deterministic).toBe(true);
      expect(summary.divergences).toEqual([]);
      expect(summary.seeds).toBe(3);
    } finally {
      await pool.close();
    }
  });
});
