// A scenario's geography: regions, each with zones; machines and client machines placed in
// zones; a link latency per tier. The schema (schema.ts) validates each section's shape; this
// module checks the topology against the rest of the scenario (topologyIssues, run by the
// schema so a mistake is reported at its place in the file) and resolves it into what a run
// uses (resolveTopology):
//
//   places       machine → { region, zone } for servers n*, clients c*, and the operator's
//                machines (the placement driver `pd`, the liveness `probe`: the first zone)
//   linkLatency  (from, to) → the latency fields of that link: the `between` entry of the two
//                regions, else the tier's (`zone`, `region`, `global`), each over `network.latency`
//
// Machines: a zone lists names (`machines: [n1, n4]`) or a count (`machines: 2`); counts take the
// lowest machine numbers no zone names, zone by zone in the file's order. Every machine n1..nM of
// `cluster.machines`, and every machine a `join` fault adds, must have a place; a machine that
// `replace` brings in takes the place of the one it replaces. Clients: per zone (`clients: 3`,
// counts adding up to `workload.clients`), or round-robin over the zones when no zone says.
import type { Place } from '../base/place.js';
import { tierBetween } from '../base/place.js';
import { parseTarget } from './target.js';

// The validated shapes this module reads, written out here rather than imported from
// schema.ts (which runs topologyIssues from its own refinement: no import cycle).
interface LatencySpec {
  min?: number | undefined;
  mean?: number | undefined;
  jitter?: number | undefined;
  tailProbability?: number | undefined;
  tailFactor?: number | undefined;
}
interface TopologySpec {
  regions: Record<string, { zones: Record<string, { machines: number | string[]; clients?: number | undefined }> }>;
  latency?: { zone?: LatencySpec | undefined; region?: LatencySpec | undefined; global?: LatencySpec | undefined; between?: (LatencySpec & { regions: [string, string] })[] | undefined } | undefined;
  replicasPerRegion?: Record<string, number> | undefined;
  leaderRegion?: string | undefined;
  readReplicas?: 'none' | 'every-zone' | undefined;
}
interface Scenario {
  topology?: TopologySpec | undefined;
  cluster: { machines: number; shards?: number | undefined; replication?: number | undefined };
  workload?: { clients: number } | undefined;
  faults?: ({ join?: string | undefined } & object)[] | undefined;
}

/** Clients when a scenario has no workload section (the store engine's default). */
const DEFAULT_CLIENTS = 4;
/** The operator's machines, placed in the first zone. */
const OPERATOR_MACHINES = ['pd', 'probe'] as const;

export interface ZoneInfo {
  readonly name: string;
  readonly region: string;
}

/** The latency fields of one link, in µs (what the network's LinkModel takes). */
export interface LinkLatency {
  minUs?: number;
  meanUs?: number;
  jitterUs?: number;
  tailProbability?: number;
  tailFactor?: number;
}

export interface Topology {
  /** Regions in the file's order. */
  readonly regions: readonly string[];
  /** Zones in the file's order. */
  readonly zones: readonly ZoneInfo[];
  /** Where each machine is; a run adds the machines `replace` brings in (see StoreCluster). */
  readonly places: Map<string, Place>;
  readonly replicasPerRegion: Readonly<Record<string, number>> | undefined;
  readonly leaderRegion: string | undefined;
  /** Whether every shard gets a read replica in each zone its voters miss. */
  readonly readReplicasByZone: boolean;
  /** The latency fields of the link from → to (an empty object: the network's own model). */
  linkLatency(from: string, to: string): LinkLatency;
}

export interface TopologyIssue {
  readonly path: (string | number)[];
  readonly message: string;
}

interface Assignment {
  /** Per zone (file order), its server machines. */
  readonly servers: Map<string, string[]>;
  readonly issues: TopologyIssue[];
}

function zonesOf(t: TopologySpec): { zone: string; region: string }[] {
  const out: { zone: string; region: string }[] = [];
  for (const [region, spec] of Object.entries(t.regions)) for (const zone of Object.keys(spec.zones)) out.push({ zone, region });
  return out;
}

function machineNumber(name: string): number {
  return Number(name.slice(1));
}

/** Machines per zone: named ones first, then counts take the lowest free numbers, zone by zone. */
function assignServers(t: TopologySpec): Assignment {
  const servers = new Map<string, string[]>();
  const issues: TopologyIssue[] = [];
  const taken = new Set<string>();
  for (const [region, spec] of Object.entries(t.regions)) {
    for (const [zone, z] of Object.entries(spec.zones)) {
      servers.set(zone, []);
      if (typeof z.machines === 'number') continue;
      z.machines.forEach((m, i) => {
        if (taken.has(m)) issues.push({ path: ['topology', 'regions', region, 'zones', zone, 'machines', i], message: `${m} is placed twice; expected each machine in one zone` });
        taken.add(m);
        servers.get(zone)!.push(m);
      });
    }
  }
  let next = 1;
  for (const spec of Object.values(t.regions)) {
    for (const [zone, z] of Object.entries(spec.zones)) {
      if (typeof z.machines !== 'number') continue;
      for (let k = 0; k < z.machines; k++) {
        while (taken.has(`n${next}`)) next++;
        taken.add(`n${next}`);
        servers.get(zone)!.push(`n${next}`);
      }
    }
  }
  for (const list of servers.values()) list.sort((a, b) => machineNumber(a) - machineNumber(b));
  return { servers, issues };
}

/** Every target string in a fault's action, with its path inside the fault. */
function targetsOf(value: unknown, path: (string | number)[], out: { text: string; path: (string | number)[] }[]): void {
  if (typeof value === 'string') out.push({ text: value, path });
  else if (Array.isArray(value)) value.forEach((v, i) => targetsOf(v, [...path, i], out));
  else if (typeof value === 'object' && value !== null) for (const [k, v] of Object.entries(value)) targetsOf(v, [...path, k], out);
}

const TRIGGER_KEYS = new Set(['at', 'every', 'from', 'until', 'when', 'for']);

/** What is wrong with the scenario's topology against the rest of it (empty: nothing). */
export function topologyIssues(s: Scenario): TopologyIssue[] {
  const t = s.topology;
  const issues: TopologyIssue[] = [];
  const regions = new Set(t === undefined ? [] : Object.keys(t.regions));
  const zones = t === undefined ? [] : zonesOf(t);
  const zoneNames = new Set(zones.map((z) => z.zone));
  // Fault targets naming places.
  (s.faults ?? []).forEach((fault, i) => {
    const found: { text: string; path: (string | number)[] }[] = [];
    for (const [key, value] of Object.entries(fault)) if (!TRIGGER_KEYS.has(key)) targetsOf(value, ['faults', i, key], found);
    for (const { text, path } of found) {
      const target = parseTarget(text);
      if (target === undefined || (target.kind !== 'region' && target.kind !== 'zone')) continue;
      const known = target.kind === 'region' ? regions : zoneNames;
      if (t === undefined) issues.push({ path, message: `${text} names a place, but the scenario has no topology: section` });
      else if (!known.has(target.name)) issues.push({ path, message: `unknown ${target.kind} "${target.name}"; expected one of ${[...known].join(', ')}` });
    }
  });
  if (t === undefined) return issues;

  const seenZones = new Set<string>();
  for (const { zone, region } of zones) {
    if (seenZones.has(zone)) issues.push({ path: ['topology', 'regions', region, 'zones', zone], message: `zone "${zone}" appears in two regions; expected zone names unique across regions` });
    seenZones.add(zone);
  }
  const assignment = assignServers(t);
  issues.push(...assignment.issues);
  const placed = new Set([...assignment.servers.values()].flat());
  const missing: string[] = [];
  for (let i = 1; i <= s.cluster.machines; i++) if (!placed.has(`n${i}`)) missing.push(`n${i}`);
  if (missing.length > 0) {
    issues.push({
      path: ['topology', 'regions'],
      message: `${missing.join(', ')} ${missing.length === 1 ? 'has' : 'have'} no zone; expected every machine n1..n${s.cluster.machines} (cluster.machines) placed`,
    });
  }
  (s.faults ?? []).forEach((fault, i) => {
    if (fault.join !== undefined && !placed.has(fault.join)) {
      issues.push({ path: ['faults', i, 'join'], message: `${fault.join} has no zone in topology; expected a machine listed (or counted) in a zone` });
    }
  });
  const clientCounts = Object.values(t.regions).flatMap((r) => Object.values(r.zones).map((z) => z.clients));
  const store = s.cluster.shards !== undefined || s.workload !== undefined; // the ping demo has no clients
  if (store && clientCounts.some((c) => c !== undefined)) {
    const total = clientCounts.reduce<number>((a, c) => a + (c ?? 0), 0);
    const want = s.workload?.clients ?? DEFAULT_CLIENTS;
    if (total !== want) issues.push({ path: ['topology', 'regions'], message: `the zones place ${total} clients; expected workload.clients (${want})` });
  }
  const pairs = new Set<string>();
  (t.latency?.between ?? []).forEach((entry, i) => {
    const path = ['topology', 'latency', 'between', i, 'regions'];
    for (const r of entry.regions) if (!regions.has(r)) issues.push({ path, message: `unknown region "${r}"; expected one of ${[...regions].join(', ')}` });
    if (entry.regions[0] === entry.regions[1]) issues.push({ path, message: 'expected two different regions (inside a region, use latency.region)' });
    const key = [...entry.regions].sort().join('/');
    if (pairs.has(key)) issues.push({ path, message: `the regions ${entry.regions.join(' and ')} are given twice` });
    pairs.add(key);
  });
  const quotas = t.replicasPerRegion;
  if (quotas !== undefined) {
    for (const r of Object.keys(quotas)) if (!regions.has(r)) issues.push({ path: ['topology', 'replicasPerRegion', r], message: `unknown region "${r}"; expected one of ${[...regions].join(', ')}` });
    const rf = s.cluster.replication ?? 3;
    const unlimited = [...regions].some((r) => quotas[r] === undefined);
    const room = Object.values(quotas).reduce((a, b) => a + b, 0);
    if (!unlimited && room < rf) issues.push({ path: ['topology', 'replicasPerRegion'], message: `the quotas allow ${room} replicas per shard; expected at least cluster.replication (${rf})` });
  }
  if (t.leaderRegion !== undefined && !regions.has(t.leaderRegion)) {
    issues.push({ path: ['topology', 'leaderRegion'], message: `unknown region "${t.leaderRegion}"; expected one of ${[...regions].join(', ')}` });
  }
  return issues;
}

function latencyFields(spec: LatencySpec | undefined): LinkLatency {
  if (spec === undefined) return {};
  return {
    ...(spec.min !== undefined && { minUs: spec.min }),
    ...(spec.mean !== undefined && { meanUs: spec.mean }),
    ...(spec.jitter !== undefined && { jitterUs: spec.jitter }),
    ...(spec.tailProbability !== undefined && { tailProbability: spec.tailProbability }),
    ...(spec.tailFactor !== undefined && { tailFactor: spec.tailFactor }),
  };
}

/** The resolved topology of a (validated) scenario, or undefined when it has none. */
export function resolveTopology(s: Scenario): Topology | undefined {
  const t = s.topology;
  if (t === undefined) return undefined;
  const zoneList = zonesOf(t);
  const places = new Map<string, Place>();
  const { servers } = assignServers(t);
  for (const { zone, region } of zoneList) for (const m of servers.get(zone) ?? []) places.set(m, { region, zone });
  const clients = s.workload?.clients ?? DEFAULT_CLIENTS;
  const perZone = Object.values(t.regions).flatMap((r) => Object.values(r.zones).map((z) => z.clients));
  let c = 1;
  if (perZone.some((n) => n !== undefined)) {
    zoneList.forEach(({ zone, region }, i) => {
      for (let k = 0; k < (perZone[i] ?? 0); k++) places.set(`c${c++}`, { region, zone });
    });
  } else {
    for (; c <= clients; c++) {
      const z = zoneList[(c - 1) % zoneList.length]!;
      places.set(`c${c}`, { region: z.region, zone: z.zone });
    }
  }
  const first = zoneList[0]!;
  for (const m of OPERATOR_MACHINES) places.set(m, { region: first.region, zone: first.zone });

  const tiers = [latencyFields(t.latency?.zone), latencyFields(t.latency?.region), latencyFields(t.latency?.global)] as const;
  const between = new Map<string, LinkLatency>();
  for (const entry of t.latency?.between ?? []) {
    const { regions: pair, ...rest } = entry;
    const fields = latencyFields(rest);
    between.set(`${pair[0]}/${pair[1]}`, fields);
    between.set(`${pair[1]}/${pair[0]}`, fields);
  }
  const globalFields = tiers[2];
  return {
    regions: Object.keys(t.regions),
    zones: zoneList.map(({ zone, region }) => ({ name: zone, region })),
    places,
    replicasPerRegion: t.replicasPerRegion,
    leaderRegion: t.leaderRegion,
    readReplicasByZone: t.readReplicas === 'every-zone',
    linkLatency(from: string, to: string): LinkLatency {
      const a = places.get(from);
      const b = places.get(to);
      if (a === undefined || b === undefined) return {};
      const tier = tierBetween(a, b);
      if (tier === 2) return { ...globalFields, ...between.get(`${a.region}/${b.region}`) };
      return tiers[tier];
    },
  };
}

/**
 * The machines (servers and clients, not the operator's) a topology places in a region or zone,
 * in its order: what a fault on that place acts on.
 */
export function machinesAt(topology: Topology, kind: 'region' | 'zone', name: string): string[] {
  const out: string[] = [];
  const operator: readonly string[] = OPERATOR_MACHINES;
  for (const [m, p] of topology.places) if (!operator.includes(m) && (kind === 'region' ? p.region : p.zone) === name) out.push(m);
  return out;
}
