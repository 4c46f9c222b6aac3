// The report's figures by client region, for traces whose run.start has places: what the
// clients of each region saw (operations invoked, completed ok, their latency) and how stale the
// reads replicas served them were — the same white-box staleness the Staleness section counts
// (store.read against the first application of each write), split by where the reader is.
import type { TracePlaces } from '../replay/places.js';
import { isClientMachine, isFollowerLevel } from '../replay/places.js';
import { countRead, emptyLevelStaleness, type LevelStaleness, type ReadAge } from './staleness.js';
import type { BucketSeries } from './series.js';

export interface RegionOps {
  /** Invoked by the region's clients. */
  ops: number;
  ok: number;
  /** Latencies of the ok ones (exact percentiles). */
  latencyUs: number[];
}

export interface RegionGeo {
  region: string;
  /** Per operation group ("put", "get follower", ...), as the Latency section names them. */
  ops: Map<string, RegionOps>;
  /** Per read level: the reads replicas served to this region's clients. */
  staleness: Map<string, LevelStaleness>;
}

export interface GeoModel {
  places: TracePlaces;
  /** In the topology's region order. */
  regions: RegionGeo[];
  /** Served reads whose reply went to no placed workload client (probes' reads, mostly). */
  readsUnattributed: number;
  /** Operations completed ok by clients that are not placed workload clients (the probe's). */
  okUnattributed: number;
}

/** Bucketed series per region (in the report's BucketSeries): completions (sum = ok) and follower-level reads (sum = stale). */
export const geoDoneSeries = (region: string): string => `geo:done:${region}`;
export const geoReadSeries = (region: string): string => `geo:read:${region}`;

export class GeoCollector {
  private readonly regions = new Map<string, RegionGeo>();
  private readsUnattributed = 0;
  private okUnattributed = 0;

  constructor(
    private readonly places: TracePlaces,
    private readonly series: BucketSeries,
  ) {
    for (const r of places.regions) this.regions.set(r, { region: r, ops: new Map(), staleness: new Map() });
  }

  private regionOf(clientMachine: string): RegionGeo | undefined {
    if (!isClientMachine(clientMachine)) return undefined;
    const place = this.places.get(clientMachine);
    return place === undefined ? undefined : this.regions.get(place.region);
  }

  private ops(region: RegionGeo, group: string): RegionOps {
    let o = region.ops.get(group);
    if (o === undefined) region.ops.set(group, (o = { ops: 0, ok: 0, latencyUs: [] }));
    return o;
  }

  /** An operation invoked on a client machine; returns its region (null: not a placed workload client). */
  invoke(clientMachine: string, group: string): string | null {
    const r = this.regionOf(clientMachine);
    if (r === undefined) return null;
    this.ops(r, group).ops++;
    return r.region;
  }

  complete(tUs: number, region: string, group: string, ok: boolean, latencyUs: number): void {
    const r = this.regions.get(region);
    if (r === undefined) return;
    this.series.add(tUs, geoDoneSeries(region), ok ? 1 : 0);
    if (!ok) return;
    const o = this.ops(r, group);
    o.ok++;
    o.latencyUs.push(latencyUs);
  }

  read(tUs: number, region: string, level: string, stale: boolean, behind: number, age: ReadAge | null): void {
    const r = this.regions.get(region);
    if (r === undefined) return;
    let l = r.staleness.get(level);
    if (l === undefined) r.staleness.set(level, (l = emptyLevelStaleness()));
    countRead(l, stale, behind, age);
    if (isFollowerLevel(level)) this.series.add(tUs, geoReadSeries(region), stale ? 1 : 0);
  }

  unattributedOk(): void {
    this.okUnattributed++;
  }

  unattributedRead(): void {
    this.readsUnattributed++;
  }

  finish(): GeoModel {
    for (const r of this.regions.values()) for (const l of r.staleness.values()) l.visibility = l.visibility.filter((b) => b.reads > 0);
    return { places: this.places, regions: [...this.regions.values()], readsUnattributed: this.readsUnattributed, okUnattributed: this.okUnattributed };
  }
}
