// The ring: which shard owns a key, and which machines hold each shard's replicas.
//
// Two rings, both consistent hashing (see src/store/README.md for the measurements):
//
// - The key ring. A key's position is the top `positionBits` bits of its 64-bit hash. The
//   position space is cut into S equal ranges; shard i owns the half-open range
//   [boundary(i), boundary(i+1)) with boundary(i) = floor(i * 2^bits / S). A key exactly on
//   boundary(i) belongs to shard i (the range it starts), never to shard i-1.
//
// - The machines' ring (32-bit positions). Each machine has V tokens (virtual nodes). Shard i
//   sits at point(i) = floor(i * 2^32 / S); its preference list is the first RF distinct
//   machines met walking clockwise from point(i), tokens at exactly point(i) included
//   (Dynamo). Inserting a machine's tokens can only put that machine into lists (pushing out
//   each list's last member) and removing them can only take it out (the next distinct machine
//   moves up), so a join or a leave changes exactly the lists that gain or lose that machine.
//
// Zone-aware lists (only when `places` is given; without it the plain walk above runs, and its
// code is untouched). A candidate's score for a list being built is 3 if its region is under
// the `replicasPerRegion` quota (or has none), plus its novelty: 2 if its region is not in the
// list yet, 1 if only its zone is not, 0 otherwise. The list is built one replica at a time:
// the best score any machine on the ring not yet in the list can offer is found, and the first
// machine clockwise from the shard's point with that score is taken (Cassandra's
// NetworkTopologyStrategy, where machines skipped for a seen rack come back first, generalised
// to two tiers and quotas). So a list covers min(RF, regions) regions and min(RF, zones) zones,
// a quota is broken only when no machine left can keep it, and with one zone and no quota every
// score ties and the list is exactly the plain walk's. The price: a newcomer can now displace a
// member that is not the last (its zone-mate, say), so a join changes a few lists beyond those
// it enters (measured in the README); and `leaderRegion` picks each preferred leader among the
// replicas in that region when there are any.
//
// Token placement. `hashed` puts token v of machine m at hash("m#v"): the classic scheme, a
// pure function of the machine set. `balanced` (the default) chooses a joining machine's V
// positions one at a time, each where it takes replicas from the most loaded machines until
// the newcomer holds its fair share (the idea of Cassandra's token allocator). Existing tokens
// never move, so the consistency argument above still holds, but the ring now depends on the
// order machines joined in: a Ring is a value that evolves by `join` and `leave`, and `build`
// is the fold of `join` over its machine list. With places, the allocator scores each gap by
// the exact zone-aware lists a token there would produce (the plain model's "evict the last
// member" is wrong when zones decide who leaves).
import { hash64, hash64Hi } from './hash.js';
import { AssertionError } from '../base/assert.js';
import { storeBugOn, type StoreBugName } from './bugs.js';
import type { Place, Places } from '../base/place.js';

export const BUG_RING_BOUNDARY_OFF_BY_ONE: StoreBugName = 'ring-boundary-off-by-one';

/** Chosen from the measurements in src/store/README.md. */
export const DEFAULT_VNODES = 24;

export const MAX_SHARDS = 65_536;
export const MAX_VNODES = 4_096;
export const MAX_MACHINES = 4_096;

const RING_SIZE = 2 ** 32;

export type TokenPlacement = 'balanced' | 'hashed';

export interface RingOptions {
  /** Machine ids in join order. */
  readonly machines: readonly string[];
  readonly shards: number;
  /** Replication factor: replicas per shard (fewer while there are fewer machines). */
  readonly rf: number;
  /** Tokens per machine on the machines' ring. */
  readonly vnodes?: number;
  readonly placement?: TokenPlacement;
  /**
   * Resolution of the key ring, 8..32 bits. 32 in production; a coarse ring makes keys that
   * fall exactly on a shard boundary common, which scenarios hunting boundary bugs need.
   */
  readonly positionBits?: number;
  /** Planted bugs (see `kvsim bugs`); only `ring-boundary-off-by-one` is read here. */
  readonly bugs?: ReadonlySet<string>;
  /**
   * Where machines are. Given, every machine on the ring must have a place, now and at every
   * join (so pass one covering future joiners), and lists spread over regions and zones.
   */
  readonly places?: Places;
  /** At most this many replicas of one shard in the region (regions not named: no quota). Needs places. */
  readonly replicasPerRegion?: Readonly<Record<string, number>>;
  /** Preferred leaders are chosen among a shard's replicas in this region when it has any. Needs places. */
  readonly leaderRegion?: string;
}

export interface Token {
  /** Position on the machines' ring, an unsigned 32-bit integer. */
  readonly position: number;
  readonly machine: string;
}

export interface MachineLoad {
  readonly machine: string;
  /** Replicas of shards this machine holds. */
  readonly replicas: number;
  /** Shards whose preferred leader is this machine. */
  readonly leaders: number;
}

export interface ShardPlacement {
  readonly shard: number;
  /** Preference list: replicas in clockwise order. */
  readonly replicas: readonly string[];
  readonly leader: string;
}

export interface Placement {
  readonly shards: readonly ShardPlacement[];
  readonly machines: readonly MachineLoad[];
}

export interface Balance {
  readonly machines: readonly MachineLoad[];
  readonly replicasMean: number;
  readonly replicasMax: number;
  readonly replicasMaxOverMean: number;
  readonly leadersMean: number;
  readonly leadersMax: number;
  readonly leadersMaxOverMean: number;
}

export interface ZoneSpread {
  readonly zone: string;
  readonly region: string;
  readonly machines: number;
  /** Replicas of shards held in the zone. */
  readonly replicas: number;
  /** Shards whose preferred leader is in the zone. */
  readonly leaders: number;
}

export interface RegionSpread {
  readonly region: string;
  readonly zones: number;
  readonly machines: number;
  readonly replicas: number;
  readonly leaders: number;
}

/** How a zone-aware ring spreads replicas and leaders over places (`Ring.spread`). */
export interface Spread {
  /** Regions in the order their first machine joined; zones grouped by region, likewise. */
  readonly regions: readonly RegionSpread[];
  readonly zones: readonly ZoneSpread[];
  /** Shards with two replicas in one zone. */
  readonly shardsWithSharedZone: number;
  /** Shards with two replicas in one region. */
  readonly shardsWithSharedRegion: number;
  /** The fewest distinct zones (regions) one shard's replicas cover. */
  readonly zonesPerShardMin: number;
  readonly regionsPerShardMin: number;
}

export interface ReplicaChange {
  readonly shard: number;
  readonly machine: string;
}

export interface ShardMoves {
  /** Shards whose replica set changed, ascending. A shard that is not here keeps its replicas. */
  readonly shards: readonly number[];
  /** Replicas to build on a machine that did not hold them (one shard move each). */
  readonly added: readonly ReplicaChange[];
  /** Replicas to remove. */
  readonly removed: readonly ReplicaChange[];
  /** Replica moves: `added.length`. */
  readonly replicaMoves: number;
  /** The least any scheme could move: the joining (leaving) machine's fair share. */
  readonly ideal: number;
}

function assert(cond: boolean, message: string): asserts cond {
  if (!cond) throw new AssertionError(`${message}`);
}

function isIntIn(x: number, lo: number, hi: number): boolean {
  return Number.isInteger(x) && x >= lo && x <= hi;
}

/** Position of shard `i` on the machines' ring. */
export function shardPoint(shard: number, shards: number): number {
  return Math.floor((shard * RING_SIZE) / shards);
}

/** Position of a key on a key ring of `positionBits` bits. */
export function keyPosition(key: string, positionBits = 32): number {
  return hash64Hi(key) >>> (32 - positionBits);
}

/** First index whose value is >= x in an ascending array (length if none). */
function lowerBound(xs: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((xs[mid] as number) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

// ---------------------------------------------------------------------------------------------
// Walks: preference lists over tokens held as parallel arrays of machine indices, the form the
// allocator needs (it recomputes them after every token it places).

interface Walks {
  /** Per shard, the preference list as machine indices. */
  readonly lists: number[][];
  /** Per shard, the token index that completed the list, or -1 if the walk went round. */
  readonly endToken: Int32Array;
}

function walkAll(points: readonly number[], pos: readonly number[], mach: readonly number[], rf: number, machineCount: number): Walks {
  const want = Math.min(rf, machineCount);
  const tokenCount = pos.length;
  const seen = new Uint8Array(machineCount);
  const lists: number[][] = [];
  const endToken = new Int32Array(points.length).fill(-1);
  for (let j = 0; j < points.length; j++) {
    const list: number[] = [];
    if (tokenCount > 0 && want > 0) {
      let t = lowerBound(pos, points[j] as number);
      if (t === tokenCount) t = 0;
      // Bound: one lap of the ring.
      for (let k = 0; k < tokenCount; k++) {
        const m = mach[t] as number;
        if (seen[m] === 0) {
          seen[m] = 1;
          list.push(m);
          if (list.length === want) {
            endToken[j] = t;
            break;
          }
        }
        t = t + 1 === tokenCount ? 0 : t + 1;
      }
      for (const m of list) seen[m] = 0;
    }
    lists.push(list);
  }
  return { lists, endToken };
}

function insertToken(pos: number[], mach: number[], position: number, machine: number): void {
  let at = lowerBound(pos, position);
  // Equal positions (hash collisions) keep a deterministic order: by machine index.
  while (at < pos.length && pos[at] === position && (mach[at] as number) < machine) at++;
  pos.splice(at, 0, position);
  mach.splice(at, 0, machine);
}

function placeHashedTokens(pos: number[], mach: number[], machineId: string, machine: number, vnodes: number): void {
  for (let v = 0; v < vnodes; v++) insertToken(pos, mach, hash64(`${machineId}#${v}`).hi, machine);
}

interface Events {
  readonly eventCount: number;
  /** Position of each event, clockwise. */
  readonly eventPos: Float64Array;
  /** Per shard, the index of its point's event. */
  readonly pointEvent: Int32Array;
  /** Per token, the index of its event. */
  readonly tokenEvent: Int32Array;
}

/**
 * Shard points and tokens merged into one clockwise sequence of events; a point sorts before
 * a token at the same position because the walk from a point includes that token. Gap e lies
 * between event e and event e+1: where the allocator may put a token.
 */
function mergeEvents(points: readonly number[], pos: readonly number[]): Events {
  const shards = points.length;
  const eventCount = shards + pos.length;
  const eventPos = new Float64Array(eventCount);
  const pointEvent = new Int32Array(shards);
  const tokenEvent = new Int32Array(pos.length);
  let j = 0;
  let t = 0;
  for (let e = 0; e < eventCount; e++) {
    if (t >= pos.length || (j < shards && (points[j] as number) <= (pos[t] as number))) {
      eventPos[e] = points[j] as number;
      pointEvent[j] = e;
      j++;
    } else {
      eventPos[e] = pos[t] as number;
      tokenEvent[t] = e;
      t++;
    }
  }
  return { eventCount, eventPos, pointEvent, tokenEvent };
}

interface AllocatorVariant {
  /** Exponent of the deviation cost: 2 balances on average, 4 leans on the most loaded. */
  readonly power: number;
  /** Whether the newcomer's target grows token by token or is its full share from the start. */
  readonly paced: boolean;
}

const ALLOCATOR_VARIANTS: readonly AllocatorVariant[] = [
  { power: 2, paced: true },
  { power: 4, paced: true },
  { power: 2, paced: false },
  { power: 4, paced: false },
  { power: 8, paced: true },
  { power: 8, paced: false },
];

/**
 * Places `vnodes` tokens of machine index `newMachine` (all other indices are below it) one at a
 * time. Each token goes into the gap of the ring where it lowers the sum of squared deviations
 * of replica counts the most: the newcomer aims at its share so far (mean * placed / V), the
 * others at the mean after the join, so it takes from the most loaded machines first. Ties go
 * to the first gap clockwise from hash("id#v"), which scatters tokens that gain nothing.
 */
function placeBalancedTokens(
  points: readonly number[],
  pos: number[],
  mach: number[],
  machineId: string,
  newMachine: number,
  rf: number,
  vnodes: number,
  variant: AllocatorVariant,
): void {
  const shards = points.length;
  const machineCount = newMachine + 1;
  const meanReplicas = (Math.min(rf, machineCount) * shards) / machineCount;
  const victimCount = new Int32Array(machineCount);
  for (let step = 0; step < vnodes; step++) {
    const walks = walkAll(points, pos, mach, rf, machineCount);
    const loads = new Float64Array(machineCount);
    for (const list of walks.lists) for (const m of list) loads[m] = (loads[m] as number) + 1;

    const { eventCount, eventPos, pointEvent, tokenEvent } = mergeEvents(points, pos);

    // Gap e lies between event e and event e+1. A new token in gap e joins the list of every
    // shard whose walk passes gap e and does not hold the newcomer yet, evicting its last member.
    let gainEverywhere = 0;
    const gain = new Int32Array(eventCount);
    const victims: number[][] = [];
    for (let e = 0; e < eventCount; e++) victims.push([]);
    for (let j = 0; j < shards; j++) {
      const list = walks.lists[j] as number[];
      if (list.includes(newMachine)) continue;
      const end = walks.endToken[j] as number;
      if (end < 0) {
        // The list is short (fewer machines than RF): the newcomer joins it wherever it lands.
        gainEverywhere++;
        continue;
      }
      const victim = list[list.length - 1] as number;
      const lastGap = (tokenEvent[end] as number) - 1;
      const stopGap = lastGap < 0 ? eventCount - 1 : lastGap;
      let e = pointEvent[j] as number;
      // Bound: one lap of the events.
      for (let k = 0; k < eventCount; k++) {
        gain[e] = (gain[e] as number) + 1;
        (victims[e] as number[]).push(victim);
        if (e === stopGap) break;
        e = e + 1 === eventCount ? 0 : e + 1;
      }
    }

    const cost = (d: number): number => Math.abs(d) ** variant.power;
    const targetNew = variant.paced ? (meanReplicas * (step + 1)) / vnodes : meanReplicas;
    const deviationNew = (loads[newMachine] as number) - targetNew;
    const tieHash = hash64(`${machineId}#${step}`).hi;
    let start = lowerBound(eventPos, tieHash + 1) - 1;
    if (start < 0) start = eventCount - 1;
    let bestGap = -1;
    let bestWidth = 0;
    let bestDelta = Infinity;
    for (let k = 0; k < eventCount; k++) {
      const e = (start + k) % eventCount;
      const next = e + 1 === eventCount ? (eventPos[0] as number) + RING_SIZE : (eventPos[e + 1] as number);
      const width = next - (eventPos[e] as number);
      if (width < 2) continue;
      const g = (gain[e] as number) + gainEverywhere;
      let delta = cost(deviationNew + g) - cost(deviationNew);
      const vs = victims[e] as number[];
      for (const v of vs) {
        const d = (loads[v] as number) - meanReplicas - (victimCount[v] as number);
        delta += cost(d - 1) - cost(d);
        victimCount[v] = (victimCount[v] as number) + 1;
      }
      for (const v of vs) victimCount[v] = 0;
      if (delta < bestDelta) {
        bestDelta = delta;
        bestGap = e;
        bestWidth = width;
      }
    }
    assert(bestGap >= 0, 'the machines ring has no free position left');
    const position = ((eventPos[bestGap] as number) + Math.floor(bestWidth / 2)) % RING_SIZE;
    insertToken(pos, mach, position, newMachine);
  }
}

// ---------------------------------------------------------------------------------------------
// Zone-aware walks (only with places). Machines, zones and regions are small integers here;
// zones and regions are numbered in the order their first machine joined.

/** A replica in a region under its quota scores this much more than any replica over it. */
const SCORE_UNDER_QUOTA = 3;
/** The most a candidate can score: under quota, and the first of its region in the list. */
const SCORE_MAX = SCORE_UNDER_QUOTA + 2;
/** A quota no list can reach: the region has none. */
const QUOTA_NONE = MAX_MACHINES + 1;

interface Topology {
  /** Per machine index, its zone. */
  readonly zoneOf: Int32Array;
  /** Per zone, its region. */
  readonly regionOfZone: Int32Array;
  /** Per region, the most replicas of one shard it should hold. */
  readonly quotaOfRegion: Int32Array;
  readonly zoneNames: readonly string[];
  readonly regionNames: readonly string[];
  /** Per machine index, its region's name (for leader candidates). */
  readonly regionNameOf: readonly string[];
}

function topologyOf(places: readonly Place[], quotas: Readonly<Record<string, number>>): Topology {
  const zoneIndex = new Map<string, number>();
  const regionIndex = new Map<string, number>();
  const zoneNames: string[] = [];
  const regionNames: string[] = [];
  const regionOfZone: number[] = [];
  const zoneOf = new Int32Array(places.length);
  for (let m = 0; m < places.length; m++) {
    const place = places[m] as Place;
    let r = regionIndex.get(place.region);
    if (r === undefined) {
      r = regionNames.length;
      regionIndex.set(place.region, r);
      regionNames.push(place.region);
    }
    let z = zoneIndex.get(place.zone);
    if (z === undefined) {
      z = zoneNames.length;
      zoneIndex.set(place.zone, z);
      zoneNames.push(place.zone);
      regionOfZone.push(r);
    }
    assert(regionOfZone[z] === r, `zone ${place.zone} is in two regions (${regionNames[regionOfZone[z] as number]} and ${place.region})`);
    zoneOf[m] = z;
  }
  const quotaOfRegion = new Int32Array(regionNames.length).fill(QUOTA_NONE);
  regionNames.forEach((name, r) => {
    const quota = Object.hasOwn(quotas, name) ? quotas[name] : undefined;
    if (quota !== undefined) quotaOfRegion[r] = quota;
  });
  return {
    zoneOf,
    regionOfZone: Int32Array.from(regionOfZone),
    quotaOfRegion,
    zoneNames,
    regionNames,
    regionNameOf: places.map((p) => p.region),
  };
}

/** Per zone, how many of the machines 0..count-1 are in it. */
function zoneSizes(topo: Topology, count: number): Int32Array {
  const sizes = new Int32Array(topo.zoneNames.length);
  for (let m = 0; m < count; m++) sizes[topo.zoneOf[m] as number] = (sizes[topo.zoneOf[m] as number] as number) + 1;
  return sizes;
}

/** Working arrays of one walk, reused from shard to shard. */
interface WalkScratch {
  readonly seen: Uint8Array;
  readonly regionUsed: Int32Array;
  readonly zoneUsed: Int32Array;
  /** Per zone, machines that may still be picked. */
  readonly zoneLeft: Int32Array;
  /** Machines met and passed over, in the order met: they come back first. */
  readonly skipped: Int32Array;
  skippedLength: number;
  /** The `available` counts `zoneLeft` starts from between walks. */
  zoneLeftOf: Int32Array | undefined;
}

function walkScratch(topo: Topology, machineCount: number): WalkScratch {
  const zones = topo.zoneNames.length;
  return {
    seen: new Uint8Array(machineCount),
    regionUsed: new Int32Array(topo.regionNames.length),
    zoneUsed: new Int32Array(zones),
    zoneLeft: new Int32Array(zones),
    skipped: new Int32Array(machineCount),
    skippedLength: 0,
    zoneLeftOf: undefined,
  };
}

interface ZoneWalk {
  /** The preference list, in the order picked: `list[0..listLength)`. */
  readonly list: Int32Array;
  listLength: number;
  /** Machines met, in clockwise order of their first token (the virtual one excepted). */
  readonly met: Int32Array;
  /** Per machine in `met`, the index of its first token. */
  readonly metToken: Int32Array;
  metLength: number;
  /** Whether the virtual machine was met only once the lap ended. */
  virtualAtEnd: boolean;
}

function emptyWalk(machineCount: number): ZoneWalk {
  return { list: new Int32Array(machineCount), listLength: 0, met: new Int32Array(machineCount), metToken: new Int32Array(machineCount), metLength: 0, virtualAtEnd: false };
}

function zoneScore(topo: Topology, s: WalkScratch, zone: number): number {
  const region = topo.regionOfZone[zone] as number;
  const used = s.regionUsed[region] as number;
  const quota = used < (topo.quotaOfRegion[region] as number) ? SCORE_UNDER_QUOTA : 0;
  const novelty = used === 0 ? 2 : s.zoneUsed[zone] === 0 ? 1 : 0;
  return quota + novelty;
}

/** The best score a machine not in the list yet could offer; -1 when none is left. */
function bestScore(topo: Topology, s: WalkScratch): number {
  let best = -1;
  for (let z = 0; z < s.zoneLeft.length; z++) {
    if ((s.zoneLeft[z] as number) === 0) continue;
    best = Math.max(best, zoneScore(topo, s, z));
    if (best === SCORE_MAX) break;
  }
  return best;
}

/**
 * One shard's zone-aware list (the rule in the top comment), walking from token index `start`.
 * `available` counts per zone the machines that may be picked: all with tokens, and for the
 * allocator the newcomer before its first token. `virtual` (or -1) is a machine met as though
 * it had a token just before the first token of the `virtualAt`-th distinct machine met, or at
 * the end of the lap if the walk gets that far: the allocator's trial of a token position.
 */
function zoneWalk(
  topo: Topology,
  mach: readonly number[],
  start: number,
  want: number,
  available: Int32Array,
  s: WalkScratch,
  virtual: number,
  virtualAt: number,
  out: ZoneWalk,
): void {
  // Every walk leaves the scratch as it found it (see the end), so only a change of `available` costs.
  if (s.zoneLeftOf !== available) {
    s.zoneLeft.set(available);
    s.zoneLeftOf = available;
  }
  s.skippedLength = 0;
  out.listLength = 0;
  out.metLength = 0;
  out.virtualAtEnd = false;
  const tokenCount = mach.length;
  let t = start;
  let reads = 0;
  let virtualPending = virtual >= 0;
  // Bound: `want` picks; all of them together read at most one lap of tokens.
  while (out.listLength < want) {
    const best = bestScore(topo, s);
    if (best < 0) break; // fewer machines than RF: a short list
    let pick = -1;
    for (let i = 0; i < s.skippedLength; i++) {
      const m = s.skipped[i] as number;
      if (zoneScore(topo, s, topo.zoneOf[m] as number) !== best) continue;
      pick = m;
      s.skipped.copyWithin(i, i + 1, s.skippedLength);
      s.skippedLength--;
      break;
    }
    while (pick < 0) {
      let m: number;
      if (virtualPending && (out.metLength === virtualAt || reads === tokenCount)) {
        m = virtual;
        virtualPending = false;
        out.virtualAtEnd = reads === tokenCount;
      } else {
        assert(reads < tokenCount, 'a zone-aware walk went round the ring without finding the best machine left');
        m = mach[t] as number;
        const token = t;
        t = t + 1 === tokenCount ? 0 : t + 1;
        reads++;
        if (s.seen[m] === 1) continue;
        if (m === virtual) virtualPending = false;
        out.met[out.metLength] = m;
        out.metToken[out.metLength] = token;
        out.metLength++;
      }
      s.seen[m] = 1;
      if (zoneScore(topo, s, topo.zoneOf[m] as number) === best) pick = m;
      else s.skipped[s.skippedLength++] = m;
    }
    const zone = topo.zoneOf[pick] as number;
    const region = topo.regionOfZone[zone] as number;
    assert((s.zoneLeft[zone] as number) > 0, 'a zone-aware walk picked a machine that is not available');
    s.zoneLeft[zone] = (s.zoneLeft[zone] as number) - 1;
    s.zoneUsed[zone] = (s.zoneUsed[zone] as number) + 1;
    s.regionUsed[region] = (s.regionUsed[region] as number) + 1;
    out.list[out.listLength++] = pick;
  }
  for (let i = 0; i < out.metLength; i++) s.seen[out.met[i] as number] = 0;
  if (virtual >= 0) s.seen[virtual] = 0;
  for (let i = 0; i < out.listLength; i++) {
    const zone = topo.zoneOf[out.list[i] as number] as number;
    s.zoneLeft[zone] = (s.zoneLeft[zone] as number) + 1;
    s.zoneUsed[zone] = 0;
    s.regionUsed[topo.regionOfZone[zone] as number] = 0;
  }
}

/** Index of the first token at or after `point` (0 past the last). */
function startToken(pos: readonly number[], point: number): number {
  const t = lowerBound(pos, point);
  return t === pos.length ? 0 : t;
}

function walkZonedAll(points: readonly number[], pos: readonly number[], mach: readonly number[], topo: Topology, rf: number, machineCount: number): number[][] {
  const want = Math.min(rf, machineCount);
  const available = zoneSizes(topo, machineCount);
  const scratch = walkScratch(topo, machineCount);
  const walk = emptyWalk(machineCount);
  const lists: number[][] = [];
  for (const point of points) {
    zoneWalk(topo, mach, startToken(pos, point), want, available, scratch, -1, -1, walk);
    lists.push(Array.from(walk.list.subarray(0, walk.listLength)));
  }
  return lists;
}

/** The zone-aware allocator memoises costs for changes pending at one gap up to this many. */
const MEMO_PENDING_MAX = 8;
const MEMO_PENDING_SPAN = 2 * MEMO_PENDING_MAX + 1;

/**
 * The zone-aware counterpart of `placeBalancedTokens`: same greedy, same variants, same ties,
 * but each gap's effect is exact. For every shard the walk is re-run with the newcomer met
 * before each machine it meets (the newcomer's real tokens only matter from its first one on,
 * and a token past the walk's last read changes nothing), and every gap in that stretch gets
 * the difference between that list and today's. Costs a walk per machine met per shard.
 */
function placeZonedTokens(
  points: readonly number[],
  pos: number[],
  mach: number[],
  topo: Topology,
  machineId: string,
  newMachine: number,
  rf: number,
  vnodes: number,
  variant: AllocatorVariant,
): void {
  const shards = points.length;
  const machineCount = newMachine + 1;
  const want = Math.min(rf, machineCount);
  const meanReplicas = (want * shards) / machineCount;
  const withNew = zoneSizes(topo, machineCount);
  const withoutNew = zoneSizes(topo, newMachine);
  const scratch = walkScratch(topo, machineCount);
  const today = emptyWalk(machineCount);
  const reach = emptyWalk(machineCount);
  const trial = emptyWalk(machineCount);
  const change = new Int32Array(machineCount);
  const cost = (d: number): number => Math.abs(d) ** variant.power;
  for (let step = 0; step < vnodes; step++) {
    // Before its first token the newcomer cannot be met, so today's lists do without it.
    const hasTokens = step > 0;
    const { eventCount, eventPos, pointEvent, tokenEvent } = mergeEvents(points, pos);
    const loads = new Float64Array(machineCount);
    // Per gap: the newcomer's net gain, and the trials changing other machines' loads there
    // (trial i's (machine, ±1) pairs are changePairs[changeStart[i]..changeStart[i+1])).
    const gainNew = new Int32Array(eventCount);
    const others: number[][] = [];
    for (let e = 0; e < eventCount; e++) others.push([]);
    const changeStart: number[] = [0];
    const changePairs: number[] = [];
    for (let j = 0; j < shards; j++) {
      const start = startToken(pos, points[j] as number);
      zoneWalk(topo, mach, start, want, hasTokens ? withNew : withoutNew, scratch, -1, -1, today);
      for (let i = 0; i < today.listLength; i++) loads[today.list[i] as number] = (loads[today.list[i] as number] as number) + 1;
      // How far a token of the newcomer can matter: the walk with the newcomer on the ring.
      if (!hasTokens) zoneWalk(topo, mach, start, want, withNew, scratch, newMachine, Number.MAX_SAFE_INTEGER, reach);
      const far = hasTokens ? today : reach;
      let own = -1;
      for (let i = 0; i < far.metLength && own < 0; i++) if (far.met[i] === newMachine) own = i;
      const trials = own >= 0 ? own : far.metLength + (far.virtualAtEnd ? 1 : 0);
      for (let k = 0; k < trials; k++) {
        zoneWalk(topo, mach, start, want, withNew, scratch, newMachine, k, trial);
        for (let i = 0; i < trial.listLength; i++) change[trial.list[i] as number] = (change[trial.list[i] as number] as number) + 1;
        for (let i = 0; i < today.listLength; i++) change[today.list[i] as number] = (change[today.list[i] as number] as number) - 1;
        const pairsFrom = changePairs.length;
        let gain = 0;
        for (let i = 0; i < trial.listLength + today.listLength; i++) {
          const m = (i < trial.listLength ? trial.list[i] : today.list[i - trial.listLength]) as number;
          const c = change[m] as number;
          if (c === 0) continue;
          change[m] = 0;
          if (m === newMachine) gain = c;
          else changePairs.push(m, c);
        }
        const changesOthers = changePairs.length > pairsFrom;
        const id = changeStart.length - 1;
        if (changesOthers) changeStart.push(changePairs.length);
        else if (gain === 0) continue;
        // Gaps after the (k-1)-th machine's first token (the point for k = 0) and before the k-th's.
        const from = k === 0 ? (pointEvent[j] as number) : (tokenEvent[far.metToken[k - 1] as number] as number);
        const to = k < far.metLength ? (tokenEvent[far.metToken[k] as number] as number) : (pointEvent[j] as number);
        let length = (to - from + eventCount) % eventCount;
        if (length === 0) length = eventCount; // the newcomer is the first machine: everywhere
        let e = from;
        for (let i = 0; i < length; i++) {
          gainNew[e] = (gainNew[e] as number) + gain;
          if (changesOthers) (others[e] as number[]).push(id);
          e = e + 1 === eventCount ? 0 : e + 1;
        }
      }
    }

    const targetNew = variant.paced ? (meanReplicas * (step + 1)) / vnodes : meanReplicas;
    const deviationNew = (loads[newMachine] as number) - targetNew;
    const tieHash = hash64(`${machineId}#${step}`).hi;
    let first = lowerBound(eventPos, tieHash + 1) - 1;
    if (first < 0) first = eventCount - 1;
    // Costs memoised by their operands (the same expressions, so the same bits): the
    // newcomer's by its gain, another machine's by the change pending at the gap and its own.
    const costNew = new Float64Array(2 * shards + 1).fill(Number.NaN);
    const costNewNow = cost(deviationNew);
    const memo = new Float64Array(machineCount * MEMO_PENDING_SPAN * 3).fill(Number.NaN);
    const pending = new Float64Array(machineCount);
    let bestGap = -1;
    let bestWidth = 0;
    let bestDelta = Infinity;
    for (let k = 0; k < eventCount; k++) {
      const e = (first + k) % eventCount;
      const next = e + 1 === eventCount ? (eventPos[0] as number) + RING_SIZE : (eventPos[e + 1] as number);
      const width = next - (eventPos[e] as number);
      if (width < 2) continue;
      const g = gainNew[e] as number;
      let gained = costNew[g + shards] as number;
      if (Number.isNaN(gained)) {
        gained = cost(deviationNew + g);
        costNew[g + shards] = gained;
      }
      let delta = gained - costNewNow;
      const ids = others[e] as number[];
      for (const id of ids) {
        for (let i = changeStart[id] as number; i < (changeStart[id + 1] as number); i += 2) {
          const m = changePairs[i] as number;
          const c = changePairs[i + 1] as number;
          const p = pending[m] as number;
          const d = (loads[m] as number) - meanReplicas + p;
          if (Math.abs(p) <= MEMO_PENDING_MAX && (c === 1 || c === -1)) {
            const slot = (m * MEMO_PENDING_SPAN + p + MEMO_PENDING_MAX) * 3;
            let now = memo[slot + 1] as number;
            if (Number.isNaN(now)) {
              now = cost(d);
              memo[slot + 1] = now;
            }
            let then = memo[slot + 1 + c] as number;
            if (Number.isNaN(then)) {
              then = cost(d + c);
              memo[slot + 1 + c] = then;
            }
            delta += then - now;
          } else {
            delta += cost(d + c) - cost(d);
          }
          pending[m] = p + c;
        }
      }
      for (const id of ids) for (let i = changeStart[id] as number; i < (changeStart[id + 1] as number); i += 2) pending[changePairs[i] as number] = 0;
      if (delta < bestDelta) {
        bestDelta = delta;
        bestGap = e;
        bestWidth = width;
      }
    }
    assert(bestGap >= 0, 'the machines ring has no free position left');
    const position = ((eventPos[bestGap] as number) + Math.floor(bestWidth / 2)) % RING_SIZE;
    insertToken(pos, mach, position, newMachine);
  }
}

// ---------------------------------------------------------------------------------------------

interface RingParams {
  readonly shards: number;
  readonly rf: number;
  readonly vnodes: number;
  readonly placement: TokenPlacement;
  readonly positionBits: number;
  readonly bugs: ReadonlySet<string>;
  /** Where machines are, looked up when each joins; undefined: the plain walk. */
  readonly places: Places | undefined;
  readonly quotas: Readonly<Record<string, number>>;
  readonly leaderRegion: string | undefined;
}

function validateParams(p: RingParams): void {
  assert(isIntIn(p.shards, 1, MAX_SHARDS), `shards must be an integer in 1..${MAX_SHARDS}, got ${p.shards}`);
  assert(isIntIn(p.rf, 1, MAX_MACHINES), `rf must be a positive integer, got ${p.rf}`);
  assert(isIntIn(p.vnodes, 1, MAX_VNODES), `vnodes must be an integer in 1..${MAX_VNODES}, got ${p.vnodes}`);
  assert(isIntIn(p.positionBits, 8, 32), `positionBits must be an integer in 8..32, got ${p.positionBits}`);
  assert(p.shards <= 2 ** p.positionBits, `${p.shards} shards do not fit a ${p.positionBits}-bit key ring`);
  assert(p.placement === 'balanced' || p.placement === 'hashed', `unknown token placement ${String(p.placement)}`);
  if (p.places === undefined) {
    assert(Object.keys(p.quotas).length === 0, 'replicasPerRegion needs places');
    assert(p.leaderRegion === undefined, 'leaderRegion needs places');
  }
  for (const [region, quota] of Object.entries(p.quotas)) {
    assert(region.length > 0, 'replicasPerRegion names an empty region');
    assert(isIntIn(quota, 0, MAX_MACHINES), `replicasPerRegion.${region} must be an integer in 0..${MAX_MACHINES}, got ${quota}`);
  }
  assert(p.leaderRegion === undefined || p.leaderRegion.length > 0, 'leaderRegion must be non-empty');
}

/** The place of a machine joining a ring with places. */
function placeOf(places: Places, machine: string): Place {
  const place = places.get(machine);
  assert(place !== undefined, `machine ${machine} has no place`);
  assert(place.region.length > 0 && place.zone.length > 0, `machine ${machine} has an empty region or zone`);
  return place;
}

export class Ring {
  readonly shards: number;
  readonly rf: number;
  readonly vnodes: number;
  readonly placementKind: TokenPlacement;
  readonly positionBits: number;
  /** Machine ids in join order. */
  readonly machines: readonly string[];
  /** Tokens in clockwise order. */
  readonly tokens: readonly Token[];
  /** Where machines are (the map the ring was built with), or undefined: the plain walk. */
  readonly places: Places | undefined;
  readonly replicasPerRegion: Readonly<Record<string, number>>;
  readonly leaderRegion: string | undefined;

  private readonly params: RingParams;
  private readonly boundaries: readonly number[];
  private readonly lists: readonly (readonly string[])[];
  private readonly leaders: readonly string[];
  private readonly boundaryBug: boolean;
  /** Per machine (join order), its place as it was when it joined; undefined without places. */
  private readonly machinePlaces: readonly Place[] | undefined;

  private constructor(
    params: RingParams,
    machines: readonly string[],
    machinePlaces: readonly Place[] | undefined,
    pos: readonly number[],
    mach: readonly number[],
  ) {
    assert(machines.length >= 1, 'a ring needs at least one machine');
    assert((params.places === undefined) === (machinePlaces === undefined), 'a ring with places knows every machine place');
    assert(machinePlaces === undefined || machinePlaces.length === machines.length, 'one place per machine');
    this.params = params;
    this.shards = params.shards;
    this.rf = params.rf;
    this.vnodes = params.vnodes;
    this.placementKind = params.placement;
    this.positionBits = params.positionBits;
    this.places = params.places;
    this.replicasPerRegion = params.quotas;
    this.leaderRegion = params.leaderRegion;
    this.boundaryBug = storeBugOn(params.bugs, BUG_RING_BOUNDARY_OFF_BY_ONE);
    this.machines = machines;
    this.machinePlaces = machinePlaces;
    const tokens: Token[] = [];
    for (let t = 0; t < pos.length; t++) tokens.push({ position: pos[t] as number, machine: machines[mach[t] as number] as string });
    this.tokens = tokens;

    const keySpace = 2 ** params.positionBits;
    const boundaries: number[] = [];
    for (let i = 0; i < params.shards; i++) boundaries.push(Math.floor((i * keySpace) / params.shards));
    this.boundaries = boundaries;

    const points = pointsOf(params.shards);
    const topo = machinePlaces === undefined ? undefined : topologyOf(machinePlaces, params.quotas);
    const walks = topo === undefined ? walkAll(points, pos, mach, params.rf, machines.length).lists : walkZonedAll(points, pos, mach, topo, params.rf, machines.length);
    const lists: string[][] = [];
    for (const list of walks) {
      assert(list.length === Math.min(params.rf, machines.length), 'every machine holds at least one token');
      lists.push(list.map((m) => machines[m] as string));
    }
    this.lists = lists;
    const leaderIdx = balanceLeaders(leaderCandidates(walks, topo, params.leaderRegion), machines.length);
    this.leaders = leaderIdx.map((m) => machines[m] as string);
  }

  /** The ring after the machines join one by one, in the order given. */
  static build(options: RingOptions): Ring {
    const params: RingParams = {
      shards: options.shards,
      rf: options.rf,
      vnodes: options.vnodes ?? DEFAULT_VNODES,
      placement: options.placement ?? 'balanced',
      positionBits: options.positionBits ?? 32,
      bugs: options.bugs ?? new Set<string>(),
      places: options.places,
      quotas: options.replicasPerRegion ?? {},
      leaderRegion: options.leaderRegion,
    };
    validateParams(params);
    const machines = options.machines;
    assert(isIntIn(machines.length, 1, MAX_MACHINES), `a ring needs 1..${MAX_MACHINES} machines, got ${machines.length}`);
    const unique = new Set<string>();
    for (const id of machines) {
      assert(id.length > 0, 'machine ids must be non-empty');
      assert(!unique.has(id), `machine ${id} is listed twice`);
      unique.add(id);
    }
    const places = params.places;
    const machinePlaces = places === undefined ? undefined : machines.map((id) => placeOf(places, id));
    // Zones and regions are numbered in join order, so the topology of all machines is also
    // that of every prefix: each join below sees what it would see joining one at a time.
    const topo = machinePlaces === undefined ? undefined : topologyOf(machinePlaces, params.quotas);
    const points = pointsOf(params.shards);
    const pos: number[] = [];
    const mach: number[] = [];
    for (let m = 0; m < machines.length; m++) addMachineTokens(params, topo, points, pos, mach, machines[m] as string, m);
    return new Ring(params, [...machines], machinePlaces, pos, mach);
  }

  /** This ring with `machine` added; existing tokens stay where they are. */
  join(machine: string): Ring {
    assert(machine.length > 0, 'machine ids must be non-empty');
    assert(!this.machines.includes(machine), `machine ${machine} is already on the ring`);
    assert(this.machines.length < MAX_MACHINES, `a ring holds at most ${MAX_MACHINES} machines`);
    const machines = [...this.machines, machine];
    const places = this.params.places;
    const machinePlaces = places === undefined || this.machinePlaces === undefined ? undefined : [...this.machinePlaces, placeOf(places, machine)];
    const topo = machinePlaces === undefined ? undefined : topologyOf(machinePlaces, this.params.quotas);
    const index = new Map<string, number>();
    machines.forEach((id, i) => index.set(id, i));
    const pos = this.tokens.map((t) => t.position);
    const mach = this.tokens.map((t) => index.get(t.machine) as number);
    addMachineTokens(this.params, topo, pointsOf(this.shards), pos, mach, machine, machines.length - 1);
    return new Ring(this.params, machines, machinePlaces, pos, mach);
  }

  /** This ring with `machine` and its tokens removed; every other token stays. */
  leave(machine: string): Ring {
    assert(this.machines.includes(machine), `machine ${machine} is not on the ring`);
    assert(this.machines.length > 1, 'the last machine cannot leave');
    const machines = this.machines.filter((id) => id !== machine);
    const machinePlaces = this.machinePlaces?.filter((_, i) => this.machines[i] !== machine);
    const index = new Map<string, number>();
    machines.forEach((id, i) => index.set(id, i));
    const kept = this.tokens.filter((t) => t.machine !== machine);
    return new Ring(
      this.params,
      machines,
      machinePlaces,
      kept.map((t) => t.position),
      kept.map((t) => index.get(t.machine) as number),
    );
  }

  /** Key ring position of `key` (`positionBits` wide). */
  positionOfKey(key: string): number {
    return keyPosition(key, this.positionBits);
  }

  /** Shard that owns key-ring position `position`: the range [boundary(i), boundary(i+1)). */
  shardOfPosition(position: number): number {
    assert(isIntIn(position, 0, 2 ** this.positionBits - 1), `position ${position} is off the ${this.positionBits}-bit key ring`);
    const i = lowerBound(this.boundaries, position + 1) - 1;
    if (this.boundaryBug && this.boundaries[i] === position) {
      // Planted bug: the boundary is treated as the end of the previous range.
      return (i - 1 + this.shards) % this.shards;
    }
    return i;
  }

  shardOfKey(key: string): number {
    return this.shardOfPosition(this.positionOfKey(key));
  }

  /** The shard that truly owns a key, whatever bug is planted (for white-box checks only). */
  ownerOfKey(key: string): number {
    const position = this.positionOfKey(key);
    return lowerBound(this.boundaries, position + 1) - 1;
  }

  /** First key-ring position owned by `shard`. */
  boundaryOf(shard: number): number {
    this.checkShard(shard);
    return this.boundaries[shard] as number;
  }

  /** Preference list of `shard`: min(RF, machines) distinct machines, clockwise. */
  replicasOf(shard: number): readonly string[] {
    this.checkShard(shard);
    return this.lists[shard] as readonly string[];
  }

  /**
   * The replica that should lead `shard`: chosen so that the most loaded machine leads as few
   * shards as possible. The store moves leadership there by Raft leadership transfer.
   */
  preferredLeaderOf(shard: number): string {
    this.checkShard(shard);
    return this.leaders[shard] as string;
  }

  preferredLeaders(): readonly string[] {
    return this.leaders;
  }

  placement(): Placement {
    const shards: ShardPlacement[] = [];
    for (let s = 0; s < this.shards; s++) shards.push({ shard: s, replicas: this.lists[s] as readonly string[], leader: this.leaders[s] as string });
    return { shards, machines: this.loads() };
  }

  balance(): Balance {
    const machines = this.loads();
    const replicasMean = (this.shards * Math.min(this.rf, this.machines.length)) / this.machines.length;
    const leadersMean = this.shards / this.machines.length;
    let replicasMax = 0;
    let leadersMax = 0;
    for (const m of machines) {
      replicasMax = Math.max(replicasMax, m.replicas);
      leadersMax = Math.max(leadersMax, m.leaders);
    }
    return {
      machines,
      replicasMean,
      replicasMax,
      replicasMaxOverMean: replicasMax / replicasMean,
      leadersMean,
      leadersMax,
      leadersMaxOverMean: leadersMax / leadersMean,
    };
  }

  replicasMaxOverMean(): number {
    return this.balance().replicasMaxOverMean;
  }

  leadersMaxOverMean(): number {
    return this.balance().leadersMaxOverMean;
  }

  /**
   * Replicas and preferred leaders per zone and per region, and how well shards are spread
   * over them; undefined for a ring without places.
   */
  spread(): Spread | undefined {
    const machinePlaces = this.machinePlaces;
    if (machinePlaces === undefined) return undefined;
    const placeOfMachine = new Map<string, Place>();
    this.machines.forEach((id, i) => placeOfMachine.set(id, machinePlaces[i] as Place));
    const regions = new Map<string, { zones: number; machines: number; replicas: number; leaders: number }>();
    const zones = new Map<string, { region: string; machines: number; replicas: number; leaders: number }>();
    for (const place of machinePlaces) {
      const region = regions.get(place.region) ?? { zones: 0, machines: 0, replicas: 0, leaders: 0 };
      regions.set(place.region, region);
      region.machines++;
      let zone = zones.get(place.zone);
      if (zone === undefined) {
        zone = { region: place.region, machines: 0, replicas: 0, leaders: 0 };
        zones.set(place.zone, zone);
        region.zones++;
      }
      zone.machines++;
    }
    let shardsWithSharedZone = 0;
    let shardsWithSharedRegion = 0;
    let zonesPerShardMin = Infinity;
    let regionsPerShardMin = Infinity;
    for (let s = 0; s < this.shards; s++) {
      const list = this.lists[s] as readonly string[];
      const shardZones = new Set<string>();
      const shardRegions = new Set<string>();
      for (const id of list) {
        const place = placeOfMachine.get(id) as Place;
        shardZones.add(place.zone);
        shardRegions.add(place.region);
        (zones.get(place.zone) as { replicas: number }).replicas++;
        (regions.get(place.region) as { replicas: number }).replicas++;
      }
      const leaderPlace = placeOfMachine.get(this.leaders[s] as string) as Place;
      (zones.get(leaderPlace.zone) as { leaders: number }).leaders++;
      (regions.get(leaderPlace.region) as { leaders: number }).leaders++;
      if (shardZones.size < list.length) shardsWithSharedZone++;
      if (shardRegions.size < list.length) shardsWithSharedRegion++;
      zonesPerShardMin = Math.min(zonesPerShardMin, shardZones.size);
      regionsPerShardMin = Math.min(regionsPerShardMin, shardRegions.size);
    }
    const regionOrder = [...regions.keys()];
    const zoneOrder = [...zones.keys()].sort((a, b) => regionOrder.indexOf((zones.get(a) as { region: string }).region) - regionOrder.indexOf((zones.get(b) as { region: string }).region));
    return {
      regions: regionOrder.map((region) => ({ region, ...(regions.get(region) as { zones: number; machines: number; replicas: number; leaders: number }) })),
      zones: zoneOrder.map((zone) => {
        const z = zones.get(zone) as { region: string; machines: number; replicas: number; leaders: number };
        return { zone, region: z.region, machines: z.machines, replicas: z.replicas, leaders: z.leaders };
      }),
      shardsWithSharedZone,
      shardsWithSharedRegion,
      zonesPerShardMin,
      regionsPerShardMin,
    };
  }

  /** What changes when `machine` joins. */
  movedOnJoin(machine: string): ShardMoves {
    const after = this.join(machine);
    const n = after.machines.length;
    return diffRings(this, after, (Math.min(this.rf, n) * this.shards) / n);
  }

  /** What changes when `machine` leaves. */
  movedOnLeave(machine: string): ShardMoves {
    const after = this.leave(machine);
    const n = this.machines.length;
    return diffRings(this, after, (Math.min(this.rf, n) * this.shards) / n);
  }

  private loads(): MachineLoad[] {
    const replicas = new Map<string, number>();
    const leaders = new Map<string, number>();
    for (const id of this.machines) {
      replicas.set(id, 0);
      leaders.set(id, 0);
    }
    for (const list of this.lists) for (const id of list) replicas.set(id, (replicas.get(id) as number) + 1);
    for (const id of this.leaders) leaders.set(id, (leaders.get(id) as number) + 1);
    return this.machines.map((id) => ({ machine: id, replicas: replicas.get(id) as number, leaders: leaders.get(id) as number }));
  }

  private checkShard(shard: number): void {
    assert(isIntIn(shard, 0, this.shards - 1), `shard ${shard} is not in 0..${this.shards - 1}`);
  }
}

function pointsOf(shards: number): number[] {
  const points: number[] = [];
  for (let s = 0; s < shards; s++) points.push(shardPoint(s, shards));
  return points;
}

function addMachineTokens(
  params: RingParams,
  topo: Topology | undefined,
  points: readonly number[],
  pos: number[],
  mach: number[],
  id: string,
  machine: number,
): void {
  if (params.placement === 'hashed') {
    placeHashedTokens(pos, mach, id, machine, params.vnodes);
    return;
  }
  // Greedy placement is myopic, and which variant ends best differs from join to join; trying
  // each and keeping the lowest maximum load is cheap next to a shard move.
  let best: { pos: number[]; mach: number[]; max: number; squares: number } | undefined;
  for (const variant of ALLOCATOR_VARIANTS) {
    const p = [...pos];
    const m = [...mach];
    if (topo === undefined) placeBalancedTokens(points, p, m, id, machine, params.rf, params.vnodes, variant);
    else placeZonedTokens(points, p, m, topo, id, machine, params.rf, params.vnodes, variant);
    const lists = topo === undefined ? walkAll(points, p, m, params.rf, machine + 1).lists : walkZonedAll(points, p, m, topo, params.rf, machine + 1);
    const loads = new Array<number>(machine + 1).fill(0);
    for (const list of lists) for (const x of list) loads[x] = (loads[x] as number) + 1;
    const max = Math.max(...loads);
    const squares = loads.reduce((acc, x) => acc + x * x, 0);
    if (best === undefined || max < best.max || (max === best.max && squares < best.squares)) best = { pos: p, mach: m, max, squares };
  }
  assert(best !== undefined, 'at least one allocator variant');
  pos.splice(0, pos.length, ...best.pos);
  mach.splice(0, mach.length, ...best.mach);
}

/** Replica changes between two rings over the same shards. */
export function diffRings(before: Ring, after: Ring, ideal: number): ShardMoves {
  assert(before.shards === after.shards, 'rings with different shard counts cannot be compared');
  const shards: number[] = [];
  const added: ReplicaChange[] = [];
  const removed: ReplicaChange[] = [];
  for (let s = 0; s < before.shards; s++) {
    const a = before.replicasOf(s);
    const b = after.replicasOf(s);
    let changed = false;
    for (const m of b) {
      if (!a.includes(m)) {
        added.push({ shard: s, machine: m });
        changed = true;
      }
    }
    for (const m of a) {
      if (!b.includes(m)) {
        removed.push({ shard: s, machine: m });
        changed = true;
      }
    }
    if (changed) shards.push(s);
  }
  return { shards, added, removed, replicaMoves: added.length, ideal };
}

/** Per shard, the replicas that may lead it: those in `leaderRegion` if it has any, else all. */
function leaderCandidates(lists: readonly (readonly number[])[], topo: Topology | undefined, leaderRegion: string | undefined): readonly (readonly number[])[] {
  if (topo === undefined || leaderRegion === undefined) return lists;
  return lists.map((list) => {
    const there = list.filter((m) => topo.regionNameOf[m] === leaderRegion);
    return there.length > 0 ? there : list;
  });
}

/**
 * Preferred leader per shard, among its replicas, minimising the most leaders on one machine.
 * Greedy first (fewest leaders so far, ties to the earlier replica), then repeatedly shift
 * leadership along a path a -> b -> ... -> z where z leads at least two fewer shards than a.
 * When no such path exists the assignment is optimal for the maximum (a semi-matching with no
 * cost-reducing path is optimal). Each shift lowers the sum of squared counts, so it ends.
 */
function balanceLeaders(lists: readonly (readonly number[])[], machineCount: number): number[] {
  const leader: number[] = [];
  const count = new Int32Array(machineCount);
  for (const list of lists) {
    let best = list[0] as number;
    for (const m of list) if ((count[m] as number) < (count[best] as number)) best = m;
    leader.push(best);
    count[best] = (count[best] as number) + 1;
  }
  const shiftsMax = lists.length * machineCount + 1;
  for (let shift = 0; shift < shiftsMax; shift++) {
    if (!shiftOnePath(lists, leader, count, machineCount)) {
      assertNoOneStepShift(lists, leader, machineCount);
      return leader;
    }
  }
  throw new AssertionError('leader balancing did not converge');
}

/** Balanced leaders: no shard's leadership can move to one of its replicas leading two fewer. */
function assertNoOneStepShift(lists: readonly (readonly number[])[], leader: readonly number[], machineCount: number): void {
  // Counted afresh from the assignment, not taken from the search's own bookkeeping.
  const count = new Int32Array(machineCount);
  for (let s = 0; s < lists.length; s++) {
    const a = leader[s] as number;
    assert((lists[s] as readonly number[]).includes(a), `shard ${s}'s preferred leader, machine ${a}, is not one of its candidates`);
    count[a] = (count[a] as number) + 1;
  }
  for (let s = 0; s < lists.length; s++) {
    const a = leader[s] as number;
    for (const b of lists[s] as readonly number[]) {
      assert((count[b] as number) >= (count[a] as number) - 1, `leader balancing stopped with shard ${s} on machine ${a} (${count[a]} leaders) though machine ${b}, a replica, leads ${count[b]}`);
    }
  }
}

function shiftOnePath(lists: readonly (readonly number[])[], leader: number[], count: Int32Array, machineCount: number): boolean {
  // Try the most loaded machines first; ties in machine order.
  const order = Array.from({ length: machineCount }, (_, i) => i).sort((a, b) => (count[b] as number) - (count[a] as number) || a - b);
  for (const source of order) {
    const sourceCount = count[source] as number;
    const viaShard = new Int32Array(machineCount).fill(-1);
    const visited = new Uint8Array(machineCount);
    visited[source] = 1;
    const queue = [source];
    for (let head = 0; head < queue.length; head++) {
      const a = queue[head] as number;
      for (let s = 0; s < lists.length; s++) {
        if (leader[s] !== a) continue;
        for (const b of lists[s] as readonly number[]) {
          if (visited[b] === 1) continue;
          visited[b] = 1;
          viaShard[b] = s;
          if ((count[b] as number) <= sourceCount - 2) {
            // Walk back: each shard on the path hands leadership one step towards b.
            let z = b;
            while (z !== source) {
              const shard = viaShard[z] as number;
              const from = leader[shard] as number;
              leader[shard] = z;
              z = from;
            }
            count[source] = sourceCount - 1;
            count[b] = (count[b] as number) + 1;
            return true;
          }
          queue.push(b);
        }
      }
    }
  }
  return false;
}
