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
// Token placement. `hashed` puts token v of machine m at hash("m#v"): the classic scheme, a
// pure function of the machine set. `balanced` (the default) chooses a joining machine's V
// positions one at a time, each where it takes replicas from the most loaded machines until
// the newcomer holds its fair share (the idea of Cassandra's token allocator). Existing tokens
// never move, so the consistency argument above still holds, but the ring now depends on the
// order machines joined in: a Ring is a value that evolves by `join` and `leave`, and `build`
// is the fold of `join` over its machine list.
import { hash64 } from './hash.js';
import { AssertionError } from '../base/assert.js';
import { storeBugOn, type StoreBugName } from './bugs.js';

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
  return hash64(key).hi >>> (32 - positionBits);
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

    // Merge shard points and tokens into one clockwise sequence of events; a point sorts before
    // a token at the same position because the walk from a point includes that token.
    const eventCount = shards + pos.length;
    const eventPos = new Float64Array(eventCount);
    const pointEvent = new Int32Array(shards);
    const tokenEvent = new Int32Array(pos.length);
    {
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
    }

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

interface RingParams {
  readonly shards: number;
  readonly rf: number;
  readonly vnodes: number;
  readonly placement: TokenPlacement;
  readonly positionBits: number;
  readonly bugs: ReadonlySet<string>;
}

function validateParams(p: RingParams): void {
  assert(isIntIn(p.shards, 1, MAX_SHARDS), `shards must be an integer in 1..${MAX_SHARDS}, got ${p.shards}`);
  assert(isIntIn(p.rf, 1, MAX_MACHINES), `rf must be a positive integer, got ${p.rf}`);
  assert(isIntIn(p.vnodes, 1, MAX_VNODES), `vnodes must be an integer in 1..${MAX_VNODES}, got ${p.vnodes}`);
  assert(isIntIn(p.positionBits, 8, 32), `positionBits must be an integer in 8..32, got ${p.positionBits}`);
  assert(p.shards <= 2 ** p.positionBits, `${p.shards} shards do not fit a ${p.positionBits}-bit key ring`);
  assert(p.placement === 'balanced' || p.placement === 'hashed', `unknown token placement ${String(p.placement)}`);
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

  private readonly params: RingParams;
  private readonly boundaries: readonly number[];
  private readonly lists: readonly (readonly string[])[];
  private readonly leaders: readonly string[];
  private readonly boundaryBug: boolean;

  private constructor(params: RingParams, machines: readonly string[], pos: readonly number[], mach: readonly number[]) {
    assert(machines.length >= 1, 'a ring needs at least one machine');
    this.params = params;
    this.shards = params.shards;
    this.rf = params.rf;
    this.vnodes = params.vnodes;
    this.placementKind = params.placement;
    this.positionBits = params.positionBits;
    this.boundaryBug = storeBugOn(params.bugs, BUG_RING_BOUNDARY_OFF_BY_ONE);
    this.machines = machines;
    const tokens: Token[] = [];
    for (let t = 0; t < pos.length; t++) tokens.push({ position: pos[t] as number, machine: machines[mach[t] as number] as string });
    this.tokens = tokens;

    const keySpace = 2 ** params.positionBits;
    const boundaries: number[] = [];
    for (let i = 0; i < params.shards; i++) boundaries.push(Math.floor((i * keySpace) / params.shards));
    this.boundaries = boundaries;

    const points = pointsOf(params.shards);
    const walks = walkAll(points, pos, mach, params.rf, machines.length);
    const lists: string[][] = [];
    for (const list of walks.lists) {
      assert(list.length === Math.min(params.rf, machines.length), 'every machine holds at least one token');
      lists.push(list.map((m) => machines[m] as string));
    }
    this.lists = lists;
    const leaderIdx = balanceLeaders(walks.lists, machines.length);
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
    const points = pointsOf(params.shards);
    const pos: number[] = [];
    const mach: number[] = [];
    for (let m = 0; m < machines.length; m++) addMachineTokens(params, points, pos, mach, machines[m] as string, m);
    return new Ring(params, [...machines], pos, mach);
  }

  /** This ring with `machine` added; existing tokens stay where they are. */
  join(machine: string): Ring {
    assert(machine.length > 0, 'machine ids must be non-empty');
    assert(!this.machines.includes(machine), `machine ${machine} is already on the ring`);
    assert(this.machines.length < MAX_MACHINES, `a ring holds at most ${MAX_MACHINES} machines`);
    const machines = [...this.machines, machine];
    const index = new Map<string, number>();
    machines.forEach((id, i) => index.set(id, i));
    const pos = this.tokens.map((t) => t.position);
    const mach = this.tokens.map((t) => index.get(t.machine) as number);
    addMachineTokens(this.params, pointsOf(this.shards), pos, mach, machine, machines.length - 1);
    return new Ring(this.params, machines, pos, mach);
  }

  /** This ring with `machine` and its tokens removed; every other token stays. */
  leave(machine: string): Ring {
    assert(this.machines.includes(machine), `machine ${machine} is not on the ring`);
    assert(this.machines.length > 1, 'the last machine cannot leave');
    const machines = this.machines.filter((id) => id !== machine);
    const index = new Map<string, number>();
    machines.forEach((id, i) => index.set(id, i));
    const kept = this.tokens.filter((t) => t.machine !== machine);
    return new Ring(
      this.params,
      machines,
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

function addMachineTokens(params: RingParams, points: readonly number[], pos: number[], mach: number[], id: string, machine: number): void {
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
    placeBalancedTokens(points, p, m, id, machine, params.rf, params.vnodes, variant);
    const walks = walkAll(points, p, m, params.rf, machine + 1);
    const loads = new Array<number>(machine + 1).fill(0);
    for (const list of walks.lists) for (const x of list) loads[x] = (loads[x] as number) + 1;
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
    if (!shiftOnePath(lists, leader, count, machineCount)) return leader;
  }
  throw new AssertionError('leader balancing did not converge');
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
