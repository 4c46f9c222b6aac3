// Coverage-guided sweeps (`kvsim sweep --swarm --guided`, `kvsim hunt --guided`): fuzzing's
// answer to rare situations. A fresh swarm seed rarely reaches a compound situation (a put
// committed twice with a write in between, a crash right after a truncation, ...); a scenario
// that did reach it once, changed a little, often reaches it again, and nearby.
//
//   Seeds run in generations of GENERATION_SIZE. The first is all fresh swarm seeds. After each
//   generation, the seeds of it that reached a *rare* counter (one reached so far by fewer than
//   RARE_SHARE of the seeds) join the corpus under that counter (at most CORPUS_PER_COUNTER each;
//   a newer one replaces the oldest). In later generations each seed, by its own stream
//   ('guided'), either runs fresh (1 − MUTATE_SHARE) or picks uniformly a counter that is still
//   rare and has a corpus, a parent under it uniformly, and mutates it 1–3 times (1 in half the
//   mutants: small steps keep what the parent reached):
//     shift     move one fault in time (at, every, from; nth and delay of an event trigger)
//     event     add a fault at a protocol event (crash, pause, isolate or clog the machine involved;
//               or, with membership changes, a leadership transfer the moment a conf entry is
//               appended; without any, sometimes a join and such a transfer)
//     again     repeat one fault a little later
//     drop      remove one fault
//     load      change the rate, clients, read ratio or keys
//     timing    change the election timeout, latency, fsync time or the duration
//     reseed    run the same scenario under another seed
//   The corpus changes only between generations and every choice comes from the seed's own
//   stream, so a guided sweep is the same for a given range on any number of workers.
//
// A mutant is written as a normal scenario file (reports/guided/guided-SEED.yaml, its header
// naming the parent and the mutations) and runs under the seed its `Reproduce:` line gives, so
// `kvsim run` reproduces it bit for bit. A mutant that fails validation runs fresh instead.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RandomStreams, type Rng } from '../sim/random.js';
import { formatDurationUs, parseDurationUs } from '../base/time.js';
import { UserError } from '../base/errors.js';
import { parseScenarioText } from '../scenario/load.js';
import { reproCommand } from '../scenario/repro.js';
import { drawEventFault, eventFaultChoices, rngDraw, type FaultInput, type FaultProfile, type ScenarioInput } from './arbitraries.js';
import { COVERAGE_NAMES, type CoverageCounts, type CoverageName } from './coverage.js';
import type { ScenarioSource } from './protocol.js';
import { swarmDraw, type SwarmOptions } from './swarm.js';
import { scenarioToYaml } from './yaml.js';

export const GENERATION_SIZE = 50;
export const MUTATE_SHARE = 0.6;
export const RARE_SHARE = 0.1;
export const CORPUS_PER_COUNTER = 8;

export const MUTATIONS = ['shift', 'event', 'again', 'drop', 'load', 'timing', 'reseed'] as const;
export type Mutation = (typeof MUTATIONS)[number];

/** A scenario the corpus keeps: what it is, the seed it ran under, and where it came from. */
interface Entry {
  seed: number;
  runSeed: number;
  scenario: ScenarioInput;
  profile: FaultProfile;
  /** Generations of mutation from a fresh swarm seed (0 = fresh). */
  depth: number;
}

/** What one sweep seed runs. */
export interface GuidedJob {
  seed: number;
  runSeed: number;
  source: ScenarioSource;
  /**
   * A mutant's scenario as an object (hunt shrinks it) and its profile (further mutations use
   * it); null for a fresh seed, whose worker draws it: `drawn` draws it here only when needed.
   */
  scenario: ScenarioInput | null;
  profile: FaultProfile | null;
  /** Null for a fresh swarm seed. */
  parent: { seed: number; counter: CoverageName; mutations: string[] } | null;
  depth: number;
  /** The written file, for a mutant. */
  file: string | null;
}

export interface GuidedStats {
  generationSize: number;
  generations: number;
  fresh: number;
  mutants: number;
  /** Mutants that failed validation and ran fresh instead. */
  invalid: number;
  /** Mutants per counter they were aimed at, and how many of them reached it. */
  aimed: Partial<Record<CoverageName, { mutants: number; reached: number }>>;
  /** Corpus size per counter at the end. */
  corpus: Partial<Record<CoverageName, number>>;
}

export class Guide {
  private readonly corpus = new Map<CoverageName, Entry[]>();
  private readonly added = new Map<CoverageName, number>();
  private readonly reached = new Map<CoverageName, number>();
  private learned = 0;
  private readonly jobs = new Map<number, GuidedJob>();
  private readonly retained = new Set<number>();
  private readonly stats: GuidedStats = { generationSize: GENERATION_SIZE, generations: 0, fresh: 0, mutants: 0, invalid: 0, aimed: {}, corpus: {} };

  constructor(
    readonly bugs: readonly string[],
    readonly reportsDir: string,
    readonly swarm: SwarmOptions = {},
  ) {}

  /** The job of a seed (made once; the corpus must not change while a generation runs). */
  job(seed: number): GuidedJob {
    const known = this.jobs.get(seed);
    if (known !== undefined) return known;
    const job = this.makeJob(seed);
    this.jobs.set(seed, job);
    return job;
  }

  /** After a generation: learn its outcomes, in seed order. */
  endGeneration(outcomes: readonly { seed: number; coverage: CoverageCounts }[]): void {
    this.stats.generations++;
    const sorted = [...outcomes].sort((a, b) => a.seed - b.seed);
    for (const { coverage } of sorted) {
      this.learned++;
      for (const name of COVERAGE_NAMES) if (coverage[name] > 0) this.reached.set(name, (this.reached.get(name) ?? 0) + 1);
    }
    for (const { seed, coverage } of sorted) {
      const job = this.jobs.get(seed);
      if (job === undefined) continue;
      if (job.parent !== null && coverage[job.parent.counter] > 0) this.aimed(job.parent.counter).reached++;
      for (const name of COVERAGE_NAMES) {
        if (coverage[name] === 0 || !this.isRare(name)) continue;
        this.keep(name, { seed, runSeed: job.runSeed, ...this.drawn(job), depth: job.depth });
      }
    }
    // Only a failure's job is needed again (a hunt shrinks it); the rest are done with.
    for (const { seed } of sorted) if (!this.retained.has(seed)) this.jobs.delete(seed);
  }

  /** A job's scenario and profile: a mutant's own, or a fresh seed's drawn again from the seed. */
  drawn(job: GuidedJob): { scenario: ScenarioInput; profile: FaultProfile } {
    if (job.scenario !== null && job.profile !== null) return { scenario: job.scenario, profile: job.profile };
    const { scenario, profile } = swarmDraw(job.seed, this.swarm);
    job.scenario = scenario;
    job.profile = profile;
    return { scenario, profile };
  }

  /** Keeps a seed's job after its generation (its run failed: a hunt will shrink it). */
  retain(seed: number): void {
    this.retained.add(seed);
  }

  summary(): GuidedStats {
    const corpus: Partial<Record<CoverageName, number>> = {};
    for (const name of COVERAGE_NAMES) {
      const n = this.corpus.get(name)?.length ?? 0;
      if (n > 0) corpus[name] = n;
    }
    return { ...this.stats, aimed: { ...this.stats.aimed }, corpus };
  }

  private isRare(name: CoverageName): boolean {
    return (this.reached.get(name) ?? 0) < RARE_SHARE * this.learned;
  }

  private aimed(name: CoverageName): { mutants: number; reached: number } {
    let a = this.stats.aimed[name];
    if (a === undefined) this.stats.aimed[name] = a = { mutants: 0, reached: 0 };
    return a;
  }

  private keep(name: CoverageName, entry: Entry): void {
    let list = this.corpus.get(name);
    if (list === undefined) this.corpus.set(name, (list = []));
    const n = this.added.get(name) ?? 0;
    this.added.set(name, n + 1);
    if (list.length < CORPUS_PER_COUNTER) list.push(entry);
    else list[n % CORPUS_PER_COUNTER] = entry;
  }

  private fresh(seed: number): GuidedJob {
    this.stats.fresh++;
    return { seed, runSeed: seed, source: { kind: 'swarm', ...(this.swarm.geo === true && { geo: true }) }, scenario: null, profile: null, parent: null, depth: 0, file: null };
  }

  private makeJob(seed: number): GuidedJob {
    const rng = new RandomStreams(seed).stream('guided');
    // Aim only at counters that are still rare: one reached often enough needs no more help.
    const counters = COVERAGE_NAMES.filter((name) => (this.corpus.get(name)?.length ?? 0) > 0 && this.isRare(name));
    if (counters.length === 0 || !rng.chance(MUTATE_SHARE)) return this.fresh(seed);
    const counter = rng.pick(counters);
    const parent = rng.pick(this.corpus.get(counter)!);
    const child = mutate(parent, seed, rng);
    const name = `guided-${seed}`;
    child.scenario.name = name;
    const file = join(this.reportsDir, 'guided', `${name}.yaml`);
    const text = scenarioToYaml(child.scenario, [
      `${name}: a mutant made by \`kvsim sweep --swarm --guided\` for seed ${seed}, aimed at the coverage counter ${counter}.`,
      `Parent: ${parent.depth === 0 ? `swarm seed ${parent.seed}` : `guided seed ${parent.seed}`} (run under seed ${parent.runSeed}); ${child.depth} mutation round(s) from a fresh seed.`,
      `Mutations: ${child.mutations.join('; ')}.`,
      `Reproduce: ${reproCommand(file, child.runSeed, this.bugs)}`,
    ]);
    try {
      parseScenarioText(file, text);
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      this.stats.invalid++;
      return this.fresh(seed);
    }
    mkdirSync(join(this.reportsDir, 'guided'), { recursive: true });
    // Whole or not at all: a reader running the file never sees half of it.
    const tmp = `${file}.tmp-${process.pid}`;
    writeFileSync(tmp, text);
    renameSync(tmp, file);
    this.stats.mutants++;
    this.aimed(counter).mutants++;
    return {
      seed,
      runSeed: child.runSeed,
      source: { kind: 'file', file, text },
      scenario: child.scenario,
      profile: parent.profile,
      parent: { seed: parent.seed, counter, mutations: child.mutations },
      depth: child.depth,
      file,
    };
  }
}

/** A changed copy of a corpus entry: 1–3 mutations, each described. */
export function mutate(parent: Entry, seed: number, rng: Rng): { scenario: ScenarioInput; runSeed: number; mutations: string[]; depth: number } {
  const scenario = structuredClone(parent.scenario);
  let runSeed = parent.runSeed;
  const mutations: string[] = [];
  const rounds = rng.pick([1, 1, 2, 3]);
  for (let i = 0; i < rounds; i++) {
    const kind = rng.pick(MUTATIONS);
    const done = kind === 'reseed' ? ((runSeed = seed), `reseed: run under seed ${seed}`) : applyMutation(kind, scenario, parent.profile, rng);
    if (done !== null) mutations.push(done);
  }
  if (mutations.length === 0) {
    runSeed = seed;
    mutations.push(`reseed: run under seed ${seed}`);
  }
  return { scenario, runSeed, mutations, depth: parent.depth + 1 };
}

const MS = 1_000;

/**
 * The envelope mutants stay in, however many rounds deep: the generator's own ranges widened by
 * about two. Without it, mutations compound (found: a no-bug guided hunt, seed 3158, 20 rounds
 * from a fresh seed, had a mean latency of 72 ms against a 220 ms election timeout; elections
 * kept failing and liveness failed on correct code). Round trips stay well inside an election
 * timeout, as the generator keeps them.
 */
const LATENCY_MEAN_MAX_US = 6 * MS;
const LATENCY_PER_ELECTION_TIMEOUT = 1 / 30;
const FSYNC_MEAN_MAX_US = 5 * MS;
const RATE_MAX = 600;
const DURATION_MAX_US = 6_000 * MS;

function us(text: string | number | undefined, fallback: number): number {
  return text === undefined ? fallback : (parseDurationUs(text) ?? fallback);
}

function scaled(text: string | number | undefined, fallback: number, factor: number, min: number): string {
  return formatDurationUs(Math.max(min, Math.round((us(text, fallback) * factor) / MS) * MS));
}

/** Applies one mutation in place; a description, or null when it did not apply. */
function applyMutation(kind: Exclude<Mutation, 'reseed'>, s: ScenarioInput, profile: FaultProfile, rng: Rng): string | null {
  const faults = (s.faults ??= []) as FaultInput[];
  const durationUs = us(s.duration, 10_000 * MS);
  const shiftTime = (text: string | number | undefined): string => {
    const deltaUs = rng.int(-50, 50) * 10 * MS;
    return formatDurationUs(Math.min(durationUs - MS, Math.max(0, us(text, 0) + deltaUs)));
  };
  switch (kind) {
    case 'shift': {
      if (faults.length === 0) return null;
      const i = rng.int(0, faults.length - 1);
      const f = faults[i]!;
      if (f.at !== undefined) f.at = shiftTime(f.at);
      else if (f.every !== undefined) {
        if (rng.chance(0.5)) f.every = scaled(f.every, 1_000 * MS, rng.pick([0.5, 0.75, 1.5, 2]), 50 * MS);
        else f.from = shiftTime(f.from);
      } else if (f.when?.event !== undefined) {
        if (rng.chance(0.5)) f.when.nth = rng.int(1, 4);
        else f.when.delay = formatDurationUs(rng.pick([0, 1, 2, 5, 10, 20, 50]) * MS);
      } else if (f.when?.opsCompleted !== undefined) f.when.opsCompleted = Math.max(1, Math.round(f.when.opsCompleted * rng.pick([0.5, 2])));
      else return null;
      if (f.for !== undefined && rng.chance(0.3)) f.for = scaled(f.for, 100 * MS, rng.pick([0.5, 2]), 10 * MS);
      return `shift: fault ${i} now ${JSON.stringify(f.at ?? f.every ?? f.when)}`;
    }
    case 'event': {
      const shards = s.cluster?.shards ?? 1;
      const changesMembership = faults.some((f) => f.join !== undefined || f.leave !== undefined || f.replace !== undefined);
      if (profile.kinds.transfer !== undefined && changesMembership && rng.chance(0.3)) {
        const shard = rng.int(0, shards - 1);
        faults.push({ when: { event: 'confAppended', shard }, transfer: { shard } });
        return `event: added fault ${faults.length - 1}, a transfer of shard ${shard} at its next conf entry`;
      }
      // No membership change to aim at: make one (a join; a joiner under a topology would need
      // a zone, so not there), with a transfer at the first conf entry it makes in a shard.
      if (!changesMembership && s.topology === undefined && (s.cluster?.replication ?? 3) > 1 && rng.chance(0.15)) {
        const joiner = `n${(s.cluster?.machines ?? 3) + faults.filter((f) => f.join !== undefined).length + 1}`;
        const shard = rng.int(0, shards - 1);
        const at = formatDurationUs(rng.int(1, Math.max(1, Math.floor((durationUs * 0.6) / (100 * MS)))) * 100 * MS);
        faults.push({ at, join: joiner }, { when: { event: 'confAppended', shard }, transfer: { shard } });
        return `event: added a join of ${joiner} at ${at} (faults ${faults.length - 2}, ${faults.length - 1}) and a transfer of shard ${shard} at its next conf entry`;
      }
      const choices = eventFaultChoices(profile, s, faults);
      if (choices === null) return null;
      const f = drawEventFault(rngDraw(rng), choices);
      faults.push(f);
      return `event: added fault ${faults.length - 1} at ${f.when?.event}`;
    }
    case 'again': {
      const timed = faults.map((f, i) => [f, i] as const).filter(([f]) => f.at !== undefined);
      if (timed.length === 0) return null;
      const [f, i] = rng.pick(timed);
      const copy = structuredClone(f);
      copy.at = formatDurationUs(Math.min(durationUs - MS, us(f.at, 0) + rng.int(1, 50) * 10 * MS));
      faults.push(copy);
      return `again: fault ${i} repeated at ${copy.at}`;
    }
    case 'drop': {
      if (faults.length === 0) return null;
      const i = rng.int(0, faults.length - 1);
      faults.splice(i, 1);
      return `drop: fault ${i} removed`;
    }
    case 'load': {
      const w = s.workload;
      if (w === undefined) return null;
      const which = rng.pick(['rate', 'clients', 'readRatio', 'keys'] as const);
      if (which === 'rate') {
        if (w.mode === 'closed') w.concurrency = rng.int(1, 3);
        else w.rate = Math.min(RATE_MAX, Math.max(10, Math.round((w.rate ?? 100) * rng.pick([0.5, 1.5, 2, 3]))));
      } else if (which === 'clients') w.clients = Math.max(1, Math.min(8, (w.clients ?? 2) + rng.pick([-1, 1, 2])));
      else if (which === 'readRatio') w.readRatio = rng.pick([0.5, 0.7, 0.9, 0.99]);
      else if (s.cluster?.keyRingBits === undefined) w.keys = rng.pick([1, 2, 5, 10, 50]);
      else return null;
      return `load: ${which} now ${JSON.stringify(which === 'rate' ? (w.rate ?? w.concurrency) : w[which])}`;
    }
    case 'timing': {
      const which = rng.pick(['latency', 'fsync', 'duration'] as const);
      if (which === 'latency') {
        const latency = ((s.network ??= {}).latency ??= {});
        const electionUs = us(s.raft?.electionTimeout, 150 * MS);
        const maxUs = Math.min(LATENCY_MEAN_MAX_US, Math.floor((electionUs * LATENCY_PER_ELECTION_TIMEOUT) / 100) * 100);
        latency.mean = formatDurationUs(Math.min(maxUs, us(scaled(latency.mean, 1_000, rng.pick([0.5, 2, 4]), 100), 1_000)));
        if (latency.min !== undefined && us(latency.min, 0) > us(latency.mean, 0)) latency.min = latency.mean;
        return `timing: latency mean now ${latency.mean}`;
      }
      if (which === 'fsync') {
        const disk = (s.disk ??= {});
        disk.fsyncMean = formatDurationUs(Math.min(FSYNC_MEAN_MAX_US, us(scaled(disk.fsyncMean, 1_000, rng.pick([0.5, 2, 5]), 100), 1_000)));
        if (disk.fsyncMin !== undefined && us(disk.fsyncMin, 0) > us(disk.fsyncMean, 0)) disk.fsyncMin = disk.fsyncMean;
        return `timing: fsync mean now ${disk.fsyncMean}`;
      }
      // Never before a timed fault (a fault due after the run's end is refused).
      const lastAtUs = Math.max(0, ...faults.map((f) => us(f.at, 0)));
      s.duration = formatDurationUs(Math.max(1_000 * MS, lastAtUs + 100 * MS, Math.min(DURATION_MAX_US, durationUs + rng.int(-5, 5) * 100 * MS)));
      return `timing: duration now ${s.duration}`;
    }
  }
}
