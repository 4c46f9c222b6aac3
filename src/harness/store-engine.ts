// The store engine: what `kvsim run` simulates when a scenario has shards. It builds the
// ring, boots a StoreServer on every machine (n1..nM) and a client process on every client
// machine (c1..cC), records the history, counts elections from Raft trace events, and at the
// end of the run settles the store (load stopped, every fault undone, probes for liveness)
// before running the checkers over what happened.
import { checkConvergence, checkEventual, percentiles, type CommittedWrite, type ConvergenceInput } from '../check/eventual.js';
import { checkDurability, type ReplicaFinalState } from '../check/durability.js';
import { checkLiveness, type LivenessProbe } from '../check/liveness.js';
import { RaftInvariantChecker } from '../check/raft-invariants.js';
import { checkHistory } from '../check/linearizability.js';
import type { OpRecord, ReadLevel } from '../history/op.js';
import { defaultRaftConfig, type RaftConfig } from '../raft/config.js';
import type { Rng } from '../sim/random.js';
import type { World } from '../sim/world.js';
import type { CheckVerdict, Engine, EngineResults } from './engine.js';
import type { FaultSpec, Scenario } from '../scenario/schema.js';
import { resolveCommonTarget } from './demo.js';
import { keyDistribution, keyName, type KeyDistributionSpec } from '../workload/keys.js';
import { WorkloadDriver, type WorkloadConfig, type WorkloadShared } from '../workload/driver.js';
import { DEFAULT_CLIENT, StoreClient, type ClientOptions } from '../store/client.js';
import type { ClientReply } from '../store/protocol.js';
import { Ring } from '../store/ring.js';
import { StoreServer, type ServerEnv } from '../store/server.js';
import { DEFAULT_PLACEMENT, PlacementDriver, type Directory, type PlacementOptions } from '../store/placement.js';
import type { Router } from '../store/client.js';
import { machineOfReplica } from '../store/replica-id.js';
import { AssertionError } from '../base/assert.js';

export const DEFAULT_SETTLE_US = 5_000_000;
/** Bound on the extra settling a placement driver may take to finish its moves. */
const PLACEMENT_SETTLE_MAX_US = 30_000_000;
/** Pause before a liveness probe retries an operation that did not succeed. */
const PROBE_RETRY_US = 100_000;
/**
 * The liveness probe is a measuring instrument: it polls often, so a shard that serves again is
 * noticed within a few hundred milliseconds even when the network's own loss eats a request or
 * its reply (the workload's clients keep their configured, gentler backoff).
 */
const PROBE_CLIENT = { attemptTimeoutUs: 200_000, backoffMaxUs: 50_000 } as const;
/** Logical client ids of liveness probes (far above workload clients). */
const PROBE_CLIENT_BASE = 1_000_000_000;
/** Bound on the search for a probe key that lands in a given shard. */
const KEY_SEARCH_MAX = 1_000_000;
export const DEFAULT_LIVENESS_BOUND_US = 5_000_000;
/** Default linearizability work budget: about 8 M search steps, a few seconds at most. */
export const DEFAULT_LIN_WORK_POLLS = 2_000;

export interface StoreSettings {
  machines: string[];
  clients: string[];
  ring: Ring;
  raft: (group: number, id: string) => RaftConfig;
  snapshotEvery: number;
  client: ClientOptions;
  workload: WorkloadConfig;
  keys: KeyDistributionSpec;
  settleUs: number;
  livenessBoundUs: number;
  /** Linearizability work budget, in the search's deadline polls (about 4096 steps each). */
  linearizabilityWorkPolls: number;
  bugs: ReadonlySet<string>;
  /** The placement driver runs when the scenario manages membership (or asks for it). */
  placement: PlacementOptions | null;
  readServiceUs: number;
}

const MEMBERSHIP_ACTIONS = ['join', 'leave', 'replace'] as const;

export function settingsOf(scenario: Scenario, bugs: readonly string[]): StoreSettings {
  const machines = Array.from({ length: scenario.cluster.machines }, (_, i) => `n${i + 1}`);
  const w = scenario.workload ?? { clients: 4 };
  const clients = Array.from({ length: w.clients }, (_, i) => `c${i + 1}`);
  const bugSet = new Set(bugs);
  const ring = Ring.build({
    machines,
    shards: scenario.cluster.shards ?? 8,
    rf: scenario.cluster.replication ?? 3,
    ...(scenario.cluster.vnodes !== undefined && { vnodes: scenario.cluster.vnodes }),
    ...(scenario.cluster.keyRingBits !== undefined && { positionBits: scenario.cluster.keyRingBits }),
    bugs: bugSet,
  });
  const r = scenario.raft ?? {};
  const tickUs = r.tick ?? 10_000;
  const electionTicks = Math.max(3, Math.round((r.electionTimeout ?? 150_000) / tickUs));
  const heartbeatTicks = Math.max(1, Math.min(electionTicks - 1, Math.round((r.heartbeat ?? 30_000) / tickUs)));
  const raft = (group: number, id: string) =>
    defaultRaftConfig(group, id, {
      tickIntervalUs: tickUs,
      electionTimeoutTicks: electionTicks,
      heartbeatTicks,
      ...(r.maxClockDrift !== undefined && { maxClockDriftUs: r.maxClockDrift }),
      ...(r.preVote !== undefined && { preVote: r.preVote }),
      ...(r.checkQuorum !== undefined && { checkQuorum: r.checkQuorum }),
      ...(r.maxInflight !== undefined && { maxInflightMsgs: r.maxInflight }),
      bugs: bugSet,
    });
  const levels: [ReadLevel, number][] = w.levels
    ? (Object.entries(w.levels) as [ReadLevel, number][]).filter(([, weight]) => weight > 0)
    : [
        ['follower', 0.6],
        ['linearizable', 0.2],
        ['session', 0.1],
        ['bounded', 0.1],
      ];
  const keyCount = w.keys ?? 100;
  const keys: KeyDistributionSpec =
    w.distribution === 'uniform'
      ? { kind: 'uniform', keys: keyCount }
      : w.distribution === 'hotspot'
        ? { kind: 'hotspot', keys: keyCount, hotKeyFraction: w.hotFraction ?? 0.1, hotAccessFraction: w.hotProbability ?? 0.9 }
        : { kind: 'zipfian', keys: keyCount, theta: w.zipfTheta ?? 0.99 };
  return {
    machines,
    clients,
    ring,
    raft,
    snapshotEvery: r.snapshotEvery ?? 1_000,
    client: {
      ...DEFAULT_CLIENT,
      ...(w.timeout !== undefined && { timeoutUs: w.timeout }),
      ...(w.followerChoice !== undefined && { followerChoice: w.followerChoice }),
      ...(w.boundedStaleness !== undefined && { boundedStalenessUs: w.boundedStaleness }),
    },
    workload: {
      clients: Math.max(1, w.clients),
      mode: w.mode ?? 'open',
      rateOpsPerSec: w.rate ?? 200,
      concurrency: w.concurrency ?? 1,
      readRatio: w.readRatio ?? 0.95,
      levels: levels.length > 0 ? levels : [['linearizable', 1]],
      startUs: w.start ?? 0,
      stopUs: Math.min(w.stop ?? scenario.duration, scenario.duration),
    },
    keys,
    settleUs: scenario.checks?.settle ?? DEFAULT_SETTLE_US,
    livenessBoundUs: scenario.checks?.livenessBound ?? DEFAULT_LIVENESS_BOUND_US,
    linearizabilityWorkPolls: scenario.checks?.linearizabilityBudget ?? DEFAULT_LIN_WORK_POLLS,
    bugs: bugSet,
    placement: placementOf(scenario),
    readServiceUs: scenario.cluster.readServiceTime ?? 0,
  };
}

function placementOf(scenario: Scenario): PlacementOptions | null {
  const p = scenario.placement;
  const membershipFaults = (scenario.faults ?? []).some((f) => MEMBERSHIP_ACTIONS.some((a) => f[a] !== undefined));
  if (p === undefined && !membershipFaults) return null;
  return {
    ...DEFAULT_PLACEMENT,
    ...(p?.round !== undefined && { roundUs: p.round }),
    ...(p?.movesMax !== undefined && { movesMax: p.movesMax }),
    ...(p?.autoscale !== undefined && { autoscale: p.autoscale }),
    ...(p?.scaleUpReadsPerSec !== undefined && { scaleUpReadsPerSec: p.scaleUpReadsPerSec }),
    ...(p?.scaleDownReadsPerSec !== undefined && { scaleDownReadsPerSec: p.scaleDownReadsPerSec }),
    ...(p?.learnersMax !== undefined && { learnersMax: p.learnersMax }),
  };
}

/** A client's copy of the routing table: refreshed only when a server says it is stale. */
class CachedRouter implements Router {
  private ring: Ring;
  private readReplicas: Map<number, string[]>;
  private members: Directory['members'];
  private version: number;

  constructor(private readonly directory: Directory) {
    this.ring = directory.ring;
    this.readReplicas = new Map(directory.readReplicas);
    this.members = new Map(directory.members);
    this.version = directory.version;
  }

  get shards(): number {
    return this.ring.shards;
  }
  shardOfKey(key: string): number {
    return this.ring.shardOfKey(key);
  }
  /** Where the shard's replicas are (the placement driver's last word), else where the ring puts them. */
  replicasOf(shard: number): readonly string[] {
    const actual = this.members.get(shard);
    return actual !== undefined && actual.machines.length > 0 ? actual.machines : this.ring.replicasOf(shard);
  }
  preferredLeaderOf(shard: number): string {
    return this.members.get(shard)?.leader ?? this.ring.preferredLeaderOf(shard);
  }
  readReplicasOf(shard: number): readonly string[] {
    const extra = this.readReplicas.get(shard)?.filter((m) => !this.replicasOf(shard).includes(m));
    return extra === undefined || extra.length === 0 ? this.replicasOf(shard) : [...this.replicasOf(shard), ...extra];
  }
  refresh(): void {
    if (this.version === this.directory.version) return;
    this.ring = this.directory.ring;
    this.readReplicas = new Map(this.directory.readReplicas);
    this.members = new Map(this.directory.members);
    this.version = this.directory.version;
  }
}

export class StoreEngine implements Engine {
  readonly serverOf = new Map<string, StoreServer>();
  readonly history: OpRecord[] = [];
  private readonly oracle = new RaftInvariantChecker();
  private readonly shared: WorkloadShared = { rateFactor: 1, hotKey: null, nextOpId: 1, shed: 0 };
  private elections = 0;
  /** Current leader per group as announced in trace events (the fault targeting view). */
  private readonly leaderOf = new Map<number, { leader: string; term: number }>();
  private completed = 0;
  private readonly appliedSlots = new Set<string>();
  private readonly appliedWrites = new Map<string, CommittedWrite>();
  private readonly versionsOf = new Map<string, number[]>();
  private probeClient: StoreClient | undefined;
  readonly directory: Directory;
  /** Server machines in the cluster now (joins add, replace adds the replacement). */
  private readonly machineList: string[];
  /** Machines replaced as failed: they stay down, even when the store settles. */
  private readonly retired = new Set<string>();
  placementDriver: PlacementDriver | undefined;
  private learnersAdded = 0;
  private learnersRemoved = 0;
  private readonly env: ServerEnv;

  constructor(
    readonly world: World,
    readonly settings: StoreSettings,
  ) {
    world.tracer.listen((event) => {
      this.oracle.observe(event);
      if (event.type === 'raft.elected') {
        this.elections++;
        this.leaderOf.set(event.group, { leader: machineOfReplica(event.replica), term: event.term });
      }
    });
    this.directory = { ring: settings.ring, readReplicas: new Map(), members: new Map(), version: 0 };
    this.machineList = [...settings.machines];
    this.env = {
      ring: settings.ring,
      ...(settings.placement !== null && { placementDriver: 'pd' }),
      readServiceUs: settings.readServiceUs,
      raftConfig: settings.raft,
      snapshotEvery: settings.snapshotEvery,
      bugs: settings.bugs,
      observer: {
        applied: (shard, key, value, index) => this.noteApplied(shard, key, value, index),
        versionsBehind: (key, version) => this.versionsBehind(key, version),
      },
    };
    for (const id of settings.machines) this.addServer(id);
    const dist = keyDistribution(settings.keys);
    settings.clients.forEach((id, index) => {
      world.addMachine(id, (ctx) => {
        const client = new StoreClient(ctx, new CachedRouter(this.directory), settings.client, () => world.nowUs);
        const driver = new WorkloadDriver(index, settings.workload, dist, this.shared, ctx.rng('workload'), {
          trueNowUs: () => world.nowUs,
          setTimer: (delayUs, fn) => void ctx.setTimer(delayUs, fn),
          execute: (opId, logicalClient, intent, done) =>
            client.execute(opId, logicalClient, intent, (c) => {
              this.history.push(c.record);
              this.completed++;
              done();
            }),
        });
        driver.start();
        return { onMessage: (from, payload) => client.onReply(from, payload as ClientReply) };
      });
    });
    this.addProbeMachine();
    if (settings.placement !== null) {
      const options = settings.placement;
      world.addMachine('pd', (ctx) => {
        const live = (m: string) => !this.retired.has(m);
        this.placementDriver = new PlacementDriver(ctx, this.directory, () => this.machineList.filter(live), () => [...this.serverOf.keys()].filter(live), (m) => !live(m), options, (e) => {
          if (e.kind === 'learner-added') this.learnersAdded++;
          if (e.kind === 'learner-removed') this.learnersRemoved++;
          ctx.emit({ t: 0, type: 'store.placement', kind: e.kind, shard: e.shard, machine: e.machine });
        });
        return this.placementDriver;
      });
    }
  }

  private addServer(id: string): void {
    this.world.addMachine(id, (ctx) => {
      const server = new StoreServer(ctx, this.env);
      this.serverOf.set(id, server);
      return server;
    });
  }

  /** join / leave / replace: change the ring; the placement driver moves the replicas. */
  private membershipFault(fault: FaultSpec): { detail: string } | undefined {
    const world = this.world;
    const emit = (action: 'join' | 'leave' | 'replace', machine: string, replacement: string | null) =>
      world.emit({ t: world.nowUs, type: 'store.membership', action, machine, replacement });
    if (fault.join !== undefined) {
      const m = fault.join;
      if (this.machineList.includes(m)) return { detail: `${m} is already a member` };
      if (!world.hasMachine(m)) this.addServer(m);
      this.machineList.push(m);
      this.directory.ring = this.directory.ring.join(m);
      this.directory.version++;
      emit('join', m, null);
      return { detail: `${m} joined; ring now ${this.machineList.length} machines` };
    }
    if (fault.leave !== undefined) {
      const m = fault.leave;
      if (!this.machineList.includes(m)) return { detail: `${m} cannot leave: not a member` };
      // Like a real decommission, a leave waits for somewhere to move the replicas to: shrinking
      // groups below the replication factor would let one more failure take a quorum away.
      const remaining = this.machineList.length - 1;
      if (remaining < Math.max(1, this.directory.ring.rf)) {
        return { detail: `${m} cannot leave: ${remaining} machines would remain for replication ${this.directory.ring.rf}` };
      }
      this.machineList.splice(this.machineList.indexOf(m), 1);
      this.directory.ring = this.directory.ring.leave(m);
      this.directory.version++;
      emit('leave', m, null);
      return { detail: `${m} decommissioned: its replicas move away` };
    }
    if (fault.replace !== undefined) {
      const m = fault.replace;
      if (!this.machineList.includes(m)) return { detail: `${m} is not a member` };
      let n = this.machineList.length + this.retired.size + 1;
      while (world.hasMachine(`n${n}`)) n++;
      const fresh = `n${n}`;
      world.machine(m).retire();
      this.retired.add(m);
      this.machineList.splice(this.machineList.indexOf(m), 1, fresh);
      this.addServer(fresh);
      this.directory.ring = this.directory.ring.leave(m).join(fresh);
      this.directory.version++;
      emit('replace', m, fresh);
      return { detail: `${m} failed for good; ${fresh} takes its replicas` };
    }
    return undefined;
  }

  private addProbeMachine(): void {
    const settings = this.settings;
    this.world.addMachine('probe', (ctx) => {
      const client = new StoreClient(ctx, new CachedRouter(this.directory), { ...settings.client, ...PROBE_CLIENT, timeoutUs: settings.settleUs }, () => this.world.nowUs);
      this.probeClient = client;
      return { onMessage: (from, payload) => client.onReply(from, payload as ClientReply) };
    });
  }

  servers(): string[] {
    return this.machineList.filter((m) => !this.retired.has(m));
  }

  resolveTarget(target: string, rng: Rng): string[] {
    const all = this.servers();
    const common = resolveCommonTarget(target, all, (m) => this.world.hasMachine(m), rng);
    if (common !== undefined) return common;
    const leaderMatch = /^leader\(shard ([0-9]+)\)$/.exec(target);
    if (leaderMatch !== null) {
      const leader = this.currentLeader(Number(leaderMatch[1]));
      return leader !== undefined ? [leader] : [this.directory.ring.preferredLeaderOf(Number(leaderMatch[1]))];
    }
    if (target === 'leader(any)') {
      const leaders = [...this.leaderOf.values()].map((l) => l.leader).filter((m) => this.isLeaderNow(m));
      return leaders.length > 0 ? [rng.pick(leaders)] : [rng.pick(all)];
    }
    throw new AssertionError(`unresolvable target ${target}`);
  }

  private isLeaderNow(machine: string): boolean {
    const server = this.serverOf.get(machine);
    return server !== undefined && this.world.machine(machine).state !== 'crashed' && server.leaderGroups().length > 0;
  }

  /** The replica that is leader of a shard with the highest term right now (white-box). */
  currentLeader(shard: number): string | undefined {
    let best: { machine: string; term: number } | undefined;
    for (const [machine, server] of this.serverOf) {
      if (this.world.machine(machine).state === 'crashed') continue;
      const info = server.groupInfo(shard);
      if (info !== undefined && info.role === 'leader' && (best === undefined || info.term > best.term)) best = { machine, term: info.term };
    }
    return best?.machine;
  }

  conditionHolds(when: NonNullable<FaultSpec['when']>): boolean {
    if (when.opsCompleted !== undefined) return this.completed >= when.opsCompleted;
    if (when.leaderElected !== undefined) {
      if (when.leaderElected === 'any') return this.elections > 0;
      return this.currentLeader(when.leaderElected) !== undefined;
    }
    return false;
  }

  applyEngineFault(fault: FaultSpec, rng: Rng): { undo?: () => void; detail: string } | undefined {
    const membership = this.membershipFault(fault);
    if (membership !== undefined) return membership;
    if (fault.spike !== undefined) {
      const before = { factor: this.shared.rateFactor, key: this.shared.hotKey };
      this.shared.rateFactor = fault.spike.factor;
      this.shared.hotKey = fault.spike.key ?? null;
      this.world.emit({ t: this.world.nowUs, type: 'store.spike', factor: fault.spike.factor, key: fault.spike.key ?? null });
      return {
        undo: () => {
          this.shared.rateFactor = before.factor;
          this.shared.hotKey = before.key;
          this.world.emit({ t: this.world.nowUs, type: 'store.spike', factor: before.factor, key: before.key });
        },
        detail: `load x${fault.spike.factor}${fault.spike.key ? ` hot key ${fault.spike.key}` : ''}`,
      };
    }
    if (fault.transfer !== undefined) {
      const shard = fault.transfer.shard;
      const leader = this.currentLeader(shard);
      if (leader === undefined) return { detail: `shard ${shard} has no leader to transfer from` };
      const candidates = this.directory.ring.replicasOf(shard).filter((m) => m !== leader);
      const to = fault.transfer.to !== undefined ? this.resolveTarget(fault.transfer.to, rng)[0] : candidates.length > 0 ? rng.pick(candidates) : undefined;
      if (to === undefined || to === leader) return { detail: `shard ${shard}: no other replica to transfer leadership to` };
      const ok = this.serverOf.get(leader)?.transferLeadership(shard, to) ?? false;
      return { detail: `shard ${shard} leadership ${leader} -> ${to}${ok ? '' : ' (refused)'}` };
    }
    return undefined;
  }

  /** Undo every fault in force so the store can settle: heal, resume, restart, reset rates and clocks. */
  private healEverything(): void {
    const net = this.world.network;
    net.heal('all');
    if (net.faultDrop !== 0 || net.faultDuplicate !== 0 || net.faultDelayExtraUs !== 0) net.setFaultRates(0, 0, 0);
    net.faultReorder = false;
    for (const id of this.world.machineIds()) {
      const m = this.world.machine(id);
      if (this.retired.has(id)) continue; // a replaced machine is gone for good
      if (m.state === 'paused') m.resume();
      if (m.state === 'crashed') m.restart();
      m.disk.recover();
    }
    this.shared.rateFactor = 1;
    this.shared.hotKey = null;
  }

  finish(): EngineResults {
    const world = this.world;
    const s = this.settings;
    // Settle: load has stopped (drivers stop at the run's end); undo faults, then probe.
    this.healEverything();
    const healedAtUs = world.nowUs;
    world.emit({ t: world.nowUs, type: 'store.settle', quiet: true });
    const probes = this.startProbes();
    world.run(world.nowUs + s.settleUs);
    // Replicas still being moved are not converged yet: give the placement driver time to
    // finish its queue of moves (a bounded wait), then judge.
    const placementDeadlineUs = world.nowUs + PLACEMENT_SETTLE_MAX_US;
    while (this.placementDriver !== undefined && !this.placementDriver.settled() && world.nowUs < placementDeadlineUs) {
      world.run(world.nowUs + 500_000);
    }
    // Final checks.
    const violation = this.oracle.violation;
    const invariants: CheckVerdict = violation === null
      ? { ok: true, ...this.oracle.stats }
      : { ok: false, check: violation.check, atUs: violation.t, group: violation.group, message: `${violation.check} in shard ${violation.group} at ${violation.t}us: ${violation.message}`, events: violation.events };
    const finals = this.finalReplicaStates();
    const committed = this.committedWrites();
    const eventual = checkEventual({ history: this.history, committed, boundedStalenessUs: s.client.boundedStalenessUs });
    const convergence = checkConvergence({ shards: finals.convergence });
    const durability = checkDurability(this.history, finals.replicas, (key) => this.directory.ring.ownerOfKey(key));
    const liveness = checkLiveness(healedAtUs, s.livenessBoundUs, probes);
    const linRecords = this.history.filter((o) => o.op === 'put' || o.level === 'linearizable' || o.level === 'lease' || o.level === undefined);
    // A work budget, not a wall-clock one: the search polls `deadline` every few thousand steps,
    // so counting polls bounds its work deterministically (the verdict is part of the trace).
    let polls = 0;
    const pollsMax = s.linearizabilityWorkPolls;
    const lin = checkHistory(linRecords, { model: 'kv', missingValue: null, deadline: () => ++polls > pollsMax });
    const ops = { total: this.history.length, ok: 0, failed: 0, indeterminate: 0 };
    for (const o of this.history) ops[o.outcome]++;
    const eventualVerdict: CheckVerdict = {
      ok: eventual.ok && convergence.ok,
      violations: eventual.violations.slice(0, 5),
      diverged: convergence.diverged,
      staleness: eventual.staleness,
      ...(eventual.ok ? {} : { message: eventual.violations[0]?.message }),
      ...(convergence.ok ? {} : { message: `replicas did not converge: ${convergence.diverged.map((d) => `${d.machine}/shard ${d.shard}`).join(', ')}` }),
    };
    return {
      ops,
      elections: this.elections,
      staleReads: eventual.staleness.stale,
      checks: {
        invariants,
        linearizable: {
          ok: lin.verdict === 'linearizable' ? true : lin.verdict === 'not-linearizable' ? false : null,
          verdict: lin.verdict,
          ...(lin.verdict === 'unknown' && { undecided: true, message: `undecided: the search used its work budget (checks.linearizabilityBudget ${s.linearizabilityWorkPolls})` }),
          keys: lin.keys,
          ops: linRecords.length,
          ...(lin.explanation !== undefined && { message: lin.explanation.text.split('\n')[0], explanation: lin.explanation }),
        },
        eventual: eventualVerdict,
        durability: {
          ok: durability.ok,
          acknowledged: durability.acknowledged,
          lost: durability.lost,
          misrouted: durability.misrouted,
          ...(durability.ok
            ? {}
            : {
                message:
                  durability.lost.length > 0
                    ? `acknowledged put op ${durability.lost[0]!.op} (${durability.lost[0]!.key} at index ${durability.lost[0]!.index}) lost on ${durability.lost[0]!.machine}`
                    : `acknowledged put op ${durability.misrouted[0]!.op} of ${durability.misrouted[0]!.key} stored in shard ${durability.misrouted[0]!.shard}, which does not own it (shard ${durability.misrouted[0]!.owner} does)`,
              }),
        },
        liveness: { ...liveness, ...(liveness.ok ? {} : { message: `shards ${liveness.stuck.join(', ')} did not serve within ${liveness.boundUs}us of healing` }) },
      },
      extra: {
        shed: this.shared.shed,
        ...(this.placementDriver !== undefined && {
          placement: {
            movesCompleted: this.placementDriver.movesCompleted,
            settled: this.placementDriver.settled(),
            machines: this.servers(),
            learnersAdded: this.learnersAdded,
            learnersRemoved: this.learnersRemoved,
          },
        }),
        readLatency: this.readLatencyBySecond(),
      },
      history: this.history,
    };
  }

  /**
   * p99 latency of follower-level reads per simulated second of load, and the peak and the
   * last full second — enough to see a spike hurt and read replicas relieve it.
   */
  private readLatencyBySecond(): { p99UsBySecond: number[]; peakP99Us: number; lastP99Us: number } {
    const buckets: number[][] = [];
    for (const o of this.history) {
      if (o.op !== 'get' || o.level === 'linearizable' || o.level === 'lease' || o.level === undefined) continue;
      const second = Math.floor(o.invokeUs / 1_000_000);
      if (o.invokeUs >= this.settings.workload.stopUs) continue;
      // An unanswered read counts at its deadline: it is as slow as the client would wait.
      const latency = o.completeUs === null ? this.settings.client.timeoutUs : o.completeUs - o.invokeUs;
      (buckets[second] ??= []).push(latency);
    }
    const p99UsBySecond = Array.from({ length: buckets.length }, (_, i) => percentiles(buckets[i] ?? []).p99);
    return { p99UsBySecond, peakP99Us: Math.max(0, ...p99UsBySecond), lastP99Us: p99UsBySecond[p99UsBySecond.length - 1] ?? 0 };
  }

  /** First application of each (shard, index) anywhere: the white-box view of what committed. */
  private noteApplied(shard: number, key: string, value: string, index: number): void {
    const slot = `${shard}/${index}`;
    if (this.appliedSlots.has(slot)) return;
    this.appliedSlots.add(slot);
    this.appliedWrites.set(value, { key, shard, index });
    let versions = this.versionsOf.get(key);
    if (versions === undefined) this.versionsOf.set(key, (versions = []));
    versions.push(index); // a key lives in one shard, whose indexes only grow
  }

  private versionsBehind(key: string, version: number): number {
    const versions = this.versionsOf.get(key);
    if (versions === undefined) return 0;
    let lo = 0;
    let hi = versions.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (versions[mid]! <= version) lo = mid + 1;
      else hi = mid;
    }
    return versions.length - lo;
  }

  /** Per shard, one put and one linearizable get from a probe client, retried until they succeed. */
  private startProbes(): LivenessProbe[] {
    const probes: LivenessProbe[] = [];
    const ring = this.settings.ring;
    const client = this.probeClient;
    if (client === undefined) return probes;
    for (let shard = 0; shard < ring.shards; shard++) {
      const key = this.keyInShard(shard);
      const probe: LivenessProbe = { shard, writeOkUs: null, readOkUs: null };
      probes.push(probe);
      if (key === undefined) continue;
      const logical = PROBE_CLIENT_BASE + shard;
      const endUs = this.world.nowUs + this.settings.settleUs;
      // Write, then read; each retried (after a pause) until it succeeds or the settle period ends.
      let attempt = 0;
      const read = (): void => {
        client.execute(this.shared.nextOpId++, logical, { op: 'get', key, level: 'linearizable' }, (r) => {
          this.history.push(r.record);
          if (r.record.outcome === 'ok') probe.readOkUs = this.world.nowUs;
          else if (this.world.nowUs + PROBE_RETRY_US < endUs) this.world.after(PROBE_RETRY_US, read);
        });
      };
      const write = (): void => {
        client.execute(this.shared.nextOpId++, logical, { op: 'put', key, value: `probe#${shard}#${attempt++}` }, (c) => {
          this.history.push(c.record);
          if (c.record.outcome === 'ok') {
            probe.writeOkUs = this.world.nowUs;
            read();
          } else if (this.world.nowUs + PROBE_RETRY_US < endUs) {
            this.world.after(PROBE_RETRY_US, write);
          }
        });
      };
      write();
    }
    return probes;
  }

  private keyInShard(shard: number): string | undefined {
    for (let i = 0; i < KEY_SEARCH_MAX; i++) {
      const key = `probe-${keyName(i)}`;
      if (this.settings.ring.shardOfKey(key) === shard) return key;
    }
    return undefined;
  }

  private finalReplicaStates(): { replicas: ReplicaFinalState[]; convergence: ConvergenceInput['shards'] } {
    const replicas: ReplicaFinalState[] = [];
    const byShard = new Map<number, { machine: string; digest: string; appliedIndex: number }[]>();
    for (const [machine, server] of this.serverOf) {
      if (this.world.machine(machine).state !== 'up') continue;
      for (const [shard, replica] of server.replicas) {
        const kv = replica.kv;
        replicas.push({ machine, shard, appliedIndex: kv.appliedIndex, appliedAt: (op) => kv.appliedAt(op) });
        let list = byShard.get(shard);
        if (list === undefined) byShard.set(shard, (list = []));
        list.push({ machine, digest: kv.digest(), appliedIndex: kv.appliedIndex });
      }
    }
    const convergence: ConvergenceInput['shards'] = [];
    for (const [shard, list] of byShard) {
      // The most advanced replica holds the committed state everyone must reach.
      const best = list.reduce((a, b) => (b.appliedIndex > a.appliedIndex ? b : a));
      convergence.push({ shard, replicas: list, expected: best.digest });
    }
    return { replicas, convergence };
  }

  private committedWrites(): Map<string, CommittedWrite> {
    return this.appliedWrites;
  }
}

