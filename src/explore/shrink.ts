// Shrinking: reduce a failing (scenario, seed, bugs) to a smaller scenario that still fails the
// *same* check with the same seed. Greedy passes, each proposing simpler candidates in order:
// drop faults (halves, then one by one), turn repeats into one-offs, shorten the run, lower the
// load, fewer shards and machines (fault targets kept valid), a plainer network and fewer read
// levels. The first candidate that still fails is kept and its pass is tried again; the loop
// ends when no pass helps or the run budget is spent.
//
// Every candidate runs with the same seed; because every fault and client draws from its own
// named stream, removing one does not reshuffle the others, so most reductions keep the failure.
import { parseDurationUs } from '../scenario/duration.js';
import { durationText, type FaultInput, type ScenarioInput } from './arbitraries.js';
import { CHECK_EXPECTATIONS, type RunOutcome } from './execute.js';

export const SHRINK_RUNS_MAX = 300;
/** No run shorter than this: the store needs some time to elect leaders and serve. */
const DURATION_MIN_US = 300_000;
const RATE_MIN = 5;

export interface ShrinkSize {
  faults: number;
  ops: number;
}

export interface ShrinkResult {
  scenario: ScenarioInput;
  check: string;
  message: string;
  before: ShrinkSize;
  after: ShrinkSize;
  /** Scenario runs used (the first, identifying run included). */
  runs: number;
  runsMax: number;
  /** Names of the passes that made progress, in order. */
  steps: string[];
}

export interface ShrinkOptions {
  /** Runs one candidate (same seed and bugs every time); throws a UserError for an invalid one. */
  run: (scenario: ScenarioInput) => RunOutcome;
  runsMax?: number;
  /** The check to keep failing; by default the first failing check of the original. */
  check?: string;
  onProgress?: (step: { runs: number; size: ShrinkSize; pass: string }) => void;
  /** Polled before each candidate run (the CLI passes a wall-clock one); true stops shrinking. */
  deadline?: () => boolean;
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

function us(value: string | number | undefined): number | undefined {
  if (value === undefined) return undefined;
  return parseDurationUs(value);
}

function faultsOf(s: ScenarioInput): FaultInput[] {
  return s.faults ?? [];
}

function withFaults(s: ScenarioInput, faults: FaultInput[]): ScenarioInput {
  const out = clone(s);
  out.faults = faults;
  return out;
}

// ---- machine and shard renaming, keeping fault targets valid -------------------------------

const MACHINE = /^n([1-9][0-9]*)$/;
const LEADER_OF = /^leader\(shard ([0-9]+)\)$/;

/** A single target on a cluster of `machines` and `shards`: nK beyond it wraps, shards wrap. */
function fitTarget(target: string, machines: number, shards: number): string {
  const m = MACHINE.exec(target);
  if (m !== null) return `n${((Number(m[1]) - 1) % machines) + 1}`;
  const l = LEADER_OF.exec(target);
  if (l !== null) return `leader(shard ${Number(l[1]) % shards})`;
  return target;
}

/** A list of machines or targets (a partition side): names beyond the cluster are dropped. */
function fitList(list: readonly string[], machines: number, shards: number): string[] {
  const out: string[] = [];
  for (const t of list) {
    const m = MACHINE.exec(t);
    if (m !== null && Number(m[1]) > machines) continue;
    const fitted = fitTarget(t, machines, shards);
    if (!out.includes(fitted)) out.push(fitted);
  }
  return out;
}

/** The fault rewritten for a smaller cluster, or undefined when it no longer makes sense. */
export function fitFault(fault: FaultInput, machines: number, shards: number): FaultInput | undefined {
  const f = clone(fault);
  const t = (x: string) => fitTarget(x, machines, shards);
  if (f.when?.leaderElected !== undefined && f.when.leaderElected !== 'any') f.when.leaderElected = f.when.leaderElected % shards;
  if (f.partition !== undefined) {
    const seen = new Set<string>();
    const sides = f.partition
      .map((side) => fitList(side, machines, shards).filter((m) => m === 'rest' || !seen.has(m)))
      .map((side) => {
        for (const m of side) seen.add(m);
        return side;
      })
      .filter((side) => side.length > 0);
    if (sides.length < 2) return undefined;
    f.partition = sides;
  }
  if (f.isolate !== undefined) f.isolate = t(f.isolate);
  if (f.oneway !== undefined) {
    const from = fitList(f.oneway.from, machines, shards);
    const to = fitList(f.oneway.to, machines, shards);
    if (from.length === 0 || to.length === 0) return undefined;
    f.oneway = { from, to };
  }
  if (f.bridge !== undefined) {
    const via = t(f.bridge.via);
    const a = fitList(f.bridge.sides[0], machines, shards).filter((m) => m !== via);
    const b = fitList(f.bridge.sides[1], machines, shards).filter((m) => m !== via && !a.includes(m));
    if (a.length === 0 || b.length === 0) return undefined;
    f.bridge = { sides: [a, b], via };
  }
  if (f.crash !== undefined) f.crash = t(f.crash);
  if (f.restart !== undefined && f.restart !== 'all') f.restart = t(f.restart);
  if (f.pause !== undefined) f.pause = t(f.pause);
  if (f.resume !== undefined && f.resume !== 'all') f.resume = t(f.resume);
  if (f.skew !== undefined) f.skew = { ...f.skew, machine: t(f.skew.machine) };
  if (f.clog !== undefined) f.clog = typeof f.clog === 'string' ? t(f.clog) : { from: t(f.clog.from), to: t(f.clog.to) };
  if (f.slowDisk !== undefined) f.slowDisk = { ...f.slowDisk, machine: t(f.slowDisk.machine) };
  if (f.transfer !== undefined) {
    f.transfer = { ...f.transfer, shard: f.transfer.shard % shards };
    if (f.transfer.to !== undefined) f.transfer.to = t(f.transfer.to);
  }
  // Membership names machines that may not exist yet (a join): leave them as they are.
  return f;
}

function withCluster(s: ScenarioInput, machines: number, shards: number, replication: number): ScenarioInput | undefined {
  // A replaced machine is lost for good: below RF 3 that loses data or a quorum for real, a
  // failure of the scenario rather than of the store. Not a simplification worth proposing.
  if (replication < 3 && faultsOf(s).some((f) => f.replace !== undefined)) return undefined;
  const out = clone(s);
  out.cluster = { ...out.cluster, machines, shards, replication };
  const faults: FaultInput[] = [];
  for (const f of faultsOf(s)) {
    const fitted = fitFault(f, machines, shards);
    if (fitted !== undefined) faults.push(fitted);
  }
  out.faults = faults;
  return out;
}

// ---- passes ---------------------------------------------------------------------------------

interface Pass {
  name: string;
  candidates(s: ScenarioInput): ScenarioInput[];
}

const removeFaultChunks: Pass = {
  name: 'remove faults (chunks)',
  candidates(s) {
    const faults = faultsOf(s);
    const out: ScenarioInput[] = [];
    for (let size = Math.floor(faults.length / 2); size >= 2; size = Math.floor(size / 2)) {
      for (let start = 0; start < faults.length; start += size) {
        out.push(withFaults(s, [...faults.slice(0, start), ...faults.slice(start + size)]));
      }
    }
    return out;
  },
};

const removeFaultOne: Pass = {
  name: 'remove a fault',
  candidates(s) {
    const faults = faultsOf(s);
    return faults.map((_, i) => withFaults(s, faults.filter((__, j) => j !== i)));
  },
};

const faultsOnce: Pass = {
  name: 'repeat -> once',
  candidates(s) {
    const faults = faultsOf(s);
    const out: ScenarioInput[] = [];
    faults.forEach((f, i) => {
      if (f.every === undefined) return;
      const { every, from, until, ...rest } = f;
      void until;
      const at = from ?? every;
      out.push(withFaults(s, faults.map((g, j) => (j === i ? ({ at, ...rest } as FaultInput) : g))));
    });
    return out;
  },
};

const shorter: Pass = {
  name: 'shorter run',
  candidates(s) {
    const d = us(s.duration) ?? 0;
    const options = [Math.floor(d / 2), Math.floor((d * 3) / 4), d - 500_000]
      .map((x) => Math.floor(x / 100_000) * 100_000)
      .filter((x) => x >= DURATION_MIN_US && x < d);
    return [...new Set(options)].map((x) => {
      const out = clone(s);
      out.duration = durationText(x);
      return out;
    });
  },
};

const lessLoad: Pass = {
  name: 'less load',
  candidates(s) {
    const w = s.workload;
    if (w === undefined) return [];
    const out: ScenarioInput[] = [];
    const variant = (patch: Partial<NonNullable<ScenarioInput['workload']>>) => {
      const c = clone(s);
      c.workload = { ...w, ...patch };
      out.push(c);
    };
    if (w.clients > 1) {
      variant({ clients: 1 });
      if (w.clients > 2) variant({ clients: Math.floor(w.clients / 2) });
      variant({ clients: w.clients - 1 });
    }
    if (w.mode !== 'closed') {
      const rate = w.rate ?? 200;
      if (rate > RATE_MIN) {
        variant({ rate: Math.max(RATE_MIN, Math.floor(rate / 4)) });
        variant({ rate: Math.max(RATE_MIN, Math.floor(rate / 2)) });
        variant({ rate: Math.max(RATE_MIN, Math.floor((rate * 3) / 4)) });
      }
    } else if ((w.concurrency ?? 1) > 1) {
      variant({ concurrency: 1 });
    }
    const keys = w.keys ?? 100;
    if (keys > 1) {
      variant({ keys: 1 });
      variant({ keys: Math.max(1, Math.floor(keys / 2)) });
    }
    return out;
  },
};

const fewerShards: Pass = {
  name: 'fewer shards',
  candidates(s) {
    const shards = s.cluster.shards ?? 8;
    const machines = s.cluster.machines;
    const rf = s.cluster.replication ?? 3;
    const options = [...new Set([1, Math.floor(shards / 2), shards - 1])].filter((x) => x >= 1 && x < shards);
    return options.map((x) => withCluster(s, machines, x, rf)).filter((c): c is ScenarioInput => c !== undefined);
  },
};

/** Largest odd replication factor that fits `machines` and is at most `rf`. */
function fitReplication(rf: number, machines: number): number {
  let r = Math.min(rf, machines);
  if (r % 2 === 0) r--;
  return Math.max(1, r);
}

const fewerMachines: Pass = {
  name: 'fewer machines',
  candidates(s) {
    // Membership faults name machines to add or replace: leave such clusters alone.
    if (faultsOf(s).some((f) => f.join !== undefined || f.leave !== undefined || f.replace !== undefined)) return [];
    const machines = s.cluster.machines;
    const shards = s.cluster.shards ?? 8;
    const rf = s.cluster.replication ?? 3;
    const options = [...new Set([rf, machines - 1])].filter((x) => x >= 1 && x < machines);
    return options.map((x) => withCluster(s, x, shards, fitReplication(rf, x))).filter((c): c is ScenarioInput => c !== undefined);
  },
};

const fewerReplicas: Pass = {
  name: 'fewer replicas',
  candidates(s) {
    const rf = s.cluster.replication ?? 3;
    // See withCluster: with a machine replaced for good, RF stays at least 3.
    const floor = faultsOf(s).some((f) => f.replace !== undefined) ? 3 : 1;
    return [1, 3]
      .filter((r) => r < rf && r >= floor)
      .map((r) => {
        const c = clone(s);
        c.cluster = { ...c.cluster, replication: r };
        return c;
      });
  },
};

const plainerNetwork: Pass = {
  name: 'plainer network',
  candidates(s) {
    const n = s.network;
    if (n === undefined) return [];
    const out: ScenarioInput[] = [];
    const variant = (next: NonNullable<ScenarioInput['network']>) => {
      const c = clone(s);
      c.network = next;
      out.push(c);
    };
    if (n.drop !== undefined && n.drop !== 0) variant({ ...n, drop: 0 });
    if (n.duplicate !== undefined && n.duplicate !== 0) variant({ ...n, duplicate: 0 });
    if (n.reorder === true) variant({ ...n, reorder: false });
    const lat = n.latency;
    if (lat?.tailProbability !== undefined || lat?.tailFactor !== undefined) {
      const { tailProbability, tailFactor, ...restLatency } = lat;
      void tailProbability;
      void tailFactor;
      variant({ ...n, latency: restLatency });
    }
    if (lat?.jitter !== undefined && us(lat.jitter) !== 0) variant({ ...n, latency: { ...lat, jitter: 0 } });
    return out;
  },
};

const fewerLevels: Pass = {
  name: 'fewer read levels',
  candidates(s) {
    const levels = s.workload?.levels;
    if (levels === undefined) return [];
    const names = Object.keys(levels) as (keyof typeof levels)[];
    if (names.length <= 1) return [];
    return names.map((drop) => {
      const c = clone(s);
      const next = { ...levels };
      delete next[drop];
      c.workload = { ...c.workload!, levels: next };
      return c;
    });
  },
};

const PASSES: readonly Pass[] = [
  removeFaultChunks,
  removeFaultOne,
  faultsOnce,
  shorter,
  lessLoad,
  fewerShards,
  fewerMachines,
  fewerReplicas,
  plainerNetwork,
  fewerLevels,
];

/** Greedy shrinking of a failing scenario. The original must fail (else `check` is null). */
export function shrinkScenario(original: ScenarioInput, options: ShrinkOptions): ShrinkResult | null {
  const runsMax = options.runsMax ?? SHRINK_RUNS_MAX;
  let runs = 1;
  const first = options.run(original);
  const check = options.check ?? first.failure?.check;
  if (check === undefined || !first.failing.includes(check)) return null;
  const before: ShrinkSize = { faults: faultsOf(original).length, ops: first.ops };
  // Expectations only matter when they are what fails: otherwise drop them, so the shrunk file
  // exits 1 on the failing check itself.
  let current = clone(original);
  if (check !== CHECK_EXPECTATIONS) delete current.expect;
  delete current.seed;
  let currentOutcome = first;
  const steps: string[] = [];
  const stillFails = (candidate: ScenarioInput): RunOutcome | undefined => {
    runs++;
    let outcome: RunOutcome;
    try {
      outcome = options.run(candidate);
    } catch (err) {
      // A candidate the schema rejects is simply not smaller in a useful way.
      if (err instanceof Error && err.name === 'UserError') return undefined;
      throw err;
    }
    return outcome.failing.includes(check) ? outcome : undefined;
  };
  // The stripped original is the first candidate (it always fails unless expect mattered).
  const stripped = stillFails(current);
  if (stripped === undefined) current = clone(original);
  else currentOutcome = stripped;

  let improved = true;
  while (improved && runs < runsMax) {
    improved = false;
    for (const pass of PASSES) {
      let again = true;
      while (again && runs < runsMax) {
        again = false;
        for (const candidate of pass.candidates(current)) {
          if (runs >= runsMax || options.deadline?.() === true) break;
          const outcome = stillFails(candidate);
          if (outcome === undefined) continue;
          current = candidate;
          currentOutcome = outcome;
          steps.push(pass.name);
          again = true;
          improved = true;
          options.onProgress?.({ runs, size: { faults: faultsOf(current).length, ops: outcome.ops }, pass: pass.name });
          break;
        }
      }
    }
  }
  return {
    scenario: current,
    check,
    message: currentOutcome.messages[check] ?? '',
    before,
    after: { faults: faultsOf(current).length, ops: currentOutcome.ops },
    runs,
    runsMax,
    steps,
  };
}
