// What a run looked like from each region: for the clients placed there, the latency of puts
// and of reads at each level, and how stale the follower-level reads were. It is the summary's
// `byRegion` field (only when the scenario has a topology), so `expect` lines can hold a region's
// figures (`byRegion.eu-west.reads.follower.p50Us: "<= 3000"`).
import type { EventualResult } from '../check/eventual.js';
import { percentiles } from '../check/eventual.js';
import type { OpRecord } from '../history/op.js';
import { SLOTS_MAX_PER_CLIENT } from '../workload/driver.js';
import type { Topology } from '../scenario/topology.js';

export interface LatencyFigures {
  /** Operations invoked before the load stopped. */
  ops: number;
  ok: number;
  /** Over the ok operations. */
  p50Us: number;
  p99Us: number;
}

export interface ReadFigures extends LatencyFigures {
  /** Ok reads that missed a write acknowledged before they started. */
  stale: number;
  staleShare: number;
  /** How far behind the stale reads were: time since the first write they missed was acknowledged. */
  stalenessP99Us: number;
}

export interface RegionFigures {
  clients: number;
  put: LatencyFigures;
  reads: Record<string, ReadFigures>;
  /**
   * Per simulated second, the stale share of the follower-level reads (every level but
   * linearizable and lease) this region's clients invoked then (0 when none): a region cut
   * off shows its reads going stale and recovering.
   */
  staleShareBySecond: number[];
}

/** Levels served by any replica, possibly stale. */
function followerLevel(level: string): boolean {
  return level !== 'linearizable' && level !== 'lease';
}

/** The client machine a logical client runs on (the workload's slot numbering). */
export function clientMachineOf(logicalClient: number): string {
  return `c${Math.floor(logicalClient / SLOTS_MAX_PER_CLIENT) + 1}`;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/**
 * Per region of the topology (in its order), the figures of the operations its clients invoked
 * before `stopUs`. Probes and other operator clients have no region and are left out.
 */
export function figuresByRegion(topology: Topology, history: readonly OpRecord[], eventual: EventualResult, stopUs: number): Record<string, RegionFigures> {
  const byRegion = new Map<string, { clients: Set<string>; put: OpRecord[]; reads: Map<string, OpRecord[]> }>();
  for (const r of topology.regions) byRegion.set(r, { clients: new Set(), put: [], reads: new Map() });
  for (const [m, p] of topology.places) if (/^c[0-9]+$/.test(m)) byRegion.get(p.region)?.clients.add(m);
  for (const o of history) {
    if (o.invokeUs >= stopUs) continue;
    const machine = clientMachineOf(o.client);
    const place = topology.places.get(machine);
    const bucket = place === undefined ? undefined : byRegion.get(place.region);
    if (bucket === undefined || !bucket.clients.has(machine)) continue;
    if (o.op === 'put') bucket.put.push(o);
    else if (o.op === 'get') {
      const level = o.level ?? 'linearizable';
      let list = bucket.reads.get(level);
      if (list === undefined) bucket.reads.set(level, (list = []));
      list.push(o);
    }
  }
  const latency = (ops: readonly OpRecord[]): LatencyFigures => {
    const ok = ops.filter((o) => o.outcome === 'ok' && o.completeUs !== null);
    const p = percentiles(ok.map((o) => o.completeUs! - o.invokeUs));
    return { ops: ops.length, ok: ok.length, p50Us: p.p50, p99Us: p.p99 };
  };
  const out: Record<string, RegionFigures> = {};
  for (const [region, b] of byRegion) {
    const reads: Record<string, ReadFigures> = {};
    for (const level of [...b.reads.keys()].sort()) {
      const ops = b.reads.get(level)!;
      const l = latency(ops);
      const staleTimes: number[] = [];
      for (const o of ops) {
        const behind = eventual.staleTimeUs.get(o.id);
        if (behind !== undefined) staleTimes.push(behind);
      }
      reads[level] = { ...l, stale: staleTimes.length, staleShare: l.ok === 0 ? 0 : round3(staleTimes.length / l.ok), stalenessP99Us: percentiles(staleTimes).p99 };
    }
    const perSecond: { ok: number; stale: number }[] = [];
    for (const [level, ops] of b.reads) {
      if (!followerLevel(level)) continue;
      for (const o of ops) {
        if (o.outcome !== 'ok') continue;
        const second = Math.floor(o.invokeUs / 1_000_000);
        const cell = (perSecond[second] ??= { ok: 0, stale: 0 });
        cell.ok++;
        if (eventual.staleTimeUs.has(o.id)) cell.stale++;
      }
    }
    const staleShareBySecond = Array.from({ length: Math.ceil(stopUs / 1_000_000) }, (_, i) => {
      const cell = perSecond[i];
      return cell === undefined || cell.ok === 0 ? 0 : round3(cell.stale / cell.ok);
    });
    out[region] = { clients: b.clients.size, put: latency(b.put), reads, staleShareBySecond };
  }
  return out;
}
