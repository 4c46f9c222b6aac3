// Store benchmarks on scenarios/bench-steady.yaml: simulated events per second with the trace
// only hashed and written to a file, simulated time ÷ wall time, and the cost of the final
// checks, measured apart from the simulation itself.
import { mkdirSync, rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { loadScenarioFile } from '../../scenario/load.js';
import { FaultScheduler } from '../../harness/faults.js';
import { worldOptionsOf } from '../../harness/runner.js';
import { resolveTopology } from '../../scenario/topology.js';
import type { Scenario } from '../../scenario/schema.js';
import { World } from '../../sim/world.js';
import { StoreEngine, settingsOf } from '../../harness/store-engine.js';
import { Tracer } from '../../trace/tracer.js';
import { TraceWriter } from '../../trace/writer.js';
import type { BenchFigure, BenchSection } from './types.js';

export interface StoreRunMeasure {
  events: number;
  simUs: number;
  simWallMs: number;
  checkWallMs: number;
  heapMB: number;
}

/** Runs a store scenario, timing the simulation and the final settle + checks separately. */
export function measureStoreRun(scenario: Scenario, seed: number, tracePath?: string): StoreRunMeasure {
  const tracer = new Tracer(tracePath !== undefined ? new TraceWriter(tracePath) : undefined);
  const topology = resolveTopology(scenario);
  const world = new World(worldOptionsOf(scenario, topology, seed, tracer));
  const engine = new StoreEngine(world, settingsOf(scenario, [], topology));
  new FaultScheduler(engine, scenario.faults ?? [], scenario.duration).start();
  const t0 = performance.now();
  world.run(scenario.duration);
  const t1 = performance.now();
  const eventsAtEnd = tracer.events;
  engine.finish();
  const t2 = performance.now();
  tracer.close();
  return {
    events: eventsAtEnd,
    simUs: scenario.duration,
    simWallMs: t1 - t0,
    checkWallMs: t2 - t1,
    heapMB: Math.round(process.memoryUsage().heapUsed / 2 ** 20),
  };
}

export const storeSection: BenchSection = {
  name: 'store',
  run(quick: boolean): BenchFigure[] {
    const loaded = loadScenarioFile('scenarios/bench-steady.yaml');
    const scenario: Scenario = quick ? { ...loaded.scenario, duration: 15_000_000, faults: (loaded.scenario.faults ?? []).filter((f) => (f.at ?? 0) < 15_000_000) } : loaded.scenario;
    measureStoreRun({ ...scenario, duration: 2_000_000 }, 1); // warm-up (JIT)
    const off = measureStoreRun(scenario, 1);
    mkdirSync('reports/.bench', { recursive: true });
    const path = 'reports/.bench/bench-steady.jsonl';
    const on = measureStoreRun(scenario, 1, path);
    rmSync(path, { force: true });
    rmSync(path.replace('.jsonl', '.history.jsonl'), { force: true });
    return [
      { name: 'bench-steady: simulated events/s, trace hashed only', value: Math.round(off.events / (off.simWallMs / 1000)), unit: 'events/s', target: '>= 1000000', key: 'eventsPerSec' },
      { name: 'bench-steady: simulated events/s, trace to a file', value: Math.round(on.events / (on.simWallMs / 1000)), unit: 'events/s', key: 'eventsPerSecTraced' },
      { name: 'bench-steady: simulated time / wall time (simulation)', value: Math.round(off.simUs / 1000 / off.simWallMs), unit: 'x real time', target: '>= 200', key: 'speedup' },
      { name: 'bench-steady: simulated time / wall time (with checks)', value: Math.round(off.simUs / 1000 / (off.simWallMs + off.checkWallMs)), unit: 'x real time', key: 'speedupWithChecks' },
      { name: 'bench-steady: settle + all checks', value: Math.round(off.checkWallMs), unit: 'ms' },
      { name: 'bench-steady: events in the run', value: off.events, unit: 'events' },
      { name: 'bench-steady: heap after the run', value: off.heapMB, unit: 'MB' },
    ];
  },
};
