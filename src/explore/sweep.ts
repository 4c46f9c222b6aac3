// A sweep: many seeds of one scenario (or of swarm mode) on worker threads, with failures
// recorded as reproduction commands, coverage counters summed, and optionally every seed run
// twice (the second time on a fresh worker) to prove determinism. The caller passes the wall
// clock in (`nowMs`): nothing here reads time itself.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { COVERAGE_NAMES, addToTable, allCovered, emptyTable, type CoverageTable } from './coverage.js';
import type { RunOutcome } from './execute.js';
import type { WorkerPool } from './pool.js';
import type { ScenarioSource } from './protocol.js';
import { swarmFileText, swarmName, swarmRepro } from './swarm.js';
import { reproCommand } from '../scenario/repro.js';
import { GENERATION_SIZE, type Guide, type GuidedStats } from './guided.js';

export interface SweepFailure {
  seed: number;
  check: string;
  repro: string;
  message: string;
}

export interface Divergence {
  seed: number;
  hashes: [string, string];
  /** Index (0-based, in emission order) of the first event that differs; null when the reruns agreed. */
  index: number | null;
  /** The two events at that index, as JSON (null when one run ended earlier). */
  events: [string | null, string | null] | null;
}

export interface SweepSummary {
  seeds: number;
  failures: SweepFailure[];
  seedsPerSec: number;
  /** null when determinism was not checked. */
  deterministic: boolean | null;
  coverage: CoverageTable;
  source: string;
  range: { from: number; to: number };
  shard: { index: number; count: number } | null;
  bugs: string[];
  workers: number;
  wallMs: number;
  stoppedCovered: boolean;
  divergences: Divergence[];
  /** A guided sweep's corpus and mutants (absent otherwise). */
  guided?: GuidedStats;
}

export interface SweepProgress {
  done: number;
  total: number;
  failures: number;
  seedsPerSec: number;
  etaSec: number;
}

export interface SweepOptions {
  source: ScenarioSource;
  range: { from: number; to: number };
  shard: { index: number; count: number } | null;
  bugs: string[];
  checkDeterminism: boolean;
  untilCovered: boolean;
  /** Where swarm failures are written (reports/). */
  reportsDir: string;
  engineModule?: string;
  nowMs: () => number;
  onProgress?: (progress: SweepProgress) => void;
  /** Polled before each seed is handed out: true stops feeding seeds (those running finish). */
  stop?: () => boolean;
  onFailure?: (failure: SweepFailure) => void;
  onDivergence?: (divergence: Divergence) => void;
  /** Coverage guidance (swarm sources only): which seeds run mutants of earlier ones. */
  guide?: Guide;
}

/** The seeds of a range that belong to shard `index` of `count` (1-based): every count-th seed. */
export function shardSeeds(range: { from: number; to: number }, shard: { index: number; count: number } | null): number[] {
  const seeds: number[] = [];
  const start = range.from + (shard === null ? 0 : shard.index - 1);
  const step = shard === null ? 1 : shard.count;
  for (let seed = start; seed <= range.to; seed += step) seeds.push(seed);
  return seeds;
}

/** The first event where two event lists differ, or null when they are equal. */
export function firstDivergence(a: readonly string[], b: readonly string[]): { index: number; events: [string | null, string | null] } | null {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return { index: i, events: [a[i] ?? null, b[i] ?? null] };
  }
  return null;
}

export function reproFor(source: ScenarioSource, seed: number, bugs: readonly string[], reportsDir: string): string {
  if (source.kind === 'swarm') return swarmRepro(seed, bugs, reportsDir, source);
  return reproCommand(source.file, seed, bugs);
}

export async function sweep(pool: WorkerPool, options: SweepOptions): Promise<SweepSummary> {
  const seeds = shardSeeds(options.range, options.shard);
  const coverage = emptyTable();
  const failures: SweepFailure[] = [];
  const divergences: Divergence[] = [];
  const startMs = options.nowMs();
  let done = 0;
  let stoppedCovered = false;
  const guide = options.guide;
  if (guide !== undefined && options.source.kind !== 'swarm') throw new Error('a guided sweep needs a swarm source');
  const jobOf = (seed: number) => (guide === undefined ? { runSeed: seed, source: options.source, file: null } : guide.job(seed));
  const task = (seed: number, captureEvents: boolean) => {
    const job = jobOf(seed);
    return {
      seed: job.runSeed,
      source: job.source,
      bugs: options.bugs,
      captureEvents,
      ...(options.engineModule !== undefined && { engineModule: options.engineModule }),
    };
  };

  const recordFailure = (seed: number, check: string, message: string): void => {
    const job = jobOf(seed);
    guide?.retain(seed);
    if (job.file !== null) {
      // A guided mutant: its file is written already, and runs under the job's seed.
      const failure = { seed, check, repro: reproCommand(job.file, job.runSeed, options.bugs), message };
      failures.push(failure);
      options.onFailure?.(failure);
      return;
    }
    if (options.source.kind === 'swarm') {
      mkdirSync(options.reportsDir, { recursive: true });
      // Whole or not at all (a temporary file renamed over it): another sweep or hunt writing
      // the same seed's file, or a reader running it, never sees half a file.
      const file = join(options.reportsDir, `${swarmName(seed, options.source)}.yaml`);
      const tmp = `${file}.tmp-${process.pid}`;
      writeFileSync(tmp, swarmFileText(seed, options.bugs, options.reportsDir, options.source));
      renameSync(tmp, file);
    }
    const failure = { seed, check, repro: reproFor(options.source, seed, options.bugs, options.reportsDir), message };
    failures.push(failure);
    options.onFailure?.(failure);
  };

  const diagnose = async (seed: number, hashes: [string, string]): Promise<void> => {
    // Re-run both ways with every event kept, and name the first one that differs.
    const [again, fresh] = await Promise.all([pool.run(task(seed, true), false), pool.run(task(seed, true), true)]);
    const at = firstDivergence(again.eventLog ?? [], fresh.eventLog ?? []);
    const divergence: Divergence = { seed, hashes, index: at?.index ?? null, events: at?.events ?? null };
    divergences.push(divergence);
    options.onDivergence?.(divergence);
  };

  const runSeed = async (seed: number): Promise<void> => {
    let first: RunOutcome;
    let second: RunOutcome | undefined;
    try {
      [first, second] = await Promise.all([
        pool.run(task(seed, false), false),
        options.checkDeterminism ? pool.run(task(seed, false), true) : Promise.resolve(undefined),
      ]);
    } catch (err) {
      recordFailure(seed, 'error', err instanceof Error ? err.message : String(err));
      return;
    }
    addToTable(coverage, first.coverage);
    generation.push({ seed, coverage: first.coverage });
    if (first.failure !== null) recordFailure(seed, first.failure.check, first.failure.message);
    if (second !== undefined && second.traceHash !== first.traceHash) await diagnose(seed, [first.traceHash, second.traceHash]);
  };

  // Feed the pool a window of seeds at a time, so --until-covered can stop early. A guided
  // sweep feeds one generation at a time: the corpus learns from it before the next is made.
  const window = Math.max(2, pool.size * 2);
  let next = 0;
  const inFlight = new Set<Promise<void>>();
  const generation: { seed: number; coverage: RunOutcome['coverage'] }[] = [];
  let generationEnd = guide === undefined ? seeds.length : Math.min(seeds.length, GENERATION_SIZE);
  while (next < seeds.length || inFlight.size > 0) {
    if (guide !== undefined && inFlight.size === 0 && next === generationEnd && next < seeds.length) {
      guide.endGeneration(generation);
      generation.length = 0;
      generationEnd = Math.min(seeds.length, generationEnd + GENERATION_SIZE);
    }
    while (next < generationEnd && inFlight.size < window && !stoppedCovered && options.stop?.() !== true) {
      const seed = seeds[next++]!;
      const p: Promise<void> = runSeed(seed).then(() => {
        inFlight.delete(p);
        done++;
        if (options.untilCovered && allCovered(coverage)) stoppedCovered = true;
        const elapsedSec = Math.max(1e-3, (options.nowMs() - startMs) / 1000);
        const rate = done / elapsedSec;
        options.onProgress?.({ done, total: seeds.length, failures: failures.length, seedsPerSec: rate, etaSec: (seeds.length - done) / Math.max(rate, 1e-9) });
      });
      inFlight.add(p);
    }
    if (inFlight.size === 0) break;
    await Promise.race(inFlight);
  }

  // A hunt sweeps round after round with one guide: it learns from the last generation too.
  if (guide !== undefined && generation.length > 0) guide.endGeneration(generation);
  failures.sort((a, b) => a.seed - b.seed);
  divergences.sort((a, b) => a.seed - b.seed);
  const wallMs = options.nowMs() - startMs;
  return {
    seeds: done,
    failures,
    seedsPerSec: round2(done / Math.max(1e-3, wallMs / 1000)),
    deterministic: options.checkDeterminism ? divergences.length === 0 : null,
    coverage,
    source: options.source.kind === 'swarm' ? (options.source.geo === true ? 'swarm --geo' : 'swarm') : options.source.file,
    range: options.range,
    shard: options.shard,
    bugs: options.bugs,
    workers: pool.size,
    wallMs: Math.round(wallMs),
    stoppedCovered,
    divergences,
    ...(guide !== undefined && { guided: guide.summary() }),
  };
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

/** Joins the summaries of sharded sweeps (seeds, failures and coverage add up). */
export function mergeSummaries(parts: readonly SweepSummary[]): SweepSummary {
  const coverage = emptyTable();
  for (const part of parts) {
    for (const name of COVERAGE_NAMES) {
      const c = part.coverage[name];
      if (c === undefined) continue;
      coverage[name].total += c.total;
      coverage[name].seeds += c.seeds;
    }
  }
  const determinism = parts.map((p) => p.deterministic);
  const first = parts[0];
  return {
    seeds: parts.reduce((n, p) => n + p.seeds, 0),
    failures: parts.flatMap((p) => p.failures).sort((a, b) => a.seed - b.seed),
    // Shards run side by side: their throughputs add up.
    seedsPerSec: round2(parts.reduce((n, p) => n + p.seedsPerSec, 0)),
    deterministic: determinism.includes(false) ? false : determinism.includes(null) ? null : true,
    coverage,
    source: [...new Set(parts.map((p) => p.source))].join(','),
    range: {
      from: Math.min(...parts.map((p) => p.range?.from ?? Infinity)),
      to: Math.max(...parts.map((p) => p.range?.to ?? -Infinity)),
    },
    shard: null,
    bugs: first?.bugs ?? [],
    workers: parts.reduce((n, p) => n + (p.workers ?? 0), 0),
    wallMs: Math.max(0, ...parts.map((p) => p.wallMs ?? 0)),
    stoppedCovered: parts.some((p) => p.stoppedCovered === true),
    divergences: parts.flatMap((p) => p.divergences ?? []).sort((a, b) => a.seed - b.seed),
  };
}
