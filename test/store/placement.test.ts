// Shard moves: the order of the steps, leadership leaving a decommissioned machine by transfer,
// and random join/leave/crash schedules that must lose nothing.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseScenarioText, loadScenarioFile } from '../../src/scenario/load.js';
import { runScenario } from '../../src/harness/runner.js';
import { engineFactoryFor } from '../../src/harness/engines.js';
import { Tracer } from '../../src/trace/tracer.js';
import type { TraceEvent } from '../../src/trace/events.js';
import { machineOfReplica } from '../../src/store/replica-id.js';

function runWithEvents(file: string, text?: string, seed = 1) {
  const loaded = text === undefined ? loadScenarioFile(file) : parseScenarioText(file, text);
  const tracer = new Tracer();
  const events: TraceEvent[] = [];
  tracer.listen((e) => {
    if (e.type === 'raft.conf' || e.type === 'raft.transfer' || e.type === 'store.placement' || e.type === 'store.membership' || e.type === 'raft.role') events.push(e);
  });
  const summary = runScenario(loaded, { seed, tracer }, engineFactoryFor(loaded.scenario, []));
  return { summary, events };
}

describe('shard moves', () => {
  it('a move goes learner -> caught up -> promoted -> old replica removed, in that order', () => {
    const { summary, events } = runWithEvents('scenarios/scale-out.yaml');
    expect(summary.ok).toBe(true);
    const started = events.find((e) => e.type === 'store.placement' && e.kind === 'move-started');
    if (started?.type !== 'store.placement') throw new Error('no move started');
    const shard = started.shard;
    const newcomer = started.machine;
    // The membership the shard's leader saw, in order (one change at a time).
    const confs = events.filter((e): e is Extract<TraceEvent, { type: 'raft.conf' }> => e.type === 'raft.conf' && e.group === shard);
    // The newcomer's replica has an id of its own on that machine (n6#1): never one used before.
    const on = (ids: readonly string[]) => ids.some((id) => machineOfReplica(id) === newcomer && id !== newcomer);
    const firstLearner = confs.findIndex((c) => on(c.learners));
    const promoted = confs.findIndex((c) => on(c.voters));
    const shrunk = confs.findIndex((c, i) => i > promoted && c.voters.length === 3 && on(c.voters));
    expect(firstLearner).toBeGreaterThanOrEqual(0);
    expect(promoted).toBeGreaterThan(firstLearner);
    expect(confs[promoted]!.voters).toHaveLength(4); // added before anyone was removed
    expect(shrunk).toBeGreaterThan(promoted);
  });

  it('leadership moves off a decommissioned machine by transfer before it is removed', () => {
    const { summary, events } = runWithEvents('scenarios/scale-in.yaml');
    expect(summary.ok).toBe(true);
    const leaveAt = events.find((e) => e.type === 'store.membership')!.t;
    // Shards n2 led when it was told to leave.
    const ledByN2 = new Map<number, boolean>();
    for (const e of events) {
      if (e.t > leaveAt) break;
      if (e.type === 'raft.role' && e.replica === 'n2') ledByN2.set(e.group, e.role === 'leader');
    }
    const led = [...ledByN2].filter(([, leads]) => leads).map(([g]) => g);
    expect(led.length).toBeGreaterThan(0);
    for (const shard of led) {
      const transfer = events.find((e) => e.type === 'raft.transfer' && e.group === shard && e.replica === 'n2' && e.t > leaveAt);
      const removal = events.find((e) => e.type === 'raft.conf' && e.group === shard && e.t > leaveAt && !e.voters.includes('n2') && !e.learners.includes('n2'));
      expect(transfer, `shard ${shard}: transfer`).toBeDefined();
      expect(removal, `shard ${shard}: removal`).toBeDefined();
      expect(transfer!.t).toBeLessThan(removal!.t);
    }
  });

  it('random join/leave/crash schedules lose no acknowledged write and every check holds', () => {
    const runs = Number(process.env.KVSIM_PROP_RUNS ?? 6);
    fc.assert(
      fc.property(
        fc.record({
          seed: fc.integer({ min: 1, max: 10_000 }),
          joinAtMs: fc.integer({ min: 500, max: 3000 }),
          leave: fc.constantFrom('n1', 'n2', 'n3', 'n4'),
          leaveAtMs: fc.integer({ min: 500, max: 3500 }),
          crash: fc.constantFrom('n1', 'n2', 'n3', 'n4', 'n5'),
          crashAtMs: fc.integer({ min: 500, max: 3500 }),
          crashForMs: fc.integer({ min: 100, max: 1500 }),
        }),
        (p) => {
          const text = [
            'duration: 5s',
            'cluster: { machines: 5, shards: 6, replication: 3 }',
            'raft: { snapshotEvery: 100 }',
            'workload: { clients: 4, rate: 300, readRatio: 0.8, keys: 40 }',
            'faults:',
            `  - { at: ${p.joinAtMs}ms, join: n6 }`,
            `  - { at: ${p.leaveAtMs}ms, leave: ${p.leave} }`,
            `  - { at: ${p.crashAtMs}ms, for: ${p.crashForMs}ms, crash: ${p.crash} }`,
            'checks: { settle: 8s }',
            'expect: { placement.settled: true }',
          ].join('\n');
          const { summary } = runWithEvents(`prop-${p.seed}.yaml`, text, p.seed);
          const failed = Object.entries(summary.checks).filter(([, v]) => v.ok === false).map(([k, v]) => `${k}: ${String(v.message)}`);
          expect(failed, text).toEqual([]);
          expect(summary.expectations.failed, text).toEqual([]);
        },
      ),
      { numRuns: runs, seed: 42 },
    );
  });
});
