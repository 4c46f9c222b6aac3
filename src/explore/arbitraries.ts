// Random whole scenarios, as plain objects in the YAML input shape (durations are strings), so
// a generated scenario can be written as a normal scenario file and `kvsim run` reproduces it.
//
// One builder (`buildScenario`) draws everything through a small `Draw` interface. Two drivers
// feed it: fast-check's `gen` (property tests get seeded, replayable arbitraries) and a seeded
// Rng stream (swarm mode, see swarm.ts). A `FaultProfile` says which fault kinds may appear and
// how often, and which network and read-level features are on; the default profile enables all.
//
// Generated scenarios are small (1.5-4 s under load + 2 s of settling) and stay inside the
// store's documented safety envelope: clock skew and drift are kept under `raft.maxClockDrift`
// (beyond it lease reads are unsafe by design, not by bug).
//
// Besides independent random faults, a scenario may carry one *recipe*: a few faults composed
// on purpose, the way Jepsen's combined nemeses are, because some failures need faults that
// hit the same machine at related moments — odds that independent draws almost never give:
//   flaky-bridge         two sides that only meet through one machine, whose disk is slow and
//                        which crashes again and again (restarts with unsynced writes lost);
//   slow-leader-cut-off  clocks drifting apart at up to 90 % of the drift bound, the leader's
//                        clock the slow one, and the leader cut off from its peers while clients
//                        still reach it (the lease-read hazard);
//   crash-slow-disk      one machine with a slow disk that crashes repeatedly;
//   leader-churn         the leader of a shard cut off from its peers again and again, clients
//                        still reaching it (deposed leaders and fresh leaders side by side);
//   leader-pause         the leader of a shard paused (a long GC pause) past an election
//                        timeout, again and again: it wakes up still believing it leads.
//
// Geography (`kvsim sweep --swarm --geo`): a second draw, from its own stream, gives the
// scenario a topology — 2 or 3 regions of 1 or 2 zones, machines and clients spread over them,
// latency per tier, sometimes read replicas in every zone or a leader region — and faults may
// then name a region or a zone, and a delay may slow the links between two regions. Election
// timeouts grow to at least ten times the slowest one-way latency, so a run without a bug
// elects and keeps leaders. Without that second draw nothing here changes: a swarm seed's
// scenario stays what it was.
//
// Faults at the worst moment: a third draw, from its own stream too, adds (to half of the swarm
// seeds) one to three faults triggered by a protocol event (`when: { event: truncated }`, ...)
// that crash, pause, isolate or clog the machine involved or its peer right then, or a few
// milliseconds later. They come last in the list, after the recipe's, so every other fault
// keeps its index and its random stream; a seed without them has exactly its old scenario.
import fc from 'fast-check';
import type { z } from 'zod';
import type { Rng } from '../sim/random.js';
import { formatDurationUs, parseDurationUs } from '../base/time.js';
import type { ReadLevel, scenarioSchema } from '../scenario/schema.js';
import { AssertionError, assertNever } from '../base/assert.js';
import { actionName, FAULT_KINDS, isLasting, type FaultKind } from '../scenario/fault.js';
import { PROTOCOL_EVENTS, type ProtocolEventName } from '../scenario/protocol-events.js';

/** A scenario in the YAML input shape (what a file holds before validation). */
export type ScenarioInput = z.input<typeof scenarioSchema>;
export type FaultInput = NonNullable<ScenarioInput['faults']>[number];

/**
 * The fault actions the generator draws from: the whole vocabulary, membership included, except
 * `garble`, which a scenario gets from a stream of its own (addGarble) so that adding it changed
 * no earlier seed's draws (kinds are drawn by position in this list).
 */
export const DRAWN_KINDS: readonly FaultKind[] = FAULT_KINDS.filter((k) => k !== 'garble');
export type { FaultKind };


export const READ_LEVELS: readonly ReadLevel[] = ['linearizable', 'lease', 'follower', 'session', 'bounded'];

/** Composed fault patterns (see the top comment). */
export const RECIPES = ['flaky-bridge', 'slow-leader-cut-off', 'crash-slow-disk', 'leader-churn', 'leader-pause'] as const;
export type Recipe = (typeof RECIPES)[number];

/** What a scenario may contain: fault kinds with weights (absent = off), features on or off. */
export interface FaultProfile {
  /** Relative weight of each enabled fault kind; a kind not listed never appears. */
  kinds: Partial<Record<FaultKind, number>>;
  faultsMax: number;
  /** Probability that a fault repeats (`every`) or waits for a state condition (`when`). */
  everyProbability: number;
  whenProbability: number;
  networkDrop: boolean;
  networkDuplicate: boolean;
  networkReorder: boolean;
  networkTail: boolean;
  levels: readonly ReadLevel[];
  /** Recipes that may appear (relative weights), and the probability that a scenario has one. */
  recipes: Partial<Record<Recipe, number>>;
  recipeProbability: number;
}

export function fullProfile(): FaultProfile {
  const kinds: Partial<Record<FaultKind, number>> = {};
  for (const k of DRAWN_KINDS) kinds[k] = 1;
  return {
    kinds,
    faultsMax: 6,
    everyProbability: 0.2,
    whenProbability: 0.15,
    networkDrop: true,
    networkDuplicate: true,
    networkReorder: true,
    networkTail: true,
    levels: READ_LEVELS,
    recipes: Object.fromEntries(RECIPES.map((r) => [r, 1])),
    recipeProbability: 0.3,
  };
}

/** The source of choices. Smaller results are simpler (fast-check shrinks toward them). */
export interface Draw {
  /** Integer in [lo, hi], both inclusive. */
  int(lo: number, hi: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  /** One of `items` (put the simplest first). */
  pick<T>(items: readonly T[]): T;
}

/** Draws from a seeded stream (swarm mode). */
export function rngDraw(rng: Rng): Draw {
  return { int: (lo, hi) => rng.int(lo, hi), chance: (p) => rng.chance(p), pick: (items) => rng.pick(items) };
}

const CHANCE_STEPS = 1000;

/** Draws through fast-check's `gen`, so every choice is replayable and shrinks toward "off". */
export function genDraw(g: fc.GeneratorValue): Draw {
  return {
    int: (lo, hi) => g(fc.integer, { min: lo, max: hi }),
    // Shrinks toward 0, which means false: features switch off while shrinking.
    chance: (p) => g(fc.integer, { min: 0, max: CHANCE_STEPS - 1 }) >= CHANCE_STEPS - Math.round(p * CHANCE_STEPS),
    pick: (items) => items[g(fc.integer, { min: 0, max: items.length - 1 })]!,
  };
}

/** `1500000` -> `1500ms`; `2000000` -> `2s`; keeps the largest exact unit. */
export const durationText = formatDurationUs;

const MS = 1_000;
const S = 1_000_000;
/** Settling after the load: long enough for elections after every fault is undone. */
const SETTLE_US = 2 * S;

/** Picks a weighted fault kind among the enabled ones. */
function pickKind(draw: Draw, kinds: Partial<Record<FaultKind, number>>): FaultKind | undefined {
  const enabled = DRAWN_KINDS.filter((k) => (kinds[k] ?? 0) > 0);
  if (enabled.length === 0) return undefined;
  const total = enabled.reduce((sum, k) => sum + Math.max(1, Math.round(kinds[k]!)), 0);
  let at = draw.int(0, total - 1);
  for (const k of enabled) {
    at -= Math.max(1, Math.round(kinds[k]!));
    if (at < 0) return k;
  }
  return enabled[enabled.length - 1];
}

interface Shape {
  machines: number;
  replication: number;
  shards: number;
  durationUs: number;
  electionTimeoutUs: number;
  maxClockDriftUs: number;
  keys: number;
  /** Membership drawn so far: machines joined, left and replaced (keeps the cluster viable). */
  joined: number;
  left: number;
  replaced: number;
  /** Region and zone names when the scenario has a topology (faults may then name them). */
  places?: { regions: string[]; zones: string[] };
}

function machineName(i: number): string {
  return `n${i}`;
}

function target(draw: Draw, shape: Shape): string {
  const places = shape.places;
  const kind = draw.int(0, places === undefined ? 4 : 6);
  if (places !== undefined && kind === 5) return `region(${draw.pick(places.regions)})`;
  if (places !== undefined && kind === 6) return `zone(${draw.pick(places.zones)})`;
  switch (kind) {
    case 0:
      return 'random';
    case 1:
      return `leader(shard ${draw.int(0, shape.shards - 1)})`;
    case 2:
      return 'leader(any)';
    case 3:
      return 'minority';
    default:
      return machineName(draw.int(1, shape.machines));
  }
}

/** A random split of n1..nM into `count` non-empty sides. */
function split(draw: Draw, machines: readonly string[], count: number): string[][] {
  const pool = [...machines];
  // Fisher-Yates with the draw, so the split is replayable.
  for (let i = pool.length - 1; i > 0; i--) {
    const j = draw.int(0, i);
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  const sides: string[][] = Array.from({ length: count }, () => []);
  pool.forEach((m, i) => sides[i < count ? i : draw.int(0, count - 1)]!.push(m));
  return sides.map((side) => machines.filter((m) => side.includes(m)));
}

/** The action part of one fault (its kind may differ from the one asked for: see leave, replace). */
function action(draw: Draw, kind: FaultKind, shape: Shape): Partial<FaultInput> {
  const all = Array.from({ length: shape.machines }, (_, i) => machineName(i + 1));
  switch (kind) {
    case 'partition': {
      const form = draw.int(0, 2);
      if (form === 0) return { partition: [[target(draw, shape)], ['rest']] };
      if (form === 1) return { partition: [['minority'], ['rest']] };
      return { partition: split(draw, all, Math.min(shape.machines, draw.int(2, 3))) };
    }
    case 'isolate':
      return { isolate: target(draw, shape) };
    case 'oneway':
      return draw.chance(0.5)
        ? { oneway: { from: [target(draw, shape)], to: ['rest'] } }
        : { oneway: { from: ['rest'], to: [target(draw, shape)] } };
    case 'bridge': {
      const [a, b, via] = split(draw, all, 3) as [string[], string[], string[]];
      return { bridge: { sides: [a, [...b, ...via.slice(1)]], via: via[0]! } };
    }
    case 'heal':
      return { heal: 'all' };
    case 'crash':
      return { crash: target(draw, shape) };
    case 'restart':
      return { restart: draw.chance(0.5) ? 'all' : target(draw, shape) };
    case 'pause':
      return { pause: target(draw, shape) };
    case 'resume':
      return { resume: draw.chance(0.5) ? 'all' : target(draw, shape) };
    case 'skew': {
      // Within the drift bound: offsets up to 1/8 of it, drift small enough that over two
      // election timeouts the clocks move apart by at most 1/8 of it.
      const offsetMaxUs = Math.floor(shape.maxClockDriftUs / 8);
      const offsetUs = draw.int(-offsetMaxUs, offsetMaxUs);
      const driftMaxPpm = Math.floor((shape.maxClockDriftUs * 1_000_000) / (8 * 2 * shape.electionTimeoutUs));
      const driftPpm = draw.int(-driftMaxPpm, driftMaxPpm);
      const offset = offsetUs < 0 ? `-${durationText(-offsetUs)}` : durationText(offsetUs);
      return { skew: { machine: target(draw, shape), offset, driftPpm } };
    }
    case 'drop':
      return { drop: draw.pick([0.05, 0.1, 0.2, 0.3, 0.5]) };
    case 'duplicate':
      return { duplicate: draw.pick([0.05, 0.1, 0.2, 0.3]) };
    case 'delay': {
      const extra = durationText(draw.pick([1, 5, 10, 20, 50]) * MS);
      const regions = shape.places?.regions;
      if (regions !== undefined && draw.chance(0.5)) {
        const a = draw.int(0, regions.length - 1);
        const b = (a + draw.int(1, regions.length - 1)) % regions.length;
        return { delay: { extra, between: [`region(${regions[a]!})`, `region(${regions[b]!})`] } };
      }
      return { delay: extra };
    }
    case 'reorder':
      return { reorder: true };
    case 'clog':
      return draw.chance(0.5)
        ? { clog: target(draw, shape) }
        : { clog: { from: target(draw, shape), to: target(draw, shape) } };
    case 'slowDisk':
      return { slowDisk: { machine: target(draw, shape), factor: draw.pick([2, 10, 50, 200]) } };
    case 'spike':
      return draw.chance(0.5)
        ? { spike: { factor: draw.pick([2, 3, 5]) } }
        : { spike: { factor: draw.pick([2, 3, 5]), key: `k${draw.int(0, shape.keys - 1)}` } };
    case 'transfer': {
      const shard = draw.int(0, shape.shards - 1);
      // With one replica there is no one to hand over to: the store's engine asserts on
      // `transfer` without `to` then (reported as a store bug), so name a target instead.
      return shape.replication > 1 && draw.chance(0.5)
        ? { transfer: { shard } }
        : { transfer: { shard, to: machineName(draw.int(1, shape.machines)) } };
    }
    case 'join':
      // New names after the founding machines (n6 joins a 5-machine cluster).
      shape.joined++;
      return { join: machineName(shape.machines + shape.joined) };
    case 'leave': {
      // Keep at least RF members, so every shard can still have a full replica set.
      const members = shape.machines + shape.joined - shape.left - shape.replaced;
      if (members <= shape.replication) return { join: machineName(shape.machines + ++shape.joined) };
      shape.left++;
      return { leave: machineName(draw.int(1, shape.machines)) };
    }
    case 'replace':
      // A replaced machine is gone for good: with RF < 3, or twice, that loses data or a quorum
      // for real — not a store bug. Draw a join instead then.
      if (shape.replication < 3 || shape.replaced > 0) return { join: machineName(shape.machines + ++shape.joined) };
      shape.replaced++;
      return { replace: machineName(draw.int(1, shape.machines)) };
    case 'garble':
      return { garble: draw.pick([0.01, 0.05, 0.2, 0.5]) };
    default:
      return assertNever(kind, 'fault kind');
  }
}

function fault(draw: Draw, kind: FaultKind, shape: Shape, profile: FaultProfile): FaultInput {
  const act = action(draw, kind, shape);
  // Only a fault that stays in force can be undone (`for` makes sense).
  const undoable = isLasting(actionName(act));
  const loadEndUs = shape.durationUs;
  const trigger: Partial<FaultInput> = {};
  let forUs: number | undefined;
  if (draw.chance(profile.everyProbability)) {
    const everyUs = draw.int(3, Math.max(3, Math.floor(loadEndUs / (2 * 100 * MS)))) * 100 * MS;
    trigger.every = durationText(everyUs);
    if (draw.chance(0.5)) trigger.from = durationText(draw.int(1, Math.max(1, Math.floor(loadEndUs / (100 * MS)) - 1)) * 100 * MS);
    // A repeated fault is undone before it fires again.
    if (undoable) forUs = draw.int(1, Math.max(1, Math.floor(everyUs / (100 * MS)) - 1)) * 100 * MS;
  } else if (draw.chance(profile.whenProbability)) {
    trigger.when = draw.chance(0.5)
      ? { leaderElected: draw.chance(0.5) ? 'any' : draw.int(0, shape.shards - 1) }
      : { opsCompleted: draw.int(1, 200) };
    if (undoable && draw.chance(0.8)) forUs = draw.int(1, 15) * 100 * MS;
  } else {
    trigger.at = durationText(draw.int(1, Math.max(1, Math.floor(loadEndUs / (100 * MS)) - 1)) * 100 * MS);
    if (undoable && draw.chance(0.8)) forUs = draw.int(1, 15) * 100 * MS;
  }
  // Clock skew always ends (an open-ended skew piles up with the next one).
  if (kind === 'skew' && forUs === undefined) forUs = 500 * MS;
  return { ...trigger, ...(forUs !== undefined && { for: durationText(forUs) }), ...act } as FaultInput;
}

function pickRecipe(draw: Draw, recipes: Partial<Record<Recipe, number>>): Recipe | undefined {
  const enabled = RECIPES.filter((r) => (recipes[r] ?? 0) > 0);
  if (enabled.length === 0) return undefined;
  const total = enabled.reduce((sum, r) => sum + Math.max(1, Math.round(recipes[r]!)), 0);
  let at = draw.int(0, total - 1);
  for (const r of enabled) {
    at -= Math.max(1, Math.round(recipes[r]!));
    if (at < 0) return r;
  }
  return enabled[enabled.length - 1];
}

/** Rounds down to whole milliseconds (and at least 1 ms). */
function ms(us: number): number {
  return Math.max(MS, Math.floor(us / MS) * MS);
}

/**
 * Adds one recipe's faults to `out` (and the settings it needs: three replicas, lease reads, a
 * drift bound wide enough to matter). Everything stays inside the documented envelope.
 */
function addRecipe(draw: Draw, recipe: Recipe, shape: Shape, out: ScenarioInput, faults: FaultInput[]): void {
  const all = Array.from({ length: shape.machines }, (_, i) => machineName(i + 1));
  const startUs = draw.int(2, 4) * 100 * MS;
  // Until shortly before the load ends, so the undo fires inside the run.
  const untilEnd = (fromUs: number) => durationText(Math.max(100 * MS, shape.durationUs - fromUs - 100 * MS));
  switch (recipe) {
    case 'flaky-bridge': {
      const [a, b, via] = split(draw, all, 3) as [string[], string[], string[]];
      const bridgeVia = via[0]!;
      faults.push({ at: durationText(startUs), for: untilEnd(startUs), bridge: { sides: [a, [...b, ...via.slice(1)]], via: bridgeVia } } as FaultInput);
      faults.push({ at: durationText(startUs), for: untilEnd(startUs), slowDisk: { machine: bridgeVia, factor: draw.pick([200, 100]) } } as FaultInput);
      const everyUs = draw.int(2, 4) * 100 * MS;
      faults.push({ every: durationText(everyUs), from: durationText(startUs + 200 * MS), for: durationText(draw.int(5, 15) * 10 * MS), crash: bridgeVia } as FaultInput);
      return;
    }
    case 'crash-slow-disk': {
      const victim = machineName(draw.int(1, shape.machines));
      faults.push({ at: durationText(startUs), for: untilEnd(startUs), slowDisk: { machine: victim, factor: draw.pick([50, 10, 100, 200]) } } as FaultInput);
      const everyUs = draw.int(2, 6) * 100 * MS;
      faults.push({ every: durationText(everyUs), from: durationText(startUs + 100 * MS), for: durationText(draw.int(2, 15) * 10 * MS), crash: victim } as FaultInput);
      return;
    }
    case 'leader-churn': {
      const shard = draw.int(0, shape.shards - 1);
      const forUs = draw.int(10, 20) * shape.electionTimeoutUs / 10;
      const everyUs = ms(forUs + draw.int(2, 6) * 100 * MS);
      faults.push({ every: durationText(everyUs), from: durationText(startUs), for: durationText(ms(forUs)), partition: [[`leader(shard ${shard})`], ['rest']] } as FaultInput);
      return;
    }
    case 'leader-pause': {
      const shard = draw.int(0, shape.shards - 1);
      const forUs = ms((draw.int(15, 30) * shape.electionTimeoutUs) / 10);
      const everyUs = ms(forUs + draw.int(2, 5) * 100 * MS);
      faults.push({ every: durationText(everyUs), from: durationText(startUs), for: durationText(forUs), pause: `leader(shard ${shard})` } as FaultInput);
      return;
    }
    case 'slow-leader-cut-off': {
      // Clocks apart by at most 90 % of the drift bound over an election timeout: a correct
      // lease stays safe.
      const electionUs = shape.electionTimeoutUs;
      const driftUs = shape.maxClockDriftUs;
      const ppm = Math.floor((0.9 * driftUs * 1_000_000) / (2 * electionUs));
      // A steady open-loop stream of lease reads that keeps reaching the cut-off leader (a
      // closed loop would stall behind its unanswered writes).
      const w = out.workload!;
      delete w.mode;
      delete w.concurrency;
      w.clients = Math.max(4, w.clients);
      w.rate = Math.max(200, w.rate ?? 0);
      w.readRatio = Math.max(0.9, w.readRatio ?? 0);
      w.levels = { ...w.levels, lease: Math.max(5, w.levels?.lease ?? 0) };
      for (const m of all) faults.push({ at: durationText(100 * MS), for: untilEnd(100 * MS), skew: { machine: m, offset: '0ms', driftPpm: ppm } } as FaultInput);
      const shard = 0;
      // Cut off just long enough for a successor that times out early (the hazard needs one);
      // many short rounds give more chances than a few long ones.
      const forUs = ms((draw.int(13, 16) * electionUs) / 10);
      const everyUs = ms(forUs + draw.int(15, 30) * 10 * MS);
      const from = durationText(startUs + 200 * MS);
      // Same instant, skew first: both resolve the same current leader.
      faults.push({ every: durationText(everyUs), from, for: durationText(everyUs - 50 * MS), skew: { machine: `leader(shard ${shard})`, offset: '0ms', driftPpm: -ppm } } as FaultInput);
      faults.push({ every: durationText(everyUs), from, for: durationText(forUs), partition: [[`leader(shard ${shard})`], ['rest']] } as FaultInput);
      return;
    }
    default: {
      const never: never = recipe;
      throw new AssertionError(`unknown recipe ${String(never)}`);
    }
  }
}

/** What buildScenario tells about the parts it added (counts of faults, last in the list in this order). */
export interface SwarmMeta {
  recipe?: Recipe;
  recipeFaults?: number;
  eventFaults?: number;
  garbleFaults?: number;
  comebacks?: number;
  adminGarbleFaults?: number;
  leaseTransfers?: number;
}

const GEO_REGIONS = ['east', 'west', 'north'] as const;

interface GeoDraw {
  topology: NonNullable<ScenarioInput['topology']>;
  regions: string[];
  zones: string[];
  /** The slowest one-way latency between regions. */
  slowestUs: number;
}

/** A topology for `machines` servers (clients go round-robin over its zones), from the geography stream. */
function drawTopology(geo: Draw, machines: number): GeoDraw {
  const regionCount = Math.min(machines, geo.int(2, 3));
  const regions = GEO_REGIONS.slice(0, regionCount);
  const zoneNames: string[] = [];
  const layout: { region: string; zones: string[] }[] = regions.map((r) => {
    const zones = (geo.chance(0.5) ? ['a', 'b'] : ['a']).map((z) => `${r}-${z}`);
    zoneNames.push(...zones);
    return { region: r, zones };
  });
  // Every zone gets a machine while there are machines; the rest go to random zones.
  const perZone = new Map<string, string[]>(zoneNames.map((z) => [z, []]));
  for (let i = 0; i < machines; i++) {
    const z = i < zoneNames.length ? zoneNames[i]! : geo.pick(zoneNames);
    perZone.get(z)!.push(`n${i + 1}`);
  }
  const used = zoneNames.filter((z) => perZone.get(z)!.length > 0);
  const regionsUsed = layout.filter((l) => l.zones.some((z) => used.includes(z)));
  const slowestUs = geo.int(5, 30) * MS;
  const between = [] as { regions: [string, string]; min: string; mean: string; jitter: string; tailProbability: number; tailFactor: number }[];
  for (let i = 0; i < regionsUsed.length; i++) {
    for (let j = i + 1; j < regionsUsed.length; j++) {
      const meanUs = geo.int(Math.floor(slowestUs / MS / 2), slowestUs / MS) * MS;
      // Long links get a mild tail of their own: the network's tail factor (up to 20x) on 30 ms
      // would hold a FIFO link for longer than an election timeout, again and again.
      between.push({
        regions: [regionsUsed[i]!.region, regionsUsed[j]!.region],
        min: durationText(Math.floor(meanUs * 0.8)),
        mean: durationText(meanUs),
        jitter: durationText(Math.floor(meanUs / 20)),
        tailProbability: 0.01,
        tailFactor: 1.5,
      });
    }
  }
  const topology: GeoDraw['topology'] = {
    regions: Object.fromEntries(
      regionsUsed.map((l) => [l.region, { zones: Object.fromEntries(l.zones.filter((z) => used.includes(z)).map((z) => [z, { machines: perZone.get(z)! }])) }]),
    ),
    latency: {
      zone: { min: '100us', mean: durationText(geo.int(2, 10) * 100), jitter: '50us' },
      region: { min: '1ms', mean: durationText(geo.int(15, 50) * 100), jitter: '300us', tailProbability: 0.01, tailFactor: 3 },
      between,
    },
    ...(geo.chance(0.3) && { readReplicas: 'every-zone' as const }),
    ...(geo.chance(0.2) && { leaderRegion: regionsUsed[0]!.region }),
  };
  return { topology, regions: regionsUsed.map((l) => l.region), zones: used, slowestUs };
}

/**
 * Builds one scenario from the draws. `name` goes into the file (it is part of the trace).
 * `geo`, a draw of its own, gives the scenario a topology (see the top comment).
 */
export function buildScenario(
  draw: Draw,
  profile: FaultProfile,
  name: string,
  meta: SwarmMeta = {},
  /** Draws of their own for the parts added later, so that adding one shifted none of the others. */
  streams: { geo?: Draw; events?: Draw; garbling?: Draw; comeback?: Draw; adminGarbling?: Draw; leaseTransfer?: Draw } = {},
  /** The topology is optional (a plain swarm's share, not --geo): none for a recipe, whose
   * timings are tuned for one place and which a topology's stretched timeouts would blunt. */
  geoOptional = false,
): ScenarioInput {
  let geo = streams.geo;
  const { events, garbling, comeback, adminGarbling, leaseTransfer } = streams;
  // The recipe comes first: it shapes the cluster the other faults are drawn for.
  const recipe = draw.chance(profile.recipeProbability) ? pickRecipe(draw, profile.recipes) : undefined;
  if (geoOptional && recipe !== undefined) geo = undefined;
  let machines = draw.int(3, 7);
  const rfChoices = [1, 3, 5].filter((r) => r <= Math.min(5, machines));
  let replication = draw.chance(0.7) ? 3 : draw.pick(rfChoices);
  let shards = draw.int(1, 8);
  let durationUs = draw.int(15, 40) * 100 * MS;
  const tickUs = draw.pick([10, 5]) * MS;
  let electionTimeoutUs = draw.int(10, 30) * 10 * MS;
  let heartbeatUs = Math.max(tickUs, Math.floor(electionTimeoutUs / draw.pick([5, 3, 4]) / MS) * MS);
  let maxClockDriftUs = draw.pick([10, 5, 20]) * MS;
  if (recipe === 'flaky-bridge') {
    // Three machines and three replicas: every group has a replica on each side and the middle.
    // Several groups, and heartbeats that leave a restarted voter a while without a leader.
    machines = 3;
    replication = 3;
    shards = Math.max(6, shards);
    heartbeatUs = Math.max(heartbeatUs, Math.floor(electionTimeoutUs / 3 / MS) * MS);
  }
  if (recipe === 'slow-leader-cut-off') {
    // The hazard is a window of about the drift bound minus a tick and an election's round
    // trips, so the bound is wide (a third to a fifth of a longer election timeout). One shard,
    // so every read is one the cut-off leader could serve; 4 s of load for several rounds.
    replication = 3;
    shards = 1;
    durationUs = Math.max(durationUs, 4 * S);
    electionTimeoutUs = Math.max(electionTimeoutUs, draw.int(25, 30) * 10 * MS);
    heartbeatUs = Math.floor(electionTimeoutUs / 4 / MS) * MS;
    maxClockDriftUs = ms(electionTimeoutUs / draw.pick([3, 4, 5]));
  }
  // Sometimes a coarse key ring, so keys land exactly on shard boundaries; then a few dozen
  // keys, so some sit on a boundary and each still sees writes.
  const keyRingBits = draw.chance(0.3) ? draw.pick([8, 9, 8]) : undefined;
  const keys = keyRingBits !== undefined ? draw.pick([20, 10, 50]) : draw.pick([10, 1, 2, 5, 50, 200]);
  // Geography: the slowest link bounds the Raft timing from below (ten one-way trips).
  const places = geo === undefined ? undefined : drawTopology(geo, machines);
  if (places !== undefined && electionTimeoutUs < 10 * places.slowestUs) {
    electionTimeoutUs = 10 * places.slowestUs;
    heartbeatUs = Math.max(heartbeatUs, Math.floor(electionTimeoutUs / 5 / MS) * MS);
  }
  const shape: Shape = {
    machines,
    replication,
    shards,
    durationUs,
    electionTimeoutUs,
    maxClockDriftUs,
    keys,
    joined: 0,
    left: 0,
    replaced: 0,
    ...(places !== undefined && { places: { regions: places.regions, zones: places.zones } }),
  };

  const latencyMeanUs = draw.int(3, 30) * 100;
  const latencyMinUs = Math.min(latencyMeanUs, draw.int(1, 5) * 100);
  const network: NonNullable<ScenarioInput['network']> = {
    latency: {
      min: durationText(latencyMinUs),
      mean: durationText(latencyMeanUs),
      jitter: durationText(draw.int(0, Math.floor(latencyMeanUs / 200)) * 100),
      ...(profile.networkTail && draw.chance(0.5) && { tailProbability: draw.pick([0.001, 0.01, 0.05]), tailFactor: draw.pick([5, 2, 10, 20]) }),
    },
    ...(profile.networkDrop && draw.chance(0.5) && { drop: draw.pick([0.001, 0.01, 0.03, 0.05]) }),
    ...(profile.networkDuplicate && draw.chance(0.5) && { duplicate: draw.pick([0.001, 0.01, 0.03, 0.05]) }),
    ...(profile.networkReorder && draw.chance(0.5) && { reorder: true }),
  };

  // Under lasting message loss any election round can fail (a lost vote or answer costs an
  // election timeout), so the bound that must hold after healing is longer there: a run should
  // fail it by a defect, not by a streak of losses (seed 258668: a two-voter shard lost three
  // vote answers in a row at 5 % loss and took 1.8 s to elect, against a 2 s bound).
  // Across regions a vote takes a long one-way trip, so two candidates more often split the
  // vote before hearing of each other (seed 396 of --geo: two surviving voters 16 ms apart split
  // four rounds running, 2.2 s): the bound doubles there too.
  const settleUs = (network.drop ?? 0) >= 0.03 || places !== undefined ? 2 * SETTLE_US : SETTLE_US;

  const levels: Partial<Record<ReadLevel, number>> = {};
  for (const level of profile.levels) if (draw.chance(0.6)) levels[level] = draw.int(1, 5);
  if (Object.keys(levels).length === 0) levels[profile.levels.length > 0 ? draw.pick(profile.levels) : 'linearizable'] = 1;
  const distribution = draw.pick(['uniform', 'zipfian', 'hotspot'] as const);
  // Closed loop runs as fast as the store answers: fewer clients keep it small.
  const closed = draw.chance(0.2);
  const workload: NonNullable<ScenarioInput['workload']> = {
    clients: closed ? draw.int(1, 3) : draw.int(1, 8),
    ...(closed ? { mode: 'closed', concurrency: draw.int(1, 2) } : { rate: draw.int(2, 30) * 10 }),
    readRatio: draw.pick([0.9, 0.5, 0.8, 0.95, 0.99]),
    keys,
    distribution,
    levels,
    ...(levels.follower !== undefined && { followerChoice: draw.pick(['random', 'nearest', 'sticky'] as const) }),
    ...(levels.bounded !== undefined && { boundedStaleness: durationText(draw.pick([100, 50, 200, 500]) * MS) }),
    timeout: durationText(draw.pick([1000, 500, 2000]) * MS),
  };

  const faults: FaultInput[] = [];
  const count = draw.int(0, profile.faultsMax);
  for (let i = 0; i < count; i++) {
    const kind = pickKind(draw, profile.kinds);
    if (kind === undefined) break;
    faults.push(fault(draw, kind, shape, profile));
  }

  const scenario: ScenarioInput = {
    name,
    duration: durationText(durationUs),
    cluster: { machines, shards, replication, ...(keyRingBits !== undefined && { keyRingBits }) },
    network,
    disk: { fsyncMin: durationText(draw.int(1, 3) * 50), fsyncMean: durationText(draw.int(2, 20) * 100) },
    raft: {
      tick: durationText(tickUs),
      electionTimeout: durationText(electionTimeoutUs),
      heartbeat: durationText(heartbeatUs),
      maxClockDrift: durationText(maxClockDriftUs),
      snapshotEvery: draw.pick([1000, 20, 50, 200]),
      // Sometimes without PreVote or CheckQuorum: both are options real deployments switch off.
      ...(draw.chance(0.4) && { preVote: false }),
      ...(recipe !== 'slow-leader-cut-off' && draw.chance(0.25) && { checkQuorum: false }),
    },
    workload,
    // Sometimes read autoscaling, with thresholds low enough for small loads to cross.
    ...(draw.chance(0.1) && { placement: { autoscale: true, scaleUpReadsPerSec: draw.pick([20, 10, 40]), scaleDownReadsPerSec: 2, learnersMax: draw.int(1, 2) } }),
    checks: { settle: durationText(settleUs), livenessBound: durationText(settleUs) },
    faults,
  };
  if (recipe !== undefined) {
    const before = faults.length;
    addRecipe(draw, recipe, shape, scenario, faults);
    meta.recipe = recipe;
    meta.recipeFaults = faults.length - before;
  }
  if (leaseTransfer !== undefined && recipe === undefined) meta.leaseTransfers = addLeaseTransfers(leaseTransfer, profile, shape, scenario, faults);
  if (events !== undefined) meta.eventFaults = addEventFaults(events, profile, scenario, faults);
  if (garbling !== undefined) meta.garbleFaults = addGarble(garbling, durationUs, faults);
  if (comeback !== undefined) {
    const back = addComebacks(comeback, shape, durationUs, faults);
    meta.comebacks = back.added;
    if (back.durationUs !== durationUs) scenario.duration = durationText(back.durationUs);
  }
  if (adminGarbling !== undefined) meta.adminGarbleFaults = addAdminGarble(adminGarbling, durationUs, scenario, faults);
  if (places !== undefined && geo !== undefined) {
    // A machine that joins needs a zone too.
    const zones = Object.values(places.topology.regions).flatMap((r) => Object.values(r.zones));
    for (const f of faults) {
      // (A machine coming back keeps its zone.)
      if (f.join === undefined || zones.some((z) => (z.machines as string[]).includes(f.join!))) continue;
      const zone = geo.pick(zones);
      const list = zone.machines as string[];
      if (!list.includes(f.join)) list.push(f.join);
    }
    scenario.topology = places.topology;
  }
  return scenario;
}

/**
 * A garble fault for a quarter of the scenarios (the last fault in the list): from a random
 * moment, for a while, a share of all messages arrives with one value of the wrong type. Every
 * receiver must drop those (src/sim/garble.ts); one that acts on them is a found bug.
 */
function addGarble(g: Draw, durationUs: number, faults: FaultInput[]): number {
  if (!g.chance(0.25)) return 0;
  const atUs = g.int(0, Math.floor((durationUs * 3) / 4 / MS)) * MS;
  const forUs = g.int(1, 20) * 100 * MS;
  faults.push({ at: durationText(atUs), for: durationText(forUs), garble: g.pick([0.01, 0.05, 0.2, 0.5]) });
  return 1;
}

/** One scenario in this many, of those without a recipe and with transfers on, gets lease reads across leadership transfers (addLeaseTransfers). */
export const LEASE_TRANSFER_SHARE_DENOMINATOR = 4;

/**
 * Lease reads across leadership transfers, for a share of the scenarios without a recipe and
 * with transfers on: a
 * lease-read stream, a shard's leadership handed over every few hundred milliseconds, and at
 * some of the hand-overs the target's messages to the old leader held up for an election
 * timeout or two. The old leader then does not hear that its target has won, while the target
 * wins the third voter at once (a TimeoutNow campaign skips leader stickiness): a leader that
 * kept serving lease reads during or just after a transfer answers from before the new
 * leader's writes. Returns how many faults it added.
 */
function addLeaseTransfers(lt: Draw, profile: FaultProfile, shape: Shape, scenario: ScenarioInput, faults: FaultInput[]): number {
  // Only with transfers on in the profile (and the clogs only with clogs on), like every other drawn fault.
  if (!lt.chance(1 / LEASE_TRANSFER_SHARE_DENOMINATOR) || shape.replication < 3 || profile.kinds.transfer === undefined) return 0;
  // A lease needs CheckQuorum.
  if (scenario.raft !== undefined) delete scenario.raft.checkQuorum;
  const w = scenario.workload!;
  delete w.mode;
  delete w.concurrency;
  w.clients = Math.max(4, w.clients);
  w.rate = Math.max(200, w.rate ?? 0);
  w.readRatio = Math.min(w.readRatio ?? 0.8, 0.8);
  w.levels = { ...w.levels, lease: Math.max(5, w.levels?.lease ?? 0) };
  const shard = lt.int(0, shape.shards - 1);
  const fromUs = lt.int(3, 8) * 100 * MS;
  const everyUs = lt.int(4, 9) * 100 * MS;
  const before = faults.length;
  faults.push({ every: durationText(everyUs), from: durationText(fromUs), until: durationText(Math.max(fromUs + everyUs, shape.durationUs - 200 * MS)), transfer: { shard } } as FaultInput);
  for (let nth = 1; nth <= 4 && profile.kinds.clog !== undefined; nth++) {
    if (!lt.chance(0.6)) continue;
    const forUs = ms((lt.int(10, 25) * shape.electionTimeoutUs) / 10);
    faults.push({ when: { event: 'transferStarted', shard, nth }, for: durationText(forUs), clog: { from: 'peer', to: 'involved' } } as FaultInput);
  }
  return faults.length - before;
}

/**
 * A garble fault aimed at the placement driver's traffic (`messages: [admin]`), for 4 in 5 of the
 * scenarios that move replicas (a membership change at a fixed time, or read autoscaling) and
 * have no other garble fault (two would undo each other's rates). Garbling all messages almost
 * never reaches the rare ones — a host reply is sent once per replica moved — so their
 * validators went untested. The window opens at or just before a membership change and lasts
 * 0.5-2.5 s, the time its moves take; the rate stays low (10-30 %): the driver needs a status
 * reply from a shard's leader before each step, and at high rates it stalls, moving nothing
 * (and sending no host request) until the garbling ends. Last in the list. Returns 0 or 1.
 */
function addAdminGarble(a: Draw, durationUs: number, scenario: ScenarioInput, faults: FaultInput[]): number {
  if (!a.chance(0.8) || faults.some((f) => f.garble !== undefined)) return 0;
  const changes = faults.filter((f) => (f.join !== undefined || f.leave !== undefined || f.replace !== undefined) && f.at !== undefined);
  let atUs: number;
  if (changes.length > 0) atUs = Math.max(0, parseDurationUs(a.pick(changes).at!)! - a.int(0, 2) * 100 * MS);
  else if (scenario.placement?.autoscale === true) atUs = a.int(0, Math.floor((durationUs * 3) / 4 / MS)) * MS;
  else return 0;
  const forUs = a.int(5, 25) * 100 * MS;
  faults.push({ at: durationText(atUs), for: durationText(forUs), garble: { rate: a.pick([0.2, 0.1, 0.3]), messages: ['admin'] } });
  return 1;
}

/**
 * A machine that left comes back (for half of the leaves at a fixed time, when the run has room):
 * the ring hands it shards it held before, so a server hosts a shard again after dropping it —
 * a new incarnation of the replica, a tombstone to step over, late copies of the old drop
 * arriving after the new host. Without this, swarm runs move replicas only one way.
 */
function addComebacks(c: Draw, shape: { machines: number; replication: number }, durationUs: number, faults: FaultInput[]): { added: number; durationUs: number } {
  let added = 0;
  for (const f of [...faults]) {
    if (f.leave === undefined || f.at === undefined || !c.chance(0.5)) continue;
    const atUs = parseDurationUs(f.at);
    if (atUs === undefined) continue;
    const backUs = atUs + c.int(3, 15) * 100 * MS;
    if (backUs > durationUs - 100 * MS) continue;
    faults.push({ at: durationText(backUs), join: f.leave });
    added++;
  }
  // Leaves are rare (a profile with them on, a fixed time, room to come back), so a few runs
  // more get a leave and a comeback of their own, whatever the profile: both are plain
  // operations of a store, not faults.
  // Sometimes twice over: a founding replica's first return is its first on-request hosting,
  // the second one steps over a tombstone of an on-request incarnation. The run is lengthened
  // for it when needed (each way takes moves, snapshots and drops).
  let endUs = durationUs;
  if (added === 0 && shape.machines > shape.replication && c.chance(0.08)) {
    const m = machineName(c.int(1, shape.machines));
    let atUs = c.int(2, 5) * 100 * MS;
    for (let round = c.int(1, 2); round > 0; round--) {
      const backUs = atUs + c.int(6, 12) * 100 * MS;
      faults.push({ at: durationText(atUs), leave: m }, { at: durationText(backUs), join: m });
      added += 2;
      atUs = backUs + c.int(6, 12) * 100 * MS;
      endUs = Math.max(endUs, backUs + 300 * MS);
    }
  }
  return { added, durationUs: endUs };
}

/** The actions an event-triggered fault may take, each on the machine involved or its peer. */
const EVENT_ACTIONS = ['crash', 'pause', 'isolate', 'clog'] as const;

/**
 * Adds faults aimed at protocol events (see the top comment) to half of the scenarios, using
 * only actions the profile has on, and events the scenario can reach: transfers need a transfer
 * fault, membership changes a join, leave, replace or autoscaling. Returns how many it added.
 */
function addEventFaults(ev: Draw, profile: FaultProfile, scenario: ScenarioInput, faults: FaultInput[]): number {
  if (!ev.chance(0.5)) return 0;
  const choices = eventFaultChoices(profile, scenario, faults);
  if (choices === null) return 0;
  const count = ev.int(1, 3);
  for (let i = 0; i < count; i++) faults.push(drawEventFault(ev, choices));
  return count;
}

/** What an event-triggered fault may do in this scenario; null when the profile allows no action. */
export function eventFaultChoices(
  profile: FaultProfile,
  scenario: ScenarioInput,
  faults: readonly FaultInput[],
): { actions: (typeof EVENT_ACTIONS)[number][]; events: ProtocolEventName[] } | null {
  const actions = EVENT_ACTIONS.filter((k) => profile.kinds[k] !== undefined);
  if (actions.length === 0) return null;
  const has = (key: 'transfer' | 'join' | 'leave' | 'replace') => faults.some((f) => f[key] !== undefined);
  const events = PROTOCOL_EVENTS.filter((e: ProtocolEventName) => {
    if (e === 'transferStarted' || e === 'transferReceived') return has('transfer');
    if (e === 'confAppended') return has('join') || has('leave') || has('replace') || scenario.placement?.autoscale === true;
    return true;
  });
  return { actions, events };
}

/** One fault at a protocol event: on the machine involved or (3 in 10) its peer, maybe at the nth event, maybe a little later. */
export function drawEventFault(ev: Draw, choices: NonNullable<ReturnType<typeof eventFaultChoices>>): FaultInput {
  const event = ev.pick(choices.events);
  const action = ev.pick(choices.actions);
  // A restart has no peer.
  const target = event !== 'restarted' && ev.chance(0.3) ? 'peer' : 'involved';
  const when: NonNullable<FaultInput['when']> = { event };
  if (ev.chance(0.5)) when.nth = ev.int(1, 4);
  if (ev.chance(0.5)) when.delay = durationText(ev.pick([1, 2, 5, 10, 20]) * MS);
  const forText = durationText(ev.int(1, 10) * 50 * MS);
  // A clog between the two (2 in 5 of them, one way): the moment one side hears the other late —
  // a leader that starts a transfer, say, not hearing that its target has won — while both still
  // reach everyone else. (Drawn last, so the draws above are those of a plain clog.)
  if (action === 'clog' && event !== 'restarted' && ev.chance(0.4)) {
    const clog = ev.chance(0.5) ? { from: 'peer', to: 'involved' } : { from: 'involved', to: 'peer' };
    return { when, for: forText, clog } as FaultInput;
  }
  return { when, for: forText, [action]: target } as FaultInput;
}

/** A swarm profile: a random subset of fault kinds and features, with random weights. */
export function drawProfile(draw: Draw): FaultProfile {
  const kinds: Partial<Record<FaultKind, number>> = {};
  for (const k of DRAWN_KINDS) if (draw.chance(0.5)) kinds[k] = draw.int(1, 10);
  const levels = READ_LEVELS.filter(() => draw.chance(0.6));
  const recipes: Partial<Record<Recipe, number>> = {};
  for (const r of RECIPES) if (draw.chance(0.6)) recipes[r] = draw.int(1, 5);
  return {
    kinds,
    faultsMax: draw.int(1, 8),
    everyProbability: draw.pick([0, 0.1, 0.3, 0.5]),
    whenProbability: draw.pick([0, 0.1, 0.3]),
    networkDrop: draw.chance(0.5),
    networkDuplicate: draw.chance(0.5),
    networkReorder: draw.chance(0.5),
    networkTail: draw.chance(0.5),
    levels: levels.length > 0 ? levels : ['linearizable', 'follower'],
    recipes,
    recipeProbability: draw.pick([0.5, 0.25, 0.75]),
  };
}

/** fast-check arbitrary of whole scenarios under a profile (default: everything enabled). */
export function scenarioArbitrary(profile: FaultProfile = fullProfile(), name = 'generated'): fc.Arbitrary<ScenarioInput> {
  return fc.gen().map((g) => buildScenario(genDraw(g), profile, name));
}

/** fast-check arbitrary of swarm scenarios: the profile is drawn too. */
export function swarmArbitrary(name = 'generated'): fc.Arbitrary<ScenarioInput> {
  return fc.gen().map((g) => {
    const draw = genDraw(g);
    return buildScenario(draw, drawProfile(draw), name);
  });
}
