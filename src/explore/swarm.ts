// Swarm mode: each seed switches a random subset of fault kinds (and network and read-level
// features) off entirely and gives the rest random weights, then builds a scenario from that
// profile. Swarm testing finds more distinct bugs than one fixed mix, because a bug that needs
// quiet in one dimension (no drops, say) is not drowned by every other fault at once.
//
// The choices come from the seed's own stream ('swarm') of a separate RandomStreams, so they
// never shift a draw of the run itself, which uses the same seed.
import { RandomStreams } from '../sim/random.js';
import { buildScenario, drawProfile, DRAWN_KINDS, rngDraw, type FaultProfile, type Recipe, type ScenarioInput, type SwarmMeta } from './arbitraries.js';
import { scenarioToYaml } from './yaml.js';
import { reproCommand } from '../scenario/repro.js';

/** Without `--geo`, one swarm scenario in this many has a topology anyway (none with a recipe). */
export const GEO_SHARE_DENOMINATOR = 4;

/**
 * One swarm scenario in this many runs with Raft quiescence on (idle groups stop heartbeating;
 * their followers stop their election clocks), decided by a stream of its own: it is off by
 * default, so without this no swarm run would ever execute that code.
 */
export const QUIESCE_SHARE_DENOMINATOR = 4;

/**
 * One swarm scenario in this many (one in two with one replica per shard) sets `cluster.vnodes`
 * (tokens per machine on the machines' ring), from a stream of its own, to one of VNODES_CHOICES
 * (one token twice as often as the others); the rest keep the default (24). Few tokens are where
 * the ring's walks wrap and its token allocator runs out of gaps — with one token per machine a
 * walk may lap the ring — and 64 is a ring denser than the default. With one replica a shard's
 * whole placement is one token's arc, so the allocator's edge cases decide it alone (one token
 * and one replica over four or more shards: the one shape where a wrong wrap in its event walk
 * shows), and RF 1 is a rare draw (about one scenario in eight): hence its larger share.
 */
export const VNODES_SHARE_DENOMINATOR = 4;
export const VNODES_SHARE_DENOMINATOR_RF1 = 2;
export const VNODES_CHOICES: readonly number[] = [1, 1, 2, 3, 4, 8, 64];

/** Swarm options: `geo` gives every scenario a topology (`--geo`; see arbitraries.ts). */
export interface SwarmOptions {
  readonly geo?: boolean;
}

export function swarmName(seed: number, options: SwarmOptions = {}): string {
  return options.geo === true ? `swarm-geo-${seed}` : `swarm-${seed}`;
}

/** The profile and scenario swarm mode runs for `seed` (a pure function of the seed and options). */
export function swarmDraw(
  seed: number,
  options: SwarmOptions = {},
): { profile: FaultProfile; scenario: ScenarioInput; recipe: Recipe | null; recipeFaults: number; eventFaults: number; garbleFaults: number; comebacks: number; adminGarbleFaults: number; leaseTransfers: number } {
  const streams = new RandomStreams(seed);
  const draw = rngDraw(streams.stream('swarm'));
  const profile = drawProfile(draw);
  const meta: SwarmMeta = {};
  // Geography draws from a stream of its own, so the other draws are what they would be without
  // it. Every scenario gets a topology with --geo; without, one in GEO_SHARE_DENOMINATOR does
  // (decided by yet another stream; never one with a recipe), so a plain sweep or hunt also runs
  // the zone- and region-aware code (ring walks, zone read replicas, leader regions, faults by place).
  const geoOn = options.geo === true || rngDraw(streams.stream('swarm/geo-share')).chance(1 / GEO_SHARE_DENOMINATOR);
  const geo = geoOn ? rngDraw(streams.stream('swarm/geo')) : undefined;
  // Faults aimed at protocol events draw from a third stream (added last, see arbitraries.ts).
  const events = rngDraw(streams.stream('swarm/events'));
  // Garbling draws from a fourth (added after the third, the same way).
  const garbling = rngDraw(streams.stream('swarm/garble'));
  // A machine that left joining again, from a fifth.
  const comeback = rngDraw(streams.stream('swarm/comeback'));
  // A garble fault aimed at the placement driver's messages while replicas move, from a sixth.
  const adminGarbling = rngDraw(streams.stream('swarm/garble-admin'));
  // Lease reads across transfers, from a seventh.
  const leaseTransfer = rngDraw(streams.stream('swarm/lease-transfer'));
  const scenario = buildScenario(draw, profile, swarmName(seed, options), meta, { geo, events, garbling, comeback, adminGarbling, leaseTransfer }, options.geo !== true);
  if (rngDraw(streams.stream('swarm/quiesce')).chance(1 / QUIESCE_SHARE_DENOMINATOR)) scenario.raft = { ...scenario.raft, quiesce: true };
  // Tokens per machine, from a stream of its own too (plain and --geo alike: the zone-aware
  // walk and allocator take any count).
  const vnodes = rngDraw(streams.stream('swarm/vnodes'));
  const vnodesShare = 1 / (scenario.cluster.replication === 1 ? VNODES_SHARE_DENOMINATOR_RF1 : VNODES_SHARE_DENOMINATOR);
  if (vnodes.chance(vnodesShare)) scenario.cluster = { ...scenario.cluster, vnodes: vnodes.pick(VNODES_CHOICES) };
  addTuning(rngDraw(streams.stream('swarm/tuning')), scenario);
  return {
    profile,
    scenario,
    recipe: meta.recipe ?? null,
    recipeFaults: meta.recipeFaults ?? 0,
    eventFaults: meta.eventFaults ?? 0,
    garbleFaults: meta.garbleFaults ?? 0,
    comebacks: meta.comebacks ?? 0,
    adminGarbleFaults: meta.adminGarbleFaults ?? 0,
    leaseTransfers: meta.leaseTransfers ?? 0,
  };
}

/**
 * Settings off their defaults that no other draw touches, from a stream of their own: each
 * default leaves code no swarm run would execute. One scenario in four gets per-group heartbeats
 * (coalesceHeartbeats off; not with quiescence, which needs the machine's beat), one in four a
 * small flow-control window (maxInflight 1, 2 or 4: a leader that must wait for acks before it
 * sends more), and one in eight a CPU cost per follower-level read (reads queue on a machine).
 */
function addTuning(t: ReturnType<typeof rngDraw>, scenario: ScenarioInput): void {
  fitAutoscale(scenario);
  if (t.chance(1 / 4) && scenario.raft?.quiesce !== true) scenario.raft = { ...scenario.raft, coalesceHeartbeats: false };
  if (t.chance(1 / 4)) scenario.raft = { ...scenario.raft, maxInflight: t.pick([1, 2, 4]) };
  if (t.chance(1 / 8)) scenario.cluster = { ...scenario.cluster, readServiceTime: t.pick(['50us', '200us', '1ms']) };
}

/**
 * Read autoscaling whose hot threshold the load can cross: the drawn threshold (10–40 reads/s
 * per replica) is lowered to an eighth of the reads one shard gets (open loop: rate × read
 * ratio / shards), but not below 3 (above the cold threshold of 2). Without this, 4 in 5 of the
 * autoscaling scenarios never added a read replica, so scale-up and scale-down went untested.
 */
function fitAutoscale(scenario: ScenarioInput): void {
  const p = scenario.placement;
  const w = scenario.workload;
  if (p?.autoscale !== true || p.scaleUpReadsPerSec === undefined || w?.rate === undefined) return;
  const perShard = (w.rate * (w.readRatio ?? 0.5)) / (scenario.cluster.shards ?? 1);
  p.scaleUpReadsPerSec = Math.min(p.scaleUpReadsPerSec, Math.max(3, Math.floor(perShard / 8)));
}

export function swarmScenario(seed: number, options: SwarmOptions = {}): ScenarioInput {
  return swarmDraw(seed, options).scenario;
}

/** The command that reruns a swarm seed from its written file. */
export function swarmRepro(seed: number, bugs: readonly string[], dir = 'reports', options: SwarmOptions = {}): string {
  return reproCommand(`${dir}/${swarmName(seed, options)}.yaml`, seed, bugs);
}

/**
 * The scenario file of a swarm seed: the text the worker runs and the file a failure leaves
 * under reports/ are the same, so the repro command replays the run bit for bit.
 */
export function swarmFileText(seed: number, bugs: readonly string[], dir = 'reports', options: SwarmOptions = {}): string {
  const { profile, scenario, recipe, eventFaults, garbleFaults, adminGarbleFaults, leaseTransfers } = swarmDraw(seed, options);
  const on = DRAWN_KINDS.filter((k) => profile.kinds[k] !== undefined).map((k) => `${k} x${profile.kinds[k]}`);
  const off = DRAWN_KINDS.filter((k) => profile.kinds[k] === undefined);
  const features = [
    profile.networkDrop && 'drop',
    profile.networkDuplicate && 'duplicate',
    profile.networkReorder && 'reorder',
    profile.networkTail && 'latency tail',
  ].filter((f): f is string => typeof f === 'string');
  return scenarioToYaml(scenario, [
    `${swarmName(seed, options)}: generated by \`kvsim sweep --swarm${options.geo === true ? ' --geo' : ''}\` for seed ${seed}.`,
    `Swarm profile: fault kinds on: ${on.length > 0 ? on.join(', ') : 'none'}.`,
    `Off: ${off.length > 0 ? off.join(', ') : 'none'}. Network features allowed: ${features.length > 0 ? features.join(', ') : 'none'}.`,
    `Read levels allowed: ${profile.levels.join(', ')}.`,
    `Recipe: ${recipe ?? 'none'} (composed faults, after the drawn ones; see src/explore/arbitraries.ts).${scenario.topology !== undefined && options.geo !== true ? ` Topology: drawn (one seed in ${GEO_SHARE_DENOMINATOR} without --geo, none with a recipe).` : ''}`,
    ...(leaseTransfers > 0 ? [`Lease reads across leadership transfers: ${leaseTransfers} faults (transfers, and clogs at some of them).`] : []),
    `Faults at protocol events: ${eventFaults}, then garbled messages: ${garbleFaults}${adminGarbleFaults > 0 ? `; last, garbled admin messages while replicas move: ${adminGarbleFaults}` : ' (last in the list)'}.`,
    `Reproduce: ${swarmRepro(seed, bugs, dir, options)}`,
  ]);
}
