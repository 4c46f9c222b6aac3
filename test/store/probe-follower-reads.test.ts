// The liveness probe's bounded reads: once the faults heal, every replica that may serve a
// shard's follower reads serves one, pinned to it (a store whose followers cannot confirm their
// freshness, while the leader can, fails liveness).
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseScenarioText } from '../../src/scenario/load.js';
import { runScenario } from '../../src/harness/runner.js';
import { engineFactoryFor } from '../../src/harness/engines.js';
import { PROBE_CLIENT_BASE } from '../../src/harness/store-engine.js';
import type { OpRecord } from '../../src/history/op.js';

const SCENARIO = `
name: probe-follower-reads
duration: 2s
cluster: { machines: 4, shards: 3, replication: 3 }
workload: { clients: 2, rate: 100, levels: { linearizable: 1, bounded: 1 } }
faults:
  - { at: 500ms, for: 500ms, isolate: random }
`;

describe('liveness probe, bounded reads', () => {
  it('reads at each replica of every shard, pinned to it, after the heal', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kvsim-probe-'));
    try {
      const loaded = parseScenarioText('probe-follower-reads.yaml', SCENARIO);
      const historyPath = join(dir, 'history.jsonl');
      const summary = runScenario(loaded, { seed: 4, historyPath }, engineFactoryFor(loaded.scenario, []));
      expect(summary.checks.liveness.ok).toBe(true);
      const records = readFileSync(historyPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as OpRecord);
      const served = new Map<number, Set<string>>();
      for (const r of records) {
        if (r.client < PROBE_CLIENT_BASE || r.op !== 'get' || r.level !== 'bounded' || r.outcome !== 'ok') continue;
        const set = served.get(r.shard!) ?? new Set<string>();
        set.add(r.servedBy!);
        served.set(r.shard!, set);
      }
      expect([...served.keys()].sort()).toEqual([0, 1, 2]);
      for (const machines of served.values()) expect(machines.size).toBe(3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
