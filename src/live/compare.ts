// Simulation against reality: one scenario and seed run both ways, measured the same way.
//
//   profileOf(history, trace, summary)   latency p50/p99 of ok operations by kind (put, and get
//                                        per read level); the share of follower reads that were
//                                        stale and staleness p50/p99 in versions and time (the
//                                        eventual check's staleness report); elections; and for
//                                        each crash, pause or isolation, how long the shards the
//                                        target led went without a leader (fault → the next
//                                        raft.elected of that shard)
//   compareWithSimulation(...)           runs the scenario in simulation, profiles both, and
//                                        renders the side-by-side table (and its JSON)
//
// Both profiles read the same artefacts — a history and a trace with the same event types — so a
// difference in the table is a difference in behaviour, not in measurement.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { percentiles } from '../check/eventual.js';
import { parseJsonl } from '../history/jsonl.js';
import type { OpRecord } from '../history/op.js';
import { engineFactoryFor } from '../harness/engines.js';
import { runScenario, type RunSummary } from '../harness/runner.js';
import type { EventualVerdict } from '../harness/verdicts.js';
import type { LoadedScenario } from '../scenario/load.js';
import { machineOfReplica } from '../store/replica-id.js';
import { readTrace } from '../trace/reader.js';

export interface LatencyFigures {
  count: number;
  p50Ms: number;
  p99Ms: number;
}

export interface Unavailability {
  /** The fault as the trace names it, e.g. "crash n2 at 3.0 s". */
  fault: string;
  /** Shards the target led when the fault fired. */
  shards: number;
  /** Longest time one of them had no leader (ms); null: no new leader seen. */
  leaderlessMs: number | null;
}

export interface RunProfile {
  latency: Record<string, LatencyFigures>;
  followerReads: number;
  followerStaleShare: number;
  stalenessVersions: { p50: number; p99: number };
  stalenessMs: { p50: number; p99: number };
  elections: number;
  unavailability: Unavailability[];
}

const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Fault actions after which the target's shards must elect a leader elsewhere. */
const LEADER_LOSING = new Set(['crash', 'pause', 'isolate']);

export async function profileOf(history: readonly OpRecord[], tracePath: string, summary: Pick<RunSummary, 'checks' | 'elections'>): Promise<RunProfile> {
  const byKind = new Map<string, number[]>();
  for (const o of history) {
    if (o.outcome !== 'ok' || o.completeUs === null) continue;
    if (o.client >= 1_000_000_000) continue; // liveness probes are instruments, not load
    const kind = o.op === 'put' ? 'put' : `get ${o.level ?? 'linearizable'}`;
    let list = byKind.get(kind);
    if (list === undefined) byKind.set(kind, (list = []));
    list.push(o.completeUs - o.invokeUs);
  }
  const latency: Record<string, LatencyFigures> = {};
  for (const kind of [...byKind.keys()].sort()) {
    const values = byKind.get(kind)!;
    const p = percentiles(values);
    latency[kind] = { count: values.length, p50Ms: round(p.p50 / 1000, 2), p99Ms: round(p.p99 / 1000, 2) };
  }
  const eventual = summary.checks.eventual.ok === null ? undefined : (summary.checks.eventual as EventualVerdict);
  const st = eventual?.staleness;
  const follower = st?.byLevel.follower ?? { reads: 0, stale: 0 };
  return {
    latency,
    followerReads: follower.reads,
    followerStaleShare: follower.reads > 0 ? round((100 * follower.stale) / follower.reads, 1) : 0,
    stalenessVersions: { p50: st?.versionsBehind.p50 ?? 0, p99: st?.versionsBehind.p99 ?? 0 },
    stalenessMs: { p50: round((st?.timeBehindUs.p50 ?? 0) / 1000), p99: round((st?.timeBehindUs.p99 ?? 0) / 1000) },
    elections: summary.elections,
    unavailability: await unavailabilityOf(tracePath),
  };
}

/** For each leader-losing fault: how long the shards its target led had no leader. */
async function unavailabilityOf(tracePath: string): Promise<Unavailability[]> {
  const leaderOf = new Map<number, { machine: string; term: number }>();
  const open: { fault: string; t: number; shards: Set<number>; worstUs: number; missing: Set<number> }[] = [];
  let settled = false;
  for await (const e of readTrace(tracePath)) {
    if (e.type === 'store.settle') settled = true;
    if (e.type === 'raft.elected') {
      const machine = machineOfReplica(e.replica);
      const before = leaderOf.get(e.group);
      if (before === undefined || e.term >= before.term) leaderOf.set(e.group, { machine, term: e.term });
      for (const o of open) {
        // An election stamped no later than the fault is not the one the fault caused (merged
        // traces of several processes are in causal order, not always in time order).
        if (!o.missing.has(e.group) || e.t <= o.t) continue;
        o.missing.delete(e.group);
        o.worstUs = Math.max(o.worstUs, e.t - o.t);
      }
    }
    if (e.type === 'fault' && !settled && LEADER_LOSING.has(e.action)) {
      // detail: "#i n2" (crash, pause) or "#i n2 cut off from the rest" (isolate)
      const targets = e.detail.replace(/^#\d+\s*/, '').split(/[ ,]/).filter((w) => /^n\d+$/.test(w));
      const shards = new Set<number>();
      for (const [group, l] of leaderOf) if (targets.includes(l.machine)) shards.add(group);
      if (shards.size > 0) open.push({ fault: `${e.action} ${targets.join(',')} at ${round(e.t / 1e6)} s`, t: e.t, shards, worstUs: 0, missing: new Set(shards) });
    }
  }
  return open.map((o) => ({ fault: o.fault, shards: o.shards.size, leaderlessMs: o.missing.size > 0 ? null : round(o.worstUs / 1000) }));
}

export interface Comparison {
  simulation: RunProfile;
  real: RunProfile;
}

/** Runs the scenario in simulation (same seed and bugs) and profiles it beside the real run. */
export async function compareWithSimulation(
  loaded: LoadedScenario,
  seed: number,
  bugs: readonly string[],
  real: { history: readonly OpRecord[]; tracePath: string; summary: Pick<RunSummary, 'checks' | 'elections'> },
): Promise<{ json: Comparison; text: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'kvsim-compare-'));
  try {
    const tracePath = join(dir, 'sim.trace.jsonl');
    const historyPath = join(dir, 'sim.history.jsonl');
    const summary = runScenario(loaded, { seed, tracePath, historyPath, bugs }, engineFactoryFor(loaded.scenario, bugs));
    const simHistory = parseJsonl(readFileSync(historyPath, "utf8"), historyPath);
    const json: Comparison = {
      simulation: await profileOf(simHistory, tracePath, summary),
      real: await profileOf(real.history, real.tracePath, real.summary),
    };
    return { json, text: renderComparison(json) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function renderComparison(c: Comparison): string {
  const rows: [string, string, string][] = [];
  const ms = (f: LatencyFigures | undefined) => (f === undefined ? '-' : `${f.p50Ms} / ${f.p99Ms} ms`);
  const kinds = [...new Set([...Object.keys(c.simulation.latency), ...Object.keys(c.real.latency)])].sort();
  for (const k of kinds) rows.push([`${k} p50 / p99`, ms(c.simulation.latency[k]), ms(c.real.latency[k])]);
  rows.push(['stale follower reads', `${c.simulation.followerStaleShare} % of ${c.simulation.followerReads}`, `${c.real.followerStaleShare} % of ${c.real.followerReads}`]);
  rows.push(['staleness p50 / p99 (versions)', `${c.simulation.stalenessVersions.p50} / ${c.simulation.stalenessVersions.p99}`, `${c.real.stalenessVersions.p50} / ${c.real.stalenessVersions.p99}`]);
  rows.push(['staleness p50 / p99 (time)', `${c.simulation.stalenessMs.p50} / ${c.simulation.stalenessMs.p99} ms`, `${c.real.stalenessMs.p50} / ${c.real.stalenessMs.p99} ms`]);
  rows.push(['elections', String(c.simulation.elections), String(c.real.elections)]);
  const n = Math.max(c.simulation.unavailability.length, c.real.unavailability.length);
  for (let i = 0; i < n; i++) {
    const s = c.simulation.unavailability[i];
    const r = c.real.unavailability[i];
    const cell = (u: Unavailability | undefined) => (u === undefined ? '-' : u.leaderlessMs === null ? `no leader seen (${u.shards} shards)` : `${u.leaderlessMs} ms (${u.shards} shards)`);
    rows.push([`no leader after ${(s ?? r)!.fault}`, cell(s), cell(r)]);
  }
  const w0 = Math.max(...rows.map((r) => r[0].length), 'measure'.length);
  const w1 = Math.max(...rows.map((r) => r[1].length), 'simulation'.length);
  const line = (a: string, b: string, d: string) => `  ${a.padEnd(w0)}  ${b.padEnd(w1)}  ${d}`;
  return ['compare   simulation against real processes (same scenario, seed and bugs)', line('measure', 'simulation', 'real'), ...rows.map((r) => line(...r))].join('\n');
}
