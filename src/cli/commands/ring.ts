// `kvsim ring`: placement and balance of the ring for a cluster size, without running anything.
import type { Command } from 'commander';
import { UserError } from '../errors.js';
import { DEFAULT_VNODES, MAX_MACHINES, MAX_SHARDS, MAX_VNODES, Ring, type Spread, type TokenPlacement } from '../../store/ring.js';
import type { Place } from '../../base/place.js';

/** Where `kvsim ring --zones Z --regions R` puts machines: round-robin over zones r1-z1, r2-z1, ... */
export interface RingLayout {
  zones: number;
  regions: number;
  leaderRegion?: string;
}

/** Machine i (0-based) goes to zone i mod Z; zones go round-robin over the regions. */
export function layoutPlaces(ids: readonly string[], layout: RingLayout): Map<string, Place> {
  const places = new Map<string, Place>();
  ids.forEach((id, i) => {
    const z = i % layout.zones;
    const region = `r${(z % layout.regions) + 1}`;
    places.set(id, { region, zone: `${region}-z${Math.floor(z / layout.regions) + 1}` });
  });
  return places;
}

/** Targets from the membership issue, at 10 machines, 256 shards, RF 3. */
export const TARGET_REPLICAS_MAX_OVER_MEAN = 1.1;
export const TARGET_LEADERS_MAX_OVER_MEAN = 1.25;
export const TARGET_MOVED_ON_JOIN_OVER_IDEAL = 1.15;

export interface RingReport {
  machines: number;
  shards: number;
  rf: number;
  vnodes: number;
  placement: TokenPlacement;
  replicasMaxOverMean: number;
  leadersMaxOverMean: number;
  movedOnJoin: number;
  movedOnJoinIdeal: number;
  /** Worst case over the machines: a leave moves exactly the leaver's replicas. */
  movedOnLeave: number;
  movedOnLeaveIdeal: number;
  perMachine: { machine: string; replicas: number; leaders: number }[];
  /** With --zones/--regions: replicas and leaders per zone and region, and shards sharing one. */
  spread?: Spread;
}

function parseCount(flag: string, raw: string | undefined, max: number): number {
  if (raw === undefined) throw new UserError(`ring: --${flag} is required`);
  if (!/^[0-9]+$/.test(raw)) throw new UserError(`ring: --${flag} expects a positive integer, got '${raw}'`);
  const n = Number(raw);
  if (n < 1 || n > max) throw new UserError(`ring: --${flag} must be between 1 and ${max}, got ${raw}`);
  return n;
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

export function ringReport(machines: number, shards: number, rf: number, vnodes: number, placement: TokenPlacement, layout?: RingLayout): RingReport {
  const ids = Array.from({ length: machines + 1 }, (_, i) => `n${i + 1}`); // the last one is the joiner
  const places = layout === undefined ? undefined : layoutPlaces(ids, layout);
  const ring = Ring.build({
    machines: ids.slice(0, machines),
    shards,
    rf,
    vnodes,
    placement,
    ...(places !== undefined && { places, ...(layout?.leaderRegion !== undefined && { leaderRegion: layout.leaderRegion }) }),
  });
  const balance = ring.balance();
  const join = ring.movedOnJoin(`n${machines + 1}`);
  let movedOnLeave = 0;
  let movedOnLeaveIdeal = 0;
  if (machines > 1) {
    // A leave moves exactly the leaver's replicas, so the worst leaver is the most loaded one.
    const worst = balance.machines.reduce((a, b) => (b.replicas > a.replicas ? b : a));
    const leave = ring.movedOnLeave(worst.machine);
    movedOnLeave = leave.replicaMoves;
    movedOnLeaveIdeal = round(leave.ideal);
  }
  return {
    machines,
    shards,
    rf,
    vnodes,
    placement,
    replicasMaxOverMean: round(balance.replicasMaxOverMean),
    leadersMaxOverMean: round(balance.leadersMaxOverMean),
    movedOnJoin: join.replicaMoves,
    movedOnJoinIdeal: round(join.ideal),
    movedOnLeave,
    movedOnLeaveIdeal,
    perMachine: balance.machines.map((m) => ({ machine: m.machine, replicas: m.replicas, leaders: m.leaders })),
    ...(places !== undefined && { spread: ring.spread()! }),
  };
}

function mark(ok: boolean): string {
  return ok ? 'pass' : 'FAIL';
}

function humanTable(r: RingReport): string {
  const lines: string[] = [];
  lines.push(`ring: ${r.machines} machines, ${r.shards} shards, RF ${r.rf}, ${r.vnodes} vnodes (${r.placement} tokens)`);
  lines.push('');
  const width = Math.max(7, ...r.perMachine.map((m) => m.machine.length));
  lines.push(`${'machine'.padEnd(width)}  replicas  leaders`);
  for (const m of r.perMachine) lines.push(`${m.machine.padEnd(width)}  ${String(m.replicas).padStart(8)}  ${String(m.leaders).padStart(7)}`);
  lines.push('');
  const joinRatio = r.movedOnJoin / r.movedOnJoinIdeal;
  lines.push(`replicas max/mean  ${r.replicasMaxOverMean.toFixed(3)}  target <= ${TARGET_REPLICAS_MAX_OVER_MEAN}  ${mark(r.replicasMaxOverMean <= TARGET_REPLICAS_MAX_OVER_MEAN)}`);
  lines.push(`leaders max/mean   ${r.leadersMaxOverMean.toFixed(3)}  target <= ${TARGET_LEADERS_MAX_OVER_MEAN}  ${mark(r.leadersMaxOverMean <= TARGET_LEADERS_MAX_OVER_MEAN)}`);
  lines.push(
    `moved on join     ${r.movedOnJoin} (ideal ${r.movedOnJoinIdeal}, x${joinRatio.toFixed(3)})  target <= ${TARGET_MOVED_ON_JOIN_OVER_IDEAL} x ideal  ${mark(joinRatio <= TARGET_MOVED_ON_JOIN_OVER_IDEAL)}`,
  );
  lines.push(`moved on leave    ${r.movedOnLeave} (ideal ${r.movedOnLeaveIdeal}, worst machine)`);
  const sp = r.spread;
  if (sp !== undefined) {
    lines.push('');
    lines.push(`${'zone'.padEnd(10)}  region  machines  replicas  leaders`);
    for (const z of sp.zones) lines.push(`${z.zone.padEnd(10)}  ${z.region.padEnd(6)}  ${String(z.machines).padStart(8)}  ${String(z.replicas).padStart(8)}  ${String(z.leaders).padStart(7)}`);
    lines.push(`shards with two replicas in one zone: ${sp.shardsWithSharedZone}; in one region: ${sp.shardsWithSharedRegion}`);
    lines.push(`fewest zones per shard ${sp.zonesPerShardMin}, fewest regions per shard ${sp.regionsPerShardMin}`);
  }
  return lines.join('\n');
}

export function registerRing(program: Command): void {
  program
    .command('ring')
    .description('placement and balance of the consistent-hashing ring')
    .option('--machines <n>', 'number of machines')
    .option('--shards <n>', 'number of shards')
    .option('--rf <n>', 'replication factor')
    .option('--vnodes <n>', `tokens per machine (default ${DEFAULT_VNODES})`)
    .option('--placement <kind>', 'token placement: balanced or hashed', 'balanced')
    .option('--zones <n>', 'place machines round-robin over N zones (zone-aware placement)')
    .option('--regions <n>', 'spread the zones over N regions (default 1; needs --zones)')
    .option('--leader-region <name>', 'preferred leaders in this region (r1, r2, ...; needs --zones)')
    .option('--json', 'print one JSON object')
    .action((opts: { machines?: string; shards?: string; rf?: string; vnodes?: string; placement: string; zones?: string; regions?: string; leaderRegion?: string; json?: boolean }) => {
      const machines = parseCount('machines', opts.machines, MAX_MACHINES);
      const shards = parseCount('shards', opts.shards, MAX_SHARDS);
      const rf = parseCount('rf', opts.rf, MAX_MACHINES);
      const vnodes = opts.vnodes === undefined ? DEFAULT_VNODES : parseCount('vnodes', opts.vnodes, MAX_VNODES);
      if (rf > machines) throw new UserError(`ring: --rf ${rf} exceeds --machines ${machines}`);
      if (opts.placement !== 'balanced' && opts.placement !== 'hashed') {
        throw new UserError(`ring: --placement expects 'balanced' or 'hashed', got '${opts.placement}'`);
      }
      let layout: RingLayout | undefined;
      if (opts.zones !== undefined) {
        const zones = parseCount('zones', opts.zones, MAX_MACHINES);
        const regions = opts.regions === undefined ? 1 : parseCount('regions', opts.regions, zones);
        if (opts.leaderRegion !== undefined && !/^r[1-9][0-9]*$/.test(opts.leaderRegion)) throw new UserError(`ring: --leader-region expects a region name r1..r${regions}, got '${opts.leaderRegion}'`);
        if (opts.leaderRegion !== undefined && Number(opts.leaderRegion.slice(1)) > regions) throw new UserError(`ring: --leader-region ${opts.leaderRegion}: there are ${regions} regions`);
        layout = { zones, regions, ...(opts.leaderRegion !== undefined && { leaderRegion: opts.leaderRegion }) };
      } else if (opts.regions !== undefined || opts.leaderRegion !== undefined) {
        throw new UserError('ring: --regions and --leader-region go with --zones N');
      }
      const report = ringReport(machines, shards, rf, vnodes, opts.placement, layout);
      if (opts.json === true) {
        const { perMachine, ...summary } = report;
        void perMachine;
        process.stdout.write(`${JSON.stringify(summary)}\n`);
      } else {
        process.stdout.write(`${humanTable(report)}\n`);
      }
    });
}
