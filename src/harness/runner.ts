// Runs a scenario: a pure function of (scenario, seed, bugs). Builds the world, the engine
// (the store when the scenario has one, else the ping demo), schedules faults, runs the
// simulated duration, collects results and evaluates the `expect` lines.
// Wall-clock time is measured by the caller (the CLI), never in here.
import { writeFileSync } from 'node:fs';
import { formatJsonl } from '../history/jsonl.js';
import { Tracer } from '../trace/tracer.js';
import { TraceWriter } from '../trace/writer.js';
import { World, type WorldOptions } from '../sim/world.js';
import type { Place } from '../base/place.js';
import { resolveTopology, type Topology } from '../scenario/topology.js';
import { DemoEngine } from './demo.js';
import type { Engine, EngineResults } from './engine.js';
import { evaluateExpectations, type ExpectationResult } from './expect.js';
import { FaultScheduler } from './faults.js';
import type { LoadedScenario } from '../scenario/load.js';
import type { Scenario } from '../scenario/schema.js';
import { isAssertion } from '../base/assert.js';
import { CHECK_NAMES } from './verdicts.js';

export interface RunOptions {
  seed: number;
  tracePath?: string;
  /** Where to write the client history as JSON Lines (store runs). */
  historyPath?: string;
  bugs?: readonly string[];
  /** Extra listeners on every trace event (tests, statistics). */
  tracer?: Tracer;
}

export interface RunSummary {
  scenario: string;
  seed: number;
  traceHash: string;
  simTimeUs: number;
  events: number;
  /** `garbled` only when the garble fault garbled some. */
  messages: { sent: number; delivered: number; dropped: number; garbled?: number };
  ops: EngineResults['ops'];
  elections: number;
  staleReads: number;
  checks: EngineResults['checks'];
  faults: number;
  expectations: ExpectationResult;
  ok: boolean;
  [extra: string]: unknown;
}

export function machineNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `n${i + 1}`);
}

export function linkModelOf(scenario: Scenario) {
  const lat = scenario.network?.latency;
  return {
    ...(lat?.min !== undefined && { minUs: lat.min }),
    ...(lat?.mean !== undefined && { meanUs: lat.mean }),
    ...(lat?.jitter !== undefined && { jitterUs: lat.jitter }),
    ...(lat?.tailProbability !== undefined && { tailProbability: lat.tailProbability }),
    ...(lat?.tailFactor !== undefined && { tailFactor: lat.tailFactor }),
    ...(scenario.network?.drop !== undefined && { drop: scenario.network.drop }),
    ...(scenario.network?.duplicate !== undefined && { duplicate: scenario.network.duplicate }),
    ...(scenario.network?.reorder !== undefined && { reorder: scenario.network.reorder }),
  };
}

/** `topology` is the run's one resolved topology (the network's tiers read the same places). */
/** The places as a trace field: machine → { region, zone }, in the topology's order. */
export function placesRecord(places: ReadonlyMap<string, Place>): Record<string, { region: string; zone: string }> {
  const out: Record<string, { region: string; zone: string }> = {};
  for (const [m, p] of places) out[m] = { region: p.region, zone: p.zone };
  return out;
}

export type EngineFactory = (world: World, scenario: Scenario, bugs: readonly string[], topology: Topology | undefined) => Engine;

/** The world a scenario runs in: its seed, link model, per-tier latencies and disk model. */
export function worldOptionsOf(scenario: Scenario, topology: Topology | undefined, seed: number, tracer: Tracer): WorldOptions {
  return {
    seed,
    tracer,
    link: linkModelOf(scenario),
    ...(topology !== undefined && { linkLatency: (from: string, to: string) => topology.linkLatency(from, to) }),
    disk: {
      ...(scenario.disk?.fsyncMin !== undefined && { fsyncMinUs: scenario.disk.fsyncMin }),
      ...(scenario.disk?.fsyncMean !== undefined && { fsyncMeanUs: scenario.disk.fsyncMean }),
    },
  };
}

/** Picks the engine for a scenario. The store registers itself here once it exists. */
export function defaultEngineFactory(world: World, scenario: Scenario, _bugs: readonly string[], topology: Topology | undefined): Engine {
  return new DemoEngine(world, machineNames(scenario.cluster.machines), scenario.demo?.pingEvery ?? 10_000, topology);
}

export function runScenario(loaded: LoadedScenario, options: RunOptions, engineFactory: EngineFactory = defaultEngineFactory): RunSummary {
  const { scenario } = loaded;
  const tracer = options.tracer ?? new Tracer(options.tracePath !== undefined ? new TraceWriter(options.tracePath) : undefined);
  const topology = resolveTopology(scenario);
  const world = new World(worldOptionsOf(scenario, topology, options.seed, tracer));
  const name = scenario.name ?? loaded.file;
  world.emitSim({
    t: 0,
    type: 'run.start',
    seed: options.seed,
    scenario: name,
    machines: machineNames(scenario.cluster.machines),
    ...(topology !== undefined && { places: placesRecord(topology.places) }),
  });
  const allBugs = [...(options.bugs ?? []), ...(scenario.bugs ?? [])];
  const engine = engineFactory(world, scenario, allBugs, topology);
  const faults = new FaultScheduler(engine, scenario.faults ?? [], scenario.duration);
  faults.start();
  /** The trace's last two events: the run's summary, then its end. */
  const endTrace = (summary: Record<string, unknown>): void => {
    world.emitSim({ t: world.nowUs, type: 'run.summary', scenario: name, seed: options.seed, bugs: allBugs, summary });
    world.emitSim({ t: world.nowUs, type: 'run.end', events: tracer.events + 1 });
    tracer.close();
  };
  let results: ReturnType<typeof engine.finish>;
  try {
    world.run(scenario.duration);
    results = engine.finish();
  } catch (err) {
    // An assertion (a found bug) ends the run here: the trace still ends well formed, with a
    // summary whose one failing "check" is the assertion at this instant, so replay and report
    // can show what led up to it. The error goes on to the caller.
    if (err instanceof Error && err.name !== 'UserError') {
      const message = isAssertion(err) ? err.message : `internal error: ${err.message}`;
      endTrace({ checks: { assertion: { ok: false, atUs: world.nowUs, message } } });
    }
    throw err;
  }
  if (options.historyPath !== undefined && results.history !== undefined) {
    writeFileSync(options.historyPath, formatJsonl(results.history));
  }
  endTrace({ ops: results.ops, elections: results.elections, staleReads: results.staleReads, checks: results.checks });
  const stats = world.network.stats;
  const summary: RunSummary = {
    scenario: name,
    seed: options.seed,
    traceHash: tracer.hash(),
    simTimeUs: world.nowUs,
    events: tracer.events,
    messages: { sent: stats.sent, delivered: stats.delivered, dropped: stats.dropped, ...(stats.garbled > 0 && { garbled: stats.garbled }) },
    ops: results.ops,
    elections: results.elections,
    staleReads: results.staleReads,
    checks: results.checks,
    faults: faults.faultsFired,
    ...(results.extra ?? {}),
    ...(options.historyPath !== undefined && results.history !== undefined && { history: options.historyPath }),
    expectations: { ok: true, failed: [] },
    ok: true,
  };
  summary.expectations = evaluateExpectations(loaded.file, scenario.expect ?? {}, summary, loaded.expectPositions);
  summary.ok = summary.expectations.ok && checksHold(summary.checks, scenario.expect ?? {});
  return summary;
}

/** Every check must pass (or not apply) unless an expect line names it. */
export function checksHold(checks: EngineResults['checks'], expect: Record<string, unknown>): boolean {
  for (const name of CHECK_NAMES) {
    const mentioned = Object.keys(expect).some((path) => path === `checks.${name}` || path.startsWith(`checks.${name}.`));
    if (!mentioned && checks[name].ok === false) return false;
  }
  return true;
}
