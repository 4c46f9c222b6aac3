// Shrinking: reduce a failing (scenario, seed, bugs) to a smaller scenario that still fails the
// *same* check with the same seed. Size is faults + completed operations. Greedy passes, the big
// reductions first: bisect the run's length, the end of the load and the rate; an open loop
// instead of a closed one, fewer clients, writes or reads only; drop faults (all, halves, one
// by one), repeats into one-offs, `when` triggers after fewer operations, snapshots sooner; a
// narrower load window, faults earlier, a compressed timeline; fewer keys, shards, machines and
// replicas (fault targets kept valid), a plainer network and fewer read levels. A step is kept
// when the candidate fails the same way and is no larger; the loop ends when no pass helps or
// the run budget is spent.
//
// Every candidate runs with the same seed; because every fault and client draws from its own
// named stream, removing one does not reshuffle the others, and a lower rate stretches the same
// sequence of operations, so most reductions keep the failure.
import { parseDurationUs } from '../base/time.js';
import { durationText, type FaultInput, type ScenarioInput } from './arbitraries.js';
import { CHECK_ASSERTION, CHECK_EXPECTATIONS, type RunOutcome } from './execute.js';
import { parseTarget, targetText } from '../scenario/target.js';
import { actionName } from '../scenario/fault.js';
import { assertNever } from '../base/assert.js';

export const SHRINK_RUNS_MAX = 300;
/** Bound on accepted steps (every pass makes its scenario strictly simpler; this is the backstop). */
const STEPS_MAX = 1_000;
/** A simpler scenario is taken while its size is within this factor of the smallest seen. */
const SIZE_SLACK = 1.25;
/** How many of the last smallest candidates are tried, newest first, for one that is decided. */
export const WALK_BACK_MAX = 12;
/** A change that adds machinery of its own (snapshots sooner) must cut the size to this share. */
const SIZE_GAIN_STRICT = 0.75;

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
  /**
   * Whether the result is decided: with a control run, it passes every check there (none
   * undecided); without one, no other check of its own run is undecided. False when no
   * candidate within WALK_BACK_MAX of the end was (the result is then the smallest anyway).
   */
  decided: boolean;
  /** Smaller candidates passed over because they were undecided. */
  undecidedSkipped: number;
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
  /**
   * The same run with the planted bugs switched off. Without it, an assertion failure must stay
   * the same assertion (its message with the numbers blanked). With it, a candidate that fails
   * the check another way counts when this run passes: the planted bug is still what breaks it.
   */
  control?: (scenario: ScenarioInput) => RunOutcome;
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

/** A single target on a cluster of `machines` and `shards`: nK beyond it wraps, shards wrap. */
function fitTarget(target: string, machines: number, shards: number): string {
  const t = parseTarget(target);
  if (t?.kind === 'machine') return `n${((Number(t.machine.slice(1)) - 1) % machines) + 1}`;
  if (t?.kind === 'leader') return targetText({ kind: 'leader', shard: t.shard % shards });
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
  if (f.when?.shard !== undefined) f.when.shard = f.when.shard % shards;
  const kind = actionName(f);
  switch (kind) {
    case 'partition': {
      const seen = new Set<string>();
      const sides = f.partition!
        .map((side) => fitList(side, machines, shards).filter((m) => m === 'rest' || !seen.has(m)))
        .map((side) => {
          for (const m of side) seen.add(m);
          return side;
        })
        .filter((side) => side.length > 0);
      if (sides.length < 2) return undefined;
      f.partition = sides;
      break;
    }
    case 'isolate':
      f.isolate = t(f.isolate!);
      break;
    case 'oneway': {
      const from = fitList(f.oneway!.from, machines, shards);
      const to = fitList(f.oneway!.to, machines, shards);
      if (from.length === 0 || to.length === 0) return undefined;
      f.oneway = { from, to };
      break;
    }
    case 'bridge': {
      const via = t(f.bridge!.via);
      const a = fitList(f.bridge!.sides[0], machines, shards).filter((m) => m !== via);
      const b = fitList(f.bridge!.sides[1], machines, shards).filter((m) => m !== via && !a.includes(m));
      if (a.length === 0 || b.length === 0) return undefined;
      f.bridge = { sides: [a, b], via };
      break;
    }
    case 'crash':
      f.crash = t(f.crash!);
      break;
    case 'restart':
      if (f.restart !== 'all') f.restart = t(f.restart!);
      break;
    case 'pause':
      f.pause = t(f.pause!);
      break;
    case 'resume':
      if (f.resume !== 'all') f.resume = t(f.resume!);
      break;
    case 'skew':
      f.skew = { ...f.skew!, machine: t(f.skew!.machine) };
      break;
    case 'clog': {
      const c = f.clog!;
      f.clog = typeof c === 'string' ? t(c) : { from: t(c.from), to: t(c.to) };
      break;
    }
    case 'slowDisk':
      f.slowDisk = { ...f.slowDisk!, machine: t(f.slowDisk!.machine) };
      break;
    case 'transfer':
      f.transfer = { ...f.transfer!, shard: f.transfer!.shard % shards };
      if (f.transfer.to !== undefined) f.transfer.to = t(f.transfer.to);
      break;
    case 'heal':
    case 'drop':
    case 'duplicate':
    case 'garble':
    case 'delay':
    case 'reorder':
    case 'spike':
      break; // nothing names a machine or a shard
    case 'join':
    case 'leave':
    case 'replace':
      break; // membership names machines that may not exist yet (a join): left as they are
    default:
      return assertNever(kind, 'fault action');
  }
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

// ---- trials: running candidates within the run budget -----------------------------------------

/** What a pass may ask of a candidate: does it still fail the same way, at an acceptable size? */
interface Trial {
  /** Fails the same way and is no larger than the smallest so far (times the slack in force). */
  fails(candidate: ScenarioInput): boolean;
  /** Fails the same way and is clearly smaller: for changes that add something of their own. */
  smaller(candidate: ScenarioInput): boolean;
  /** Completed operations of a scenario already run (the current one). */
  opsOf(s: ScenarioInput): number;
}

function sizeOf(s: ScenarioInput, outcome: RunOutcome): number {
  return faultsOf(s).length + outcome.ops;
}

interface Pass {
  name: string;
  /** A smaller scenario that still fails (every candidate it proposes is tried), or undefined. */
  apply(s: ScenarioInput, trial: Trial): ScenarioInput | undefined;
  /** Whether to apply it again right after it helped (a bisection is already at its limit). */
  repeat: boolean;
}

/** A pass proposing a list of candidates, most reduced first: the first that still fails wins. */
function listPass(name: string, candidates: (s: ScenarioInput) => (ScenarioInput | undefined)[]): Pass {
  return {
    name,
    repeat: true,
    apply(s, trial) {
      const same = JSON.stringify(s);
      for (const c of candidates(s)) if (c !== undefined && JSON.stringify(c) !== same && trial.fails(c)) return c;
      return undefined;
    },
  };
}

/** One number of a scenario that shrinking lowers. */
interface Knob {
  /** The current value, or undefined when the knob does not apply to this scenario. */
  value(s: ScenarioInput): number | undefined;
  /** The lowest value worth trying. */
  floor(s: ScenarioInput): number;
  /** Resolution of the search, in the knob's unit: values are multiples of it. */
  step: number;
  set(s: ScenarioInput, value: number): ScenarioInput;
  /** The change must pay for itself with a smaller size, not merely keep the failure. */
  strict?: boolean;
}

/**
 * Bisection between a knob's floor and its current value: the floor first (the failure often
 * needs none of what the knob adds), then halving the gap between the largest value seen to
 * pass and the smallest seen to fail. The failure need not be monotone in the value: the
 * result is always a value that was run and failed. Costs about log2(range / step) runs.
 */
function searchPass(name: string, knob: Knob): Pass {
  return {
    name,
    repeat: false,
    apply(s, trial) {
      const current = knob.value(s);
      if (current === undefined) return undefined;
      let passing = knob.floor(s);
      if (current <= passing) return undefined;
      const accept = (c: ScenarioInput) => (knob.strict === true ? trial.smaller(c) : trial.fails(c));
      const lowest = knob.set(s, passing);
      if (accept(lowest)) return lowest;
      let failing = current;
      let best: ScenarioInput | undefined;
      while (failing - passing > knob.step) {
        const mid = Math.round((passing + failing) / 2 / knob.step) * knob.step;
        if (mid <= passing || mid >= failing) break;
        const candidate = knob.set(s, mid);
        if (accept(candidate)) {
          failing = mid;
          best = candidate;
        } else {
          passing = mid;
        }
      }
      return best;
    },
  };
}

// ---- the run's timeline -------------------------------------------------------------------------

const DURATION_MIN_US = 100_000;
/** The shortest `for` a fault is narrowed to. */
const FAULT_FOR_MIN_US = 10_000;
/** Resolution of every time searched (duration, load window, fault times). */
const TIME_STEP_US = 50_000;
const RATE_MIN = 1;

function durationUs(s: ScenarioInput): number {
  return us(s.duration) ?? 0;
}

/** When the load stops (the engine stops it at the run's end at the latest). */
function loadStopUs(s: ScenarioInput): number {
  return Math.min(us(s.workload?.stop) ?? durationUs(s), durationUs(s));
}

function loadStartUs(s: ScenarioInput): number {
  return us(s.workload?.start) ?? 0;
}

const shorter = searchPass('shorter run', {
  value: durationUs,
  floor: () => DURATION_MIN_US,
  step: TIME_STEP_US,
  set(s, value) {
    const out = clone(s);
    out.duration = durationText(value);
    // A stop at or after the end says nothing: the load stops there anyway.
    if (out.workload?.stop !== undefined && (us(out.workload.stop) ?? 0) >= value) delete out.workload.stop;
    return out;
  },
});

/** Faults that start at a fixed time (`at`), the only ones the timeline passes move. */
function timedFaults(s: ScenarioInput): boolean {
  return faultsOf(s).some((f) => f.at !== undefined) && faultsOf(s).every((f) => f.every === undefined);
}

/** Moves every `at` fault earlier, keeping their order and spacing (a shorter run may follow). */
const faultsEarlier = searchPass('faults earlier', {
  value: (s) => (timedFaults(s) ? Math.min(...faultsOf(s).flatMap((f) => (f.at !== undefined ? [us(f.at) ?? 0] : []))) : undefined),
  floor: () => 0,
  step: TIME_STEP_US,
  set(s, value) {
    const first = Math.min(...faultsOf(s).flatMap((f) => (f.at !== undefined ? [us(f.at) ?? 0] : [])));
    const shiftUs = first - value;
    return withFaults(
      s,
      faultsOf(s).map((f) => (f.at !== undefined ? { ...f, at: durationText(Math.max(0, (us(f.at) ?? 0) - shiftUs)) } : f)),
    );
  },
});

/** Every time in the scenario times num/den, in whole milliseconds (repeats stay positive). */
function scaleTimeline(s: ScenarioInput, num: number, den: number): ScenarioInput {
  const scale = (t: string | number | undefined, min: number): string | undefined => {
    if (t === undefined) return undefined;
    const x = Math.round(((us(t) ?? 0) * num) / den / 1_000) * 1_000;
    return durationText(Math.max(min, x));
  };
  const out = clone(s);
  out.duration = scale(s.duration, DURATION_MIN_US)!;
  if (out.workload !== undefined) {
    if (out.workload.start !== undefined) out.workload.start = scale(out.workload.start, 0)!;
    if (out.workload.stop !== undefined) out.workload.stop = scale(out.workload.stop, 0)!;
  }
  out.faults = faultsOf(s).map((f) => {
    const g = clone(f);
    if (g.at !== undefined) g.at = scale(g.at, 0)!;
    if (g.every !== undefined) g.every = scale(g.every, 1_000)!;
    if (g.from !== undefined) g.from = scale(g.from, 0)!;
    if (g.until !== undefined) g.until = scale(g.until, 0)!;
    if (g.for !== undefined) g.for = scale(g.for, 1_000)!;
    return g;
  });
  return out;
}

const compressTimeline = listPass('compress the timeline', (s) => [scaleTimeline(s, 1, 2), scaleTimeline(s, 3, 4)]);

// ---- load -------------------------------------------------------------------------------------

function withWorkload(s: ScenarioInput, patch: Partial<NonNullable<ScenarioInput['workload']>>): ScenarioInput {
  const out = clone(s);
  out.workload = { ...out.workload!, ...patch };
  return out;
}

const loadStopsEarlier = searchPass('load stops earlier', {
  value: (s) => (s.workload !== undefined ? loadStopUs(s) : undefined),
  floor: loadStartUs,
  step: TIME_STEP_US,
  set(s, value) {
    const out = withWorkload(s, { stop: durationText(value) });
    if (value >= durationUs(s)) delete out.workload!.stop;
    return out;
  },
});

/** Narrows the load window from the front: the knob is the window's length. */
const loadStartsLater = searchPass('load starts later', {
  value: (s) => (s.workload !== undefined && loadStopUs(s) > loadStartUs(s) ? loadStopUs(s) - loadStartUs(s) : undefined),
  floor: () => 0,
  step: TIME_STEP_US,
  set(s, value) {
    const start = loadStopUs(s) - value;
    const out = withWorkload(s, { start: durationText(start) });
    if (start === 0) delete out.workload!.start;
    return out;
  },
});

const lowerRate = searchPass('lower rate', {
  // Arrivals draw from the client's stream the same way at any rate: a lower rate stretches the
  // same sequence of operations, so the failure often survives it.
  value: (s) => (s.workload !== undefined && s.workload.mode !== 'closed' ? (s.workload.rate ?? 200) : undefined),
  floor: () => RATE_MIN,
  step: 1,
  set: (s, value) => withWorkload(s, { rate: value }),
});

/** A closed loop runs as fast as the store answers; an open loop at a low rate is far smaller. */
const closedToOpen = listPass('closed loop -> open', (s) => {
  const w = s.workload;
  if (w?.mode !== 'closed') return [];
  return [10, 50].map((rate) => {
    const out = withWorkload(s, { mode: 'open', rate });
    delete out.workload!.concurrency;
    return out;
  });
});

const fewerClients = listPass('fewer clients', (s) => {
  const clients = s.workload?.clients ?? 0;
  const options = [...new Set([1, Math.floor(clients / 2), clients - 1])].filter((x) => x >= 1 && x < clients);
  return options.map((x) => withWorkload(s, { clients: x }));
});

/** How plain a read ratio is: writes or reads only, then an even mix, then anything else. */
function mixRank(ratio: number): number {
  if (ratio === 0 || ratio === 1) return 0;
  return ratio === 0.5 ? 1 : 2;
}

/** Writes only, reads only, or an even mix: fewer operations of the kind the failure ignores. */
const readMix = listPass('reads or writes only', (s) => {
  const ratio = s.workload?.readRatio ?? 0.95;
  // Only plainer mixes: 0 and 1 never trade places, so the pass cannot go round in circles.
  return [0, 1, 0.5].filter((r) => mixRank(r) < mixRank(ratio)).map((r) => withWorkload(s, { readRatio: r }));
});

const fewerKeys = listPass('fewer keys', (s) => {
  const keys = s.workload?.keys ?? 100;
  const options = [...new Set([1, Math.floor(keys / 2)])].filter((x) => x >= 1 && x < keys);
  return options.map((x) => withWorkload(s, { keys: x }));
});

const fewerLevels = listPass('fewer read levels', (s) => {
  const levels = s.workload?.levels;
  if (levels === undefined) return [];
  const names = Object.keys(levels) as (keyof typeof levels)[];
  if (names.length <= 1) return [];
  return names.map((drop) => {
    const next = { ...levels };
    delete next[drop];
    return withWorkload(s, { levels: next });
  });
});

/**
 * Snapshots after fewer entries: a failure around snapshots then needs fewer writes. Snapshots
 * are machinery of their own, so this only counts when the run gets clearly smaller at once (an
 * assertion that fires after fewer operations), not when it merely keeps failing.
 */
const snapshotSooner = searchPass('snapshot sooner', {
  value: (s) => s.raft?.snapshotEvery ?? 1_000,
  floor: () => 1,
  step: 1,
  strict: true,
  set(s, value) {
    const out = clone(s);
    out.raft = { ...out.raft, snapshotEvery: value };
    return out;
  },
});

// ---- faults -----------------------------------------------------------------------------------

const removeFaultChunks = listPass('remove faults (chunks)', (s) => {
  const faults = faultsOf(s);
  const out: ScenarioInput[] = [];
  if (faults.length >= 2) out.push(withFaults(s, []));
  for (let size = Math.floor(faults.length / 2); size >= 2; size = Math.floor(size / 2)) {
    for (let start = 0; start < faults.length; start += size) {
      out.push(withFaults(s, [...faults.slice(0, start), ...faults.slice(start + size)]));
    }
  }
  return out;
});

const removeFaultOne = listPass('remove a fault', (s) => {
  const faults = faultsOf(s);
  return faults.map((_, i) => withFaults(s, faults.filter((__, j) => j !== i)));
});

const faultsOnce = listPass('repeat -> once', (s) => {
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
});

/** Faults that last less long: half, or a tenth, of their `for` (down to 10 ms). */
const shorterFaults = listPass('shorter faults', (s) => {
  const faults = faultsOf(s);
  const out: ScenarioInput[] = [];
  faults.forEach((f, i) => {
    const forUs = us(f.for);
    if (forUs === undefined || forUs <= FAULT_FOR_MIN_US) return;
    for (const share of [0.1, 0.5]) {
      const next = Math.max(FAULT_FOR_MIN_US, Math.round((forUs * share) / 1_000) * 1_000);
      if (next < forUs) out.push(withFaults(s, faults.map((g, j) => (j === i ? { ...g, for: durationText(next) } : g))));
    }
  });
  return out;
});

/** Two faults with the same action on the same target and trigger kind: one of them, lasting as long as both. */
const mergeFaults = listPass('merge faults', (s) => {
  const faults = faultsOf(s);
  const out: ScenarioInput[] = [];
  for (let i = 0; i < faults.length; i++) {
    for (let j = i + 1; j < faults.length; j++) {
      const a = faults[i]!;
      const b = faults[j]!;
      const action = actionName(a);
      if (actionName(b) !== action || a.at === undefined || b.at === undefined) continue;
      if (JSON.stringify((a as Record<string, unknown>)[action]) !== JSON.stringify((b as Record<string, unknown>)[action])) continue;
      const start = Math.min(us(a.at) ?? 0, us(b.at) ?? 0);
      const end = Math.max((us(a.at) ?? 0) + (us(a.for) ?? 0), (us(b.at) ?? 0) + (us(b.for) ?? 0));
      const merged: FaultInput = { ...a, at: durationText(start), ...(a.for !== undefined && b.for !== undefined && { for: durationText(end - start) }) };
      out.push(withFaults(s, faults.flatMap((f, k) => (k === i ? [merged] : k === j ? [] : [f]))));
    }
  }
  return out;
});

/** A protocol-event trigger made plainer: at the first such event, at once, in any shard. */
const plainerTriggers = listPass('plainer triggers', (s) => {
  const faults = faultsOf(s);
  const out: ScenarioInput[] = [];
  faults.forEach((f, i) => {
    const w = f.when;
    if (w?.event === undefined) return;
    const plain = (patch: (x: NonNullable<FaultInput['when']>) => void) => {
      const when = { ...w };
      patch(when);
      out.push(withFaults(s, faults.map((g, j) => (j === i ? { ...g, when } : g))));
    };
    if (w.nth !== undefined && w.nth > 1) plain((x) => delete x.nth);
    if (w.delay !== undefined) plain((x) => delete x.delay);
    if (w.shard !== undefined) plain((x) => delete x.shard);
  });
  return out;
});

/** A fault waiting for N completed operations fires sooner (and at all, under less load). */
const fewerOpsToTrigger = listPass('trigger after fewer ops', (s) => {
  const faults = faultsOf(s);
  const out: ScenarioInput[] = [];
  faults.forEach((f, i) => {
    const n = f.when?.opsCompleted;
    if (n === undefined || n <= 1) return;
    for (const m of [...new Set([1, Math.floor(n / 2)])].filter((x) => x >= 1 && x < n)) {
      out.push(withFaults(s, faults.map((g, j) => (j === i ? { ...g, when: { ...g.when, opsCompleted: m } } : g))));
    }
  });
  return out;
});

// ---- cluster and network ----------------------------------------------------------------------

const fewerShards = listPass('fewer shards', (s) => {
  const shards = s.cluster.shards ?? 8;
  const machines = s.cluster.machines;
  const rf = s.cluster.replication ?? 3;
  const options = [...new Set([1, Math.floor(shards / 2), shards - 1])].filter((x) => x >= 1 && x < shards);
  return options.map((x) => withCluster(s, machines, x, rf));
});

/** No placement section: the driver then runs only for membership faults, without autoscaling. */
const noPlacement = listPass('no placement driver', (s) => {
  if (s.placement === undefined) return [];
  const out = clone(s);
  delete out.placement;
  return [out];
});

/** Largest odd replication factor that fits `machines` and is at most `rf`. */
function fitReplication(rf: number, machines: number): number {
  let r = Math.min(rf, machines);
  if (r % 2 === 0) r--;
  return Math.max(1, r);
}

const fewerMachines = listPass('fewer machines', (s) => {
  // Membership faults name machines to add or replace: leave such clusters alone.
  if (faultsOf(s).some((f) => f.join !== undefined || f.leave !== undefined || f.replace !== undefined)) return [];
  const machines = s.cluster.machines;
  const shards = s.cluster.shards ?? 8;
  const rf = s.cluster.replication ?? 3;
  const options = [...new Set([rf, machines - 1])].filter((x) => x >= 1 && x < machines);
  return options.map((x) => withCluster(s, x, shards, fitReplication(rf, x)));
});

const fewerReplicas = listPass('fewer replicas', (s) => {
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
});

const plainerNetwork = listPass('plainer network', (s) => {
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
});

/**
 * Resampling, for when every pass is stuck. The load is a random sample: a failure that needs a
 * rare coincidence (a read in the few milliseconds after an election, a put to the one key on a
 * shard boundary) survives few of the reductions above, yet another sample may keep it. First
 * lighter loads drawn another way (a lower rate with another read mix, one client, one key),
 * kept only when clearly smaller; then the same load drawn slightly differently (a rate a little
 * lower, another read mix, one client more or less), kept within the size slack, for the
 * passes to try again from there.
 */
function lighterLoads(s: ScenarioInput, opsNow: number): ScenarioInput[] {
  const w = s.workload;
  const windowUs = loadStopUs(s) - loadStartUs(s);
  if (w === undefined || windowUs <= 0) return [];
  const rateNow = w.mode === 'closed' ? (opsNow * 1_000_000) / windowUs : (w.rate ?? 200);
  const out: ScenarioInput[] = [];
  for (const share of [1 / 2, 1 / 4, 1 / 8]) {
    const rate = Math.max(RATE_MIN, Math.round(rateNow * share));
    const base = withWorkload(s, { rate });
    if (w.mode === 'closed') {
      base.workload!.mode = 'open';
      delete base.workload!.concurrency;
    }
    out.push(base);
    for (const readRatio of [0, 0.5, 1]) if (readRatio !== w.readRatio) out.push(withWorkload(base, { readRatio }));
    if (w.clients > 1) out.push(withWorkload(base, { clients: 1 }));
    if ((w.keys ?? 100) > 1) out.push(withWorkload(base, { keys: 1 }));
  }
  return out;
}

function otherSamples(s: ScenarioInput): ScenarioInput[] {
  const w = s.workload;
  if (w === undefined || loadStopUs(s) <= loadStartUs(s)) return [];
  const out: ScenarioInput[] = [];
  if (w.mode !== 'closed') {
    const rate = w.rate ?? 200;
    for (const share of [0.9, 0.8, 0.7, 0.6]) {
      const lower = Math.max(RATE_MIN, Math.round(rate * share));
      if (lower < rate) out.push(withWorkload(s, { rate: lower }));
    }
  }
  for (const readRatio of [0.5, 0.8, 0.9, 0.95]) if (readRatio !== (w.readRatio ?? 0.95)) out.push(withWorkload(s, { readRatio }));
  for (const clients of [w.clients - 1, w.clients + 1]) if (clients >= 1) out.push(withWorkload(s, { clients }));
  return out;
}

function makeResample(): Pass & { visited: Set<string> } {
  // Scenarios resampling already moved to: never again, so sideways moves cannot go in circles.
  const visited = new Set<string>();
  return {
    name: 'resample the load',
    repeat: false,
    visited,
    apply(s, trial) {
      visited.add(JSON.stringify(s));
      for (const c of lighterLoads(s, trial.opsOf(s))) if (trial.smaller(c)) return c;
      for (const c of otherSamples(s)) if (!visited.has(JSON.stringify(c)) && trial.fails(c)) return c;
      return undefined;
    },
  };
}

/**
 * The order matters for the run budget: the first passes cut what makes runs long and large
 * (the run's length, the load), so every later candidate runs faster.
 */
const PASSES: readonly Pass[] = [
  shorter,
  loadStopsEarlier,
  lowerRate,
  closedToOpen,
  fewerClients,
  readMix,
  removeFaultChunks,
  removeFaultOne,
  faultsOnce,
  plainerTriggers,
  fewerOpsToTrigger,
  snapshotSooner,
  loadStartsLater,
  faultsEarlier,
  compressTimeline,
  fewerKeys,
  fewerShards,
  fewerMachines,
  fewerReplicas,
  noPlacement,
  plainerNetwork,
  fewerLevels,
  mergeFaults,
];

/**
 * Polish, once the passes above are stuck: faults made narrower. It never makes the run
 * smaller, and a narrower fault leaves the timeline passes less room, so it comes after them
 * (found: commit-previous-term at swarm seed 6 shrank to 125 instead of 18 when it came first).
 */
const POLISH: readonly Pass[] = [shorterFaults];

/** A failure's first message line with its numbers blanked: the same failure at another index, key or machine. */
export function failureKind(message: string): string {
  return (message.split('\n')[0] ?? '').replace(/[0-9]+/g, '#');
}

/** Greedy shrinking of a failing scenario. The original must fail (else `check` is null). */
export function shrinkScenario(original: ScenarioInput, options: ShrinkOptions): ShrinkResult | null {
  const runsMax = options.runsMax ?? SHRINK_RUNS_MAX;
  let runs = 1;
  const first = options.run(original);
  const check = options.check ?? first.failure?.check;
  if (check === undefined || !first.failing.includes(check)) return null;
  const before: ShrinkSize = { faults: faultsOf(original).length, ops: first.ops };
  const outOfRuns = () => runs >= runsMax || options.deadline?.() === true;
  // A candidate can fail the same check another way: the planted bug seen from elsewhere, or
  // something else entirely (an engine limit, the runaway guard, a false alarm of a degenerate
  // scenario). Failures are told apart by kind (the message with its numbers blanked). With a
  // control run (the planted bugs off), a new kind counts when that run passes, and is trusted
  // from then on; a kind that fails without the bug too is never the bug's. Without a control
  // run, an assertion must keep its kind (any exception is an assertion); the other checks are
  // identified by name.
  const kinds = new Set([failureKind(first.messages[check] ?? '')]);
  const falseKinds = new Set<string>();
  const sameFailure = (candidate: ScenarioInput, outcome: RunOutcome): boolean => {
    if (!outcome.failing.includes(check)) return false;
    const kind = failureKind(outcome.messages[check] ?? '');
    if (kinds.has(kind)) return true;
    if (options.control === undefined) return check !== CHECK_ASSERTION;
    if (falseKinds.has(kind) || outOfRuns()) return false;
    runs++;
    const alone = options.control(candidate).failing.length === 0;
    (alone ? kinds : falseKinds).add(kind);
    return alone;
  };

  // Runs are deterministic, so a candidate proposed twice (by two passes, or by a search after
  // an unrelated change elsewhere was undone) is answered from memory and costs no run.
  const seen = new Map<string, RunOutcome | null>();
  seen.set(JSON.stringify(original), first);
  const outcomeOf = (candidate: ScenarioInput): RunOutcome | null => {
    const key = JSON.stringify(candidate);
    const known = seen.get(key);
    if (known !== undefined) return known;
    if (outOfRuns()) return null;
    runs++;
    let outcome: RunOutcome | null;
    try {
      const result = options.run(candidate);
      // A candidate on which another check cannot decide is no simpler to read: never taken.
      outcome = result.undecided.length === 0 && sameFailure(candidate, result) ? result : null;
    } catch (err) {
      // A candidate the schema rejects is simply not smaller in a useful way.
      if (!(err instanceof Error && err.name === 'UserError')) throw err;
      outcome = null;
    }
    seen.set(key, outcome);
    return outcome;
  };
  // Size is faults + operations. A step may be simpler yet need a few more operations (no
  // faults, and the closed loop runs faster): it is taken if it stays within SIZE_SLACK of the
  // smallest size seen, and the smallest scenario seen is the result.
  let bestSize = Number.POSITIVE_INFINITY;
  let slack = 1;
  const trial: Trial = {
    fails(candidate) {
      const outcome = outcomeOf(candidate);
      return outcome !== null && sizeOf(candidate, outcome) <= bestSize * slack;
    },
    smaller(candidate) {
      const outcome = outcomeOf(candidate);
      return outcome !== null && sizeOf(candidate, outcome) <= bestSize * SIZE_GAIN_STRICT;
    },
    opsOf: (s) => seen.get(JSON.stringify(s))?.ops ?? 0,
  };

  // Expectations only matter when they are what fails: otherwise drop them, so the shrunk file
  // exits 1 on the failing check itself.
  let current = clone(original);
  if (check !== CHECK_EXPECTATIONS) delete current.expect;
  delete current.seed;
  let currentOutcome = first;
  // The stripped original is the first candidate (it always fails unless expect mattered).
  const stripped = outcomeOf(current);
  if (stripped === null) current = clone(original);
  else currentOutcome = stripped;
  let best = current;
  let bestOutcome = currentOutcome;
  bestSize = sizeOf(best, bestOutcome);
  // Every smallest-so-far, oldest first: the result walks back along it to a decided one.
  const history: { scenario: ScenarioInput; outcome: RunOutcome }[] = [{ scenario: best, outcome: bestOutcome }];

  const steps: string[] = [];
  const take = (next: ScenarioInput, pass: string, simpler = true) => {
    current = next;
    currentOutcome = outcomeOf(next)!;
    // Ties go to the later scenario when the pass made it simpler (resampling does not).
    const size = sizeOf(current, currentOutcome);
    if (size < bestSize || (simpler && size === bestSize)) {
      best = current;
      bestOutcome = currentOutcome;
      bestSize = sizeOf(best, bestOutcome);
      history.push({ scenario: best, outcome: bestOutcome });
    }
    steps.push(pass);
    options.onProgress?.({ runs, size: { faults: faultsOf(current).length, ops: currentOutcome.ops }, pass });
  };
  const stopped = () => outOfRuns() || steps.length >= STEPS_MAX;
  const resample = makeResample();
  /** One round over every pass; true when some step was taken. */
  const round = (): boolean => {
    let moved = false;
    for (const pass of PASSES) {
      for (;;) {
        // Remembered candidates cost no run, so the run bound alone does not end a loop.
        if (stopped()) return moved;
        const next = pass.apply(current, trial);
        if (next === undefined) break;
        take(next, pass.name);
        moved = true;
        if (!pass.repeat) break;
      }
    }
    return moved;
  };
  // A plain descent first: every step keeps the size. Once stuck, a simpler scenario may need a
  // few more operations (SIZE_SLACK); once stuck again, resample the load. Each new smallest size
  // starts the plain descent over.
  let relaxed = false;
  while (!stopped()) {
    slack = relaxed ? SIZE_SLACK : 1;
    const sizeBefore = bestSize;
    const moved = round();
    if (bestSize < sizeBefore) relaxed = false;
    if (moved) continue;
    if (!relaxed) {
      relaxed = true;
      continue;
    }
    const next = resample.apply(current, trial);
    if (next === undefined) break;
    take(next, resample.name, false);
    resample.visited.add(JSON.stringify(next));
    relaxed = false;
  }
  slack = 1;
  for (const pass of POLISH) {
    for (;;) {
      if (stopped()) break;
      const next = pass.apply(best, trial);
      if (next === undefined) break;
      take(next, pass.name);
      // `take` keeps it as the best only at no larger a size; else polish from where we were.
      if (best !== next) break;
    }
  }
  // A shrunk scenario the checker cannot decide on correct code would send its reader after a
  // budget, not a bug (found: a shrunk linearizability failure whose control run was undecided):
  // walk back from the smallest to the newest candidate that is decided. These runs come after
  // the budget, at most WALK_BACK_MAX of them.
  let decided = false;
  let undecidedSkipped = 0;
  for (let k = history.length - 1; k >= 0 && undecidedSkipped < WALK_BACK_MAX; k--) {
    const h = history[k]!;
    let ok = h.outcome.undecided.length === 0;
    if (ok && options.control !== undefined) {
      runs++;
      const control = options.control(h.scenario);
      ok = control.failing.length === 0 && control.undecided.length === 0;
    }
    if (ok) {
      best = h.scenario;
      bestOutcome = h.outcome;
      decided = true;
      break;
    }
    undecidedSkipped++;
  }
  return {
    scenario: best,
    check,
    message: bestOutcome.messages[check] ?? '',
    before,
    after: { faults: faultsOf(best).length, ops: bestOutcome.ops },
    runs,
    runsMax,
    steps,
    decided,
    undecidedSkipped,
  };
}
