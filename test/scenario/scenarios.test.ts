// Every shipped scenario passes at seed 1 (its expect lines hold, unmentioned checks pass) and
// replays bit for bit.
import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { loadScenarioFile } from '../../src/scenario/load.js';
import { runScenario } from '../../src/harness/runner.js';
import { engineFactoryFor } from '../../src/harness/engines.js';

const files = readdirSync('scenarios')
  .filter((f) => f.endsWith('.yaml') && f !== 'bench-steady.yaml')
  .sort();

function run(file: string, seed: number) {
  const loaded = loadScenarioFile(`scenarios/${file}`);
  return runScenario(loaded, { seed }, engineFactoryFor(loaded.scenario, []));
}

describe('shipped scenarios', () => {
  it('include the set the store promises', () => {
    for (const name of ['leader-election', 'leader-isolated', 'minority-partition', 'stale-follower-reads', 'crash-restart-all', 'asymmetric-partition', 'bridge-partition', 'clock-skew-lease', 'hot-key-spike', 'rolling-restart', 'slow-disk', 'default']) {
      expect(files).toContain(`${name}.yaml`);
    }
  });

  it.each(files)('%s passes at seed 1 and replays with the same hash', (file) => {
    const a = run(file, 1);
    expect(a.expectations.failed).toEqual([]);
    expect(a.ok).toBe(true);
    const b = run(file, 1);
    expect(b.traceHash).toBe(a.traceHash);
    expect(b.events).toBe(a.events);
  });

  it('the autoscaler gives its read replicas back in the settling, and a topology has its zone spread judged', () => {
    const spike = run('read-spike-autoscale.yaml', 1);
    const p = spike.checks.placement;
    expect(p.ok).toBe(true);
    if (!('autoscale' in p) || p.autoscale === undefined) throw new Error('no autoscale part in the placement verdict');
    expect(p.autoscale.remaining).toEqual([]);
    expect(p.autoscale.requiredUs).toBeGreaterThan(0);
    const geo = run('geo-follower-reads.yaml', 1).checks.placement;
    expect('spread' in geo && geo.spread).toEqual({ ok: true, problems: [] });
  });

  it('at least one scenario shows stale reads and one a fault-caused leader change', () => {
    const stale = run('stale-follower-reads.yaml', 1);
    expect(stale.staleReads).toBeGreaterThan(0);
    const isolated = run('leader-isolated.yaml', 1);
    // 4 shards elect once each at start; more elections mean the fault moved a leader.
    expect(isolated.elections).toBeGreaterThan(4);
  });
});
