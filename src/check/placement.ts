// Placement convergence: once every fault has healed (and the placement driver has had its
// bounded extra settling), every shard's replicas are where the scenario's membership changes
// put them. The ring names each shard's desired voters and the directory its read replicas; the
// check compares them with what the shard's leader actually has in its committed membership, and
// with the replicas the machines actually host, and that the driver's counts can be (no moves
// below zero, no more read replicas removed than there ever were). A join, leave or replace that never completes,
// a move that stalls, a removed replica left running, or a member whose replica is gone fails it, even when every read and write
// was served correctly meanwhile.
//
// Two more parts, each present only when the run has what it judges:
//
// Read autoscaling (`placement.autoscale`): a shard that stays cold (follower reads per replica
// under `scaleDownReadsPerSec`) for `scaleRounds * 4` counted rounds loses its newest extra
// learner, so once load has stopped and every fault has healed, the learners the autoscaler
// added go one by one. The engine says how long that cold window lasted at the check and how
// long it must last for every autoscaled learner to be given back (with a margin; see
// `autoscaleColdRequiredUs` in src/harness/store-engine.ts); when it lasted that long, a shard
// still holding one fails the check. The counts must agree with what happened too: the read
// replicas the directory lists at the end are exactly those it started with, plus those added,
// minus those removed and those a `replace` dropped (its replacement became a voter).
//
// Zone spread (runs with a topology): the ring reports how it spreads replicas over zones and
// regions (`Ring.spread()`); the check recomputes every figure from the final membership and
// the machines' places, and holds the zone-aware walk to its promise (ring.ts): with no region
// quotas, each shard's voters cover min(replicas, regions) regions and min(replicas, zones)
// zones of the ring's machines (with at least RF regions, no two voters of a shard share one).
//
// Input is plain data gathered by the engine; nothing here reaches into live objects.

export interface PlacementShardInput {
  shard: number;
  /** Machines the ring wants as voters. */
  desiredVoters: readonly string[];
  /** Machines the directory wants as extra read-only learners (read replicas). */
  desiredLearners: readonly string[];
  /** The membership committed at the shard's current leader (null: no leader at the end). */
  actual: { leader: string; voters: readonly string[]; learners: readonly string[] } | null;
  /** Machines (up, not retired) hosting a replica of this shard, whatever its membership. */
  hosts: readonly string[];
}

export interface PlacementInput {
  shards: readonly PlacementShardInput[];
  /** When the check was taken, and how long the settling could take at most. */
  atUs: number;
  movesCompleted: number;
  learnersAdded: number;
  learnersRemoved: number;
  /** Read replicas the directory started with (zone read replicas): removable, never added. */
  learnersInitial: number;
  /**
   * Read replicas a `replace` took out of the directory with no event (the replacement became a
   * voter of that shard). Given, the directory's lists must add up exactly (see the top comment).
   */
  learnersDroppedByReplace?: number;
  /** Runs with `placement.autoscale`. */
  autoscale?: AutoscaleInput;
  /** Runs with a topology. */
  spread?: SpreadInput;
  /**
   * False when no placement driver runs (a topology alone): only the zone spread is judged, and
   * `shards` and the counts are empty.
   */
  driver?: boolean;
  /**
   * Whether the driver says it is done (no move, drop or hosting pending). Given false while
   * every shard is placed, the driver is still waiting for something that will never come (a
   * drop confirmation from a machine replaced for good, say): a real `kvsim cluster replace`
   * waits for it and times out.
   */
  driverSettled?: boolean;
}

export interface AutoscaleInput {
  /** How long load has been stopped and every fault healed, at the check. */
  coldForUs: number;
  /** How long that must be for every autoscaled learner to be gone; null: never (no shard can be cold). */
  requiredUs: number | null;
  /** Learners the autoscaler added that the directory still lists, per shard (shards with none left out). */
  remaining: readonly { shard: number; machines: readonly string[] }[];
}

/** A zone spread as `Ring.spread()` reports it (plain data). */
export interface SpreadReport {
  regions: readonly { region: string; zones: number; machines: number; replicas: number; leaders: number }[];
  zones: readonly { zone: string; region: string; machines: number; replicas: number; leaders: number }[];
  shardsWithSharedZone: number;
  shardsWithSharedRegion: number;
  zonesPerShardMin: number;
  regionsPerShardMin: number;
}

export interface SpreadInput {
  /** The final ring's own report (undefined: it says it has no places). */
  reported: SpreadReport | undefined;
  /** The final ring's machines that have a place, and where each is. */
  machines: readonly { machine: string; region: string; zone: string }[];
  /** Per shard: the machines of its final voters, and its preferred leader. */
  shards: readonly { shard: number; voters: readonly string[]; leader: string }[];
  /** The scenario sets `replicasPerRegion` quotas (the walk may then leave regions out). */
  quotas: boolean;
}

export interface PlacementMismatch {
  shard: number;
  /** What is wrong, in one phrase. */
  problem: 'no leader' | 'voters' | 'learners' | 'orphan' | 'missing';
  expected: string[];
  actual: string[];
}

export interface PlacementResult {
  ok: boolean;
  atUs: number;
  shards: number;
  movesCompleted: number;
  /** At most five, in shard order. */
  mismatches: PlacementMismatch[];
  /** Present when the counts are impossible (moves below zero, more read replicas removed than there were), or do not add up to the directory's lists. */
  learnerCounts?: { initial: number; added: number; removed: number; droppedByReplace?: number; listed?: number };
  /** The read-autoscaling part (autoscale runs): applied once the cold window was long enough. */
  autoscale?: { ok: boolean; applied: boolean; coldForUs: number; requiredUs: number | null; remaining: { shard: number; machines: string[] }[] };
  /** The zone-spread part (runs with a topology): what differs, at most five. */
  spread?: { ok: boolean; problems: string[] };
  /** Present (false) when every shard is placed but the driver does not say it is settled. */
  driverSettled?: false;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  return sa.size === new Set(b).size && b.every((x) => sa.has(x));
}

const sorted = (xs: Iterable<string>): string[] => [...xs].sort();

export function checkPlacement(input: PlacementInput): PlacementResult {
  const mismatches: PlacementMismatch[] = [];
  // Read replicas are counted once each way: more removed than there ever were is a bookkeeping error.
  const listed = input.shards.reduce((n, s) => n + s.desiredLearners.length, 0);
  const dropped = input.learnersDroppedByReplace;
  const countsOk =
    input.movesCompleted >= 0 &&
    input.learnersRemoved >= 0 &&
    input.learnersAdded >= 0 &&
    input.learnersRemoved <= input.learnersAdded + input.learnersInitial &&
    (dropped === undefined || listed === input.learnersInitial + input.learnersAdded - input.learnersRemoved - dropped);
  for (const s of input.shards) {
    const a = s.actual;
    if (a === null) {
      mismatches.push({ shard: s.shard, problem: 'no leader', expected: sorted(s.desiredVoters), actual: [] });
      continue;
    }
    const learnersWanted = s.desiredLearners.filter((m) => !s.desiredVoters.includes(m));
    if (!sameSet(a.voters, s.desiredVoters)) {
      mismatches.push({ shard: s.shard, problem: 'voters', expected: sorted(s.desiredVoters), actual: sorted(a.voters) });
    } else if (!sameSet(a.learners, learnersWanted)) {
      mismatches.push({ shard: s.shard, problem: 'learners', expected: sorted(learnersWanted), actual: sorted(a.learners) });
    } else {
      const members = new Set([...a.voters, ...a.learners]);
      const orphans = s.hosts.filter((m) => !members.has(m));
      // And the other way: a member whose machine no longer hosts its replica (dropped by a stale
      // request, or lost) is a voter or learner that is gone for good while the membership counts it.
      const missing = [...members].filter((m) => !s.hosts.includes(m));
      if (orphans.length > 0) mismatches.push({ shard: s.shard, problem: 'orphan', expected: sorted(members), actual: sorted(s.hosts) });
      else if (missing.length > 0) mismatches.push({ shard: s.shard, problem: 'missing', expected: sorted(members), actual: sorted(s.hosts) });
    }
  }
  const autoscale = input.autoscale === undefined ? undefined : checkAutoscale(input.autoscale);
  const spread = input.spread === undefined ? undefined : checkSpread(input.spread);
  return {
    ok: mismatches.length === 0 && countsOk && (autoscale?.ok ?? true) && (spread?.ok ?? true) && input.driverSettled !== false,
    atUs: input.atUs,
    shards: input.shards.length,
    movesCompleted: input.movesCompleted,
    mismatches: mismatches.slice(0, 5),
    ...(input.driverSettled === false && { driverSettled: false }),
    ...(!countsOk && {
      learnerCounts: {
        initial: input.learnersInitial,
        added: input.learnersAdded,
        removed: input.learnersRemoved,
        ...(dropped !== undefined && { droppedByReplace: dropped, listed }),
      },
    }),
    ...(autoscale !== undefined && { autoscale }),
    ...(spread !== undefined && { spread }),
  };
}

/** Autoscaled learners must be gone once the shard has been cold long enough; before that, nothing is asked. */
function checkAutoscale(a: AutoscaleInput): NonNullable<PlacementResult['autoscale']> {
  const applied = a.requiredUs !== null && a.coldForUs >= a.requiredUs;
  const remaining = a.remaining.filter((r) => r.machines.length > 0).map((r) => ({ shard: r.shard, machines: [...r.machines] }));
  return { ok: !applied || remaining.length === 0, applied, coldForUs: a.coldForUs, requiredUs: a.requiredUs, remaining };
}

type Tally = { machines: number; replicas: number; leaders: number };

/**
 * The zone spread recomputed from the final membership and the places, against the ring's
 * report, and the walk's coverage promise. Problems are phrases, at most five.
 */
export function checkSpread(input: SpreadInput): { ok: boolean; problems: string[] } {
  const problems: string[] = [];
  const placeOf = new Map(input.machines.map((m) => [m.machine, m]));
  const regions = new Map<string, Tally & { zones: Set<string> }>();
  const zones = new Map<string, Tally & { region: string }>();
  for (const m of input.machines) {
    const r = regions.get(m.region) ?? { machines: 0, replicas: 0, leaders: 0, zones: new Set<string>() };
    regions.set(m.region, r);
    r.machines++;
    r.zones.add(m.zone);
    const z = zones.get(m.zone) ?? { machines: 0, replicas: 0, leaders: 0, region: m.region };
    zones.set(m.zone, z);
    z.machines++;
  }
  let sharedZone = 0;
  let sharedRegion = 0;
  let zonesMin = Infinity;
  let regionsMin = Infinity;
  for (const s of input.shards) {
    const shardZones = new Set<string>();
    const shardRegions = new Set<string>();
    for (const v of s.voters) {
      const p = placeOf.get(v);
      if (p === undefined) {
        problems.push(`shard ${s.shard}'s voter ${v} is not a placed machine of the ring`);
        continue;
      }
      shardZones.add(p.zone);
      shardRegions.add(p.region);
      zones.get(p.zone)!.replicas++;
      regions.get(p.region)!.replicas++;
    }
    const lp = placeOf.get(s.leader);
    if (lp === undefined) problems.push(`shard ${s.shard}'s preferred leader ${s.leader} is not a placed machine of the ring`);
    else {
      zones.get(lp.zone)!.leaders++;
      regions.get(lp.region)!.leaders++;
    }
    if (shardZones.size < s.voters.length) sharedZone++;
    if (shardRegions.size < s.voters.length) sharedRegion++;
    zonesMin = Math.min(zonesMin, shardZones.size);
    regionsMin = Math.min(regionsMin, shardRegions.size);
    // The walk's promise: every new region first, then every new zone (no quotas to bend it).
    if (!input.quotas) {
      const wantRegions = Math.min(s.voters.length, regions.size);
      const wantZones = Math.min(s.voters.length, zones.size);
      if (shardRegions.size < wantRegions) problems.push(`shard ${s.shard}'s voters [${s.voters.join(', ')}] cover ${shardRegions.size} regions, not ${wantRegions}`);
      else if (shardZones.size < wantZones) problems.push(`shard ${s.shard}'s voters [${s.voters.join(', ')}] cover ${shardZones.size} zones, not ${wantZones}`);
    }
  }
  const rep = input.reported;
  if (rep === undefined) {
    problems.push('the ring reports no spread, though its machines have places');
  } else {
    const same = (what: string, got: unknown, want: unknown) => {
      if (got !== want) problems.push(`the ring reports ${what} ${String(got)}, the membership says ${String(want)}`);
    };
    same('regions', rep.regions.length, regions.size);
    for (const r of rep.regions) {
      const want = regions.get(r.region);
      if (want === undefined) problems.push(`the ring reports a region ${String(r.region)} no machine is in`);
      else for (const k of ['machines', 'replicas', 'leaders'] as const) same(`${k} in region ${r.region}`, r[k], want[k]);
      if (want !== undefined) same(`zones in region ${r.region}`, r.zones, want.zones.size);
    }
    same('zones', rep.zones.length, zones.size);
    for (const z of rep.zones) {
      const want = zones.get(z.zone);
      if (want === undefined) problems.push(`the ring reports a zone ${String(z.zone)} no machine is in`);
      else {
        same(`the region of zone ${z.zone}`, z.region, want.region);
        for (const k of ['machines', 'replicas', 'leaders'] as const) same(`${k} in zone ${z.zone}`, z[k], want[k]);
      }
    }
    same('shards with two replicas in one zone:', rep.shardsWithSharedZone, sharedZone);
    same('shards with two replicas in one region:', rep.shardsWithSharedRegion, sharedRegion);
    same('the fewest zones of a shard:', rep.zonesPerShardMin, zonesMin);
    same('the fewest regions of a shard:', rep.regionsPerShardMin, regionsMin);
  }
  return { ok: problems.length === 0, problems: problems.slice(0, 5) };
}

/** One line saying what did not converge. */
export function placementMessage(r: PlacementResult): string | undefined {
  if (r.ok) return undefined;
  const m = r.mismatches[0];
  if (m === undefined) {
    const c = r.learnerCounts;
    if (r.movesCompleted < 0) return `the placement driver counts ${r.movesCompleted} moves completed`;
    if (c !== undefined && c.removed <= c.added + c.initial && c.listed !== undefined) {
      return `read replicas: the directory lists ${c.listed}, but ${c.initial} at the start + ${c.added} added - ${c.removed} removed - ${c.droppedByReplace ?? 0} dropped by a replace make ${c.initial + c.added - c.removed - (c.droppedByReplace ?? 0)}`;
    }
    if (c !== undefined) return `read replicas: ${c.removed} removed but ${c.initial} at the start and ${c.added} added`;
    const a = r.autoscale;
    if (a !== undefined && !a.ok) {
      const first = a.remaining[0]!;
      return `shard ${first.shard} still has autoscaled read replicas on ${first.machines.join(', ')} after ${a.coldForUs}us with no load and no fault (the autoscaler gives them back within ${a.requiredUs}us)${a.remaining.length > 1 ? ` (and ${a.remaining.length - 1} more shards)` : ''}`;
    }
    const p = r.spread?.problems ?? [];
    if (p.length === 0 && r.driverSettled === false) {
      return `every shard is placed at ${r.atUs}us, but the placement driver still does not say it is settled (it waits for a move, drop or hosting that never completes)`;
    }
    return `zone spread: ${p[0] ?? '?'}${p.length > 1 ? ` (and ${p.length - 1} more)` : ''}`;
  }
  const what =
    m.problem === 'no leader'
      ? 'has no leader'
      : m.problem === 'orphan'
        ? `is still hosted on ${m.actual.filter((x) => !m.expected.includes(x)).join(', ')} outside its membership`
        : m.problem === 'missing'
          ? `counts ${m.expected.filter((x) => !m.actual.includes(x)).join(', ')} in its membership, but no replica of it is hosted there`
        : `has ${m.problem} [${m.actual.join(', ')}], the placement wants [${m.expected.join(', ')}]`;
  const more = r.mismatches.length > 1 ? ` (and ${r.mismatches.length - 1} more)` : '';
  return `shard ${m.shard} ${what} at ${r.atUs}us, after the placement settling${more}`;
}
