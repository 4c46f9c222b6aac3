// The store engine: what `kvsim run` simulates when a scenario has shards. It turns the
// scenario into settings, builds the store's cluster (src/store/cluster.ts: servers n1..nM,
// client machines c1..cC, the placement driver) and drives it with the workload, records the
// history, counts elections from Raft trace events, applies the store's faults (membership,
// transfers, load spikes), and at the end of the run settles the store (load stopped, every
// fault undone, probes for liveness) before running the checkers over what happened.
import { percentiles, type CommittedWrite, type ConvergenceInput } from '../check/eventual.js';
import type { ReplicaFinalState } from '../check/durability.js';
import type { CompactionInput, CompactionReplica, LivenessProbe, StrayKey, UnansweredInput, UnansweredRequest } from '../check/liveness.js';
import { RaftInvariantChecker, type RaftInvariantStats, type RaftViolation } from '../check/raft-invariants.js';
import type { TraceEvent } from '../trace/events.js';
import { convergenceOf, judgeStoreRun } from './judge.js';
import type { OpRecord, ReadLevel } from '../history/op.js';
import type { RaftConfig } from '../raft/config.js';
import { raftConfigOf } from '../store/settings.js';
import { raftTimingOf } from '../scenario/raft-timing.js';
import type { Rng } from '../sim/random.js';
import type { World } from '../sim/world.js';
import type { Engine, EngineFaultAction, EngineResults } from './engine.js';
import type { Scenario } from '../scenario/schema.js';
import type { StateCondition } from '../scenario/fault.js';
import type { ProtocolEvent } from '../scenario/protocol-events.js';
import { ProtocolWatch } from './protocol-watch.js';
import { resolveCommonTarget, targetOf } from './demo.js';
import { keyDistribution, keyName, type KeyDistributionSpec } from '../workload/keys.js';
import { WorkloadDriver, type WorkloadConfig, type WorkloadShared } from '../workload/driver.js';
import { DEFAULT_CLIENT, type StoreClient, type ClientOptions, type Router } from '../store/client.js';
import type { Place } from '../base/place.js';
import { Ring } from '../store/ring.js';
import { DEFAULT_PLACEMENT, type PlacementDriver, type PlacementOptions } from '../store/placement.js';
import { StoreCluster } from '../store/cluster.js';
import { DEFAULT_LOAD_REPORT_EVERY_US, type ShardReplica, type StoreServer } from '../store/server.js';
import { machineOfReplica } from '../store/replica-id.js';
import { AssertionError, assertNever } from '../base/assert.js';
import { checkPlacement, type PlacementInput, type PlacementShardInput } from '../check/placement.js';
import { QuorumContactWatch, type QuorumContactLeader } from '../check/quorum-contact.js';
import { ChurnWatch } from '../check/churn.js';
import { TransferWatch, transferViolationMessage } from '../check/transfer-watch.js';
import { clientsAt, serversAt } from './places.js';
import { figuresByRegion } from './geo.js';
import { resolveTopology, type Topology } from '../scenario/topology.js';

export const DEFAULT_SETTLE_US = 5_000_000;
/** How often the CheckQuorum watch judges the leaders (at most; at Raft deliveries). */
const QUORUM_JUDGE_EVERY_US = 50_000;
/** Bound on the extra settling a placement driver may take to finish its moves. */
const PLACEMENT_SETTLE_MAX_US = 30_000_000;
/**
 * The liveness probe is a measuring instrument: it polls often, so a shard that serves again is
 * noticed within a few hundred milliseconds even when the network's own loss eats a request or
 * its reply (the workload's clients keep their configured, gentler backoff).
 */
export const PROBE_CLIENT = { attemptTimeoutUs: 200_000, backoffMaxUs: 50_000 } as const;
/** Logical client ids of liveness probes (far above workload clients). */
export const PROBE_CLIENT_BASE = 1_000_000_000;
/** Pause before a liveness probe retries an operation that did not succeed. */
export const PROBE_RETRY_DELAY_US = 100_000;
/** Spacing of the settling's quiet-period writes (with quiescence), in election timeouts. */
export const QUIET_BEAT_TIMEOUTS = 6;
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
  /** The scenario's geography, resolved once per run (the network's tiers read the same one). */
  topology: Topology | undefined;
}

const MEMBERSHIP_ACTIONS = ['join', 'leave', 'replace'] as const;

export function settingsOf(scenario: Scenario, bugs: readonly string[], topology: Topology | undefined = resolveTopology(scenario)): StoreSettings {
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
    ...(topology !== undefined && {
      places: topology.places,
      ...(topology.replicasPerRegion !== undefined && { replicasPerRegion: topology.replicasPerRegion }),
      ...(topology.leaderRegion !== undefined && { leaderRegion: topology.leaderRegion }),
    }),
  });
  const r = scenario.raft ?? {};
  const raft = raftConfigOf(raftTimingOf(scenario.raft), bugSet);
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
      ...(w.attemptTimeout !== undefined && { attemptTimeoutUs: w.attemptTimeout }),
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
    topology,
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

/** The first probe key (probe-key0, probe-key1, ...) the ring puts in `shard`. */
export function probeKeyInShard(ring: Ring, shard: number): string | undefined {
  for (let i = 0; i < KEY_SEARCH_MAX; i++) {
    const key = `probe-${keyName(i)}`;
    if (ring.shardOfKey(key) === shard) return key;
  }
  return undefined;
}

export class StoreEngine implements Engine {
  readonly history: OpRecord[] = [];
  readonly cluster: StoreCluster;
  private readonly oracle = new RaftInvariantChecker();
  private readonly quorumWatch = new QuorumContactWatch();
  /** Election timeout for the CheckQuorum watch; null when it does not apply (CheckQuorum off, or quiescence on). */
  private readonly quorumWatchTimeoutUs: number | null;
  private nextQuorumJudgeUs = 0;
  private readonly transferWatch = new TransferWatch();
  private readonly churnWatch = new ChurnWatch();
  /** The first payload dropped as malformed that the network had not garbled. */
  private malformedUngarbled: { machine: string; kind: string; atUs: number } | null = null;
  /** The first garbled payload a receiver took in (handled without dropping it as malformed). */
  private garbledAccepted: { machine: string; from: string; label: string; path: string; atUs: number } | null = null;
  /** Garbled payloads their receiver dropped as malformed, by identity. */
  private readonly garbledDropped = new WeakSet<object>();
  private readonly electionTimeoutUs: number;
  /** PreVote on: the churn check applies (without it, a rejoining replica's disruption is Raft's own). */
  private readonly preVote: boolean;
  /** Quiescence on: the settling's second half gets a few spaced writes (startQuietBeats). */
  private readonly quiesce: boolean;
  /** The probe's bound for bounded reads. */
  private readonly probeBoundUs: number;
  /** Read replicas the directory starts with (zone read replicas), for the placement check. */
  private learnersInitial = 0;
  /** Read replicas added and removed as the placement driver's trace events say (the placement check's counts must agree). */
  private readonly learnersTraced = { added: 0, removed: 0 };
  /** Read replicas a `replace` took out of the directory (its replacement became the shard's voter): no event says so. */
  private learnersDroppedByReplace = 0;
  /**
   * The learners the autoscaler added that the directory still lists, per shard, from the
   * driver's events (a `replace` renames or drops them as it does the directory's), and the
   * most one shard ever had at once: the autoscale rule's bound grows with it.
   */
  private readonly autoscaled = new Map<number, string[]>();
  private autoscaledMax = 0;
  /** When the settling began (every fault undone, load stopped); null before. */
  private healedAtUs: number | null = null;
  /**
   * Per client machine, the puts it is running (the workload's, from \`execute\` until done), by
   * shard, and the op whose first attempt is being sent now: a retried-put event must be for
   * one of those puts, never from a first attempt (white-box: the harness asserts it).
   */
  private readonly putsRunning = new Map<string, { byShard: Map<number, number>; firstAttempt: boolean }>();
  private readonly shared: WorkloadShared = { rateFactor: 1, hotKey: null, nextOpId: 1, shed: 0 };
  private elections = 0;
  /** Current leader per group as announced in trace events (the fault targeting view). */
  private readonly leaderOf = new Map<number, { leader: string; term: number }>();
  private completed = 0;
  private readonly appliedSlots = new Set<string>();
  private readonly appliedWrites = new Map<string, CommittedWrite>();
  private readonly versionsOf = new Map<string, number[]>();
  private probeClient: StoreClient | undefined;
  /** The probe client's router: pins a shard's follower reads to one replica while the probe asks it. */
  private probeRouter: PinningRouter | undefined;
  /** Who watches protocol events (the fault scheduler); retried puts go to them directly. */
  private readonly protocolReports: ((e: ProtocolEvent) => void)[] = [];

  constructor(
    readonly world: World,
    readonly settings: StoreSettings,
  ) {
    // Every group runs the scenario's one Raft configuration (raftConfigOf): read it once.
    const raftCfg = settings.raft(0, 'engine');
    const electionTimeoutUs = raftCfg.electionTimeoutTicks * raftCfg.tickIntervalUs;
    this.quorumWatchTimeoutUs = raftCfg.checkQuorum && !raftCfg.quiesce ? electionTimeoutUs : null;
    this.electionTimeoutUs = electionTimeoutUs;
    this.preVote = raftCfg.preVote;
    this.quiesce = raftCfg.quiesce;
    world.tracer.listen((event) => {
      this.oracle.observe(event);
      this.churnWatch.observe(event);
      if (event.type === 'raft.elected') {
        this.elections++;
        this.leaderOf.set(event.group, { leader: machineOfReplica(event.replica), term: event.term });
      }
      if (this.quorumWatchTimeoutUs !== null) this.watchQuorumContact(event, this.quorumWatchTimeoutUs);
      if (event.type === 'raft.transfer' || event.type === 'raft.role' || event.type === 'raft.restart') this.watchTransfer(event);
      if (event.type === 'store.placement') {
        if (event.kind === 'learner-added') {
          this.learnersTraced.added++;
          const list = [...(this.autoscaled.get(event.shard) ?? []), event.machine];
          this.autoscaled.set(event.shard, list);
          this.autoscaledMax = Math.max(this.autoscaledMax, list.length);
        }
        if (event.kind === 'learner-removed') {
          this.learnersTraced.removed++;
          // A zone read replica (the directory's from the start) is not in the list: nothing to forget.
          this.autoscaled.set(event.shard, (this.autoscaled.get(event.shard) ?? []).filter((m) => m !== event.machine));
        }
      }
    });
    world.network.afterGarbledDelivery = (to, from, payload, path, label, now) => this.auditGarbledDelivery(to, from, payload, path, label, now);
    this.cluster = new StoreCluster(world, {
      machines: settings.machines,
      ring: settings.ring,
      raft: settings.raft,
      snapshotEvery: settings.snapshotEvery,
      bugs: settings.bugs,
      placement: settings.placement,
      readServiceUs: settings.readServiceUs,
      ...(settings.topology !== undefined && { places: settings.topology.places, readReplicasByZone: settings.topology.readReplicasByZone }),
      observer: {
        applied: (shard, key, value, index) => this.noteApplied(shard, key, value, index),
        versionsBehind: (key, version) => this.versionsBehind(key, version),
        malformed: (machine, kind, payload) => this.noteMalformed(machine, kind, payload),
      },
    });
    const dist = keyDistribution(settings.keys);
    settings.clients.forEach((id, index) => {
      this.cluster.addClient(id, settings.client, (client, ctx) => {
        // A (re)start forgets the puts the machine was running: their callbacks never come.
        const puts = { byShard: new Map<number, number>(), firstAttempt: false };
        this.putsRunning.set(id, puts);
        client.onPutRetry = (shard, previous, next) => this.putRetried(id, shard, previous, next);
        client.onMalformed = (payload) => this.noteMalformed(id, 'reply', payload);
        const driver = new WorkloadDriver(index, settings.workload, dist, this.shared, ctx.rng('workload'), {
          trueNowUs: () => world.nowUs,
          setTimer: (delayUs, fn) => void ctx.setTimer(delayUs, fn),
          execute: (opId, logicalClient, intent, done) => {
            // The first attempt is sent inside execute (synchronously): no retry yet.
            const shard = intent.op === 'put' ? this.cluster.directory.ring.shardOfKey(intent.key) : -1;
            if (shard >= 0) puts.byShard.set(shard, (puts.byShard.get(shard) ?? 0) + 1);
            puts.firstAttempt = true;
            client.execute(opId, logicalClient, intent, (c) => {
              if (shard >= 0) puts.byShard.set(shard, (puts.byShard.get(shard) ?? 1) - 1);
              this.history.push(c.record);
              this.completed++;
              done();
            });
            puts.firstAttempt = false;
          },
        });
        driver.start();
      });
    });
    // The liveness probe: a client of its own that polls often (a measuring instrument).
    // Its bounded reads use the workload's bound; across regions, two election timeouts at least:
    // the probe asks whether such reads are served at all once the faults heal, with a bound the
    // topology can meet (a workload bound shorter than the round trip to the leader's quorum is
    // the workload's choice, and its reads may be refused).
    this.probeBoundUs =
      settings.topology === undefined ? settings.client.boundedStalenessUs : Math.max(settings.client.boundedStalenessUs, 2 * electionTimeoutUs);
    this.cluster.addClient(
      'probe',
      { ...settings.client, ...PROBE_CLIENT, timeoutUs: settings.settleUs, boundedStalenessUs: this.probeBoundUs },
      (client) => {
        this.probeClient = client;
        client.onMalformed = (payload) => this.noteMalformed('probe', 'reply', payload);
      },
      (router) => (this.probeRouter = new PinningRouter(router)),
    );
    this.cluster.startPlacement();
    for (const list of this.cluster.directory.readReplicas.values()) this.learnersInitial += list.length;
  }

  /**
   * Feed the CheckQuorum watch: Raft deliveries, machines' running time; and, at a delivery (a
   * moment between two handlers, when every replica's state is whole) at most every
   * QUORUM_JUDGE_EVERY_US, the leaders as they are now.
   */
  private watchQuorumContact(event: TraceEvent, electionTimeoutUs: number): void {
    const watch = this.quorumWatch;
    switch (event.type) {
      case 'msg.deliver':
        if (!event.label.startsWith('raft.')) return;
        watch.delivered(event.from, event.to, event.t);
        if (event.t >= this.nextQuorumJudgeUs) {
          this.nextQuorumJudgeUs = event.t + QUORUM_JUDGE_EVERY_US;
          watch.judge(event.t, this.leadersForQuorumWatch(electionTimeoutUs));
        }
        return;
      case 'machine.crash':
        return watch.machineCrashed(event.machine, event.t);
      case 'machine.pause':
        return watch.machineStopped(event.machine, event.t);
      case 'machine.resume':
      case 'machine.restart':
        return watch.machineRunning(event.machine, event.t);
      case 'clock.skew':
        return watch.clockRate(event.machine, event.t, event.driftPpm);
      default:
        return;
    }
  }

  /** Feed the transfer watch; at an abort, read what the leader knows right after the tick that gave up. */
  private watchTransfer(event: TraceEvent): void {
    const watch = this.transferWatch;
    if (event.type === 'raft.role' || event.type === 'raft.restart') return watch.ended(event.replica);
    if (event.type !== 'raft.transfer') return;
    if (event.phase === 'start') return watch.started(event.replica, event.to, event.term, event.t);
    if (event.phase === 'timeout-now') return watch.timeoutNowSent(event.replica, event.to, event.term);
    const raft = this.cluster.serverOf.get(machineOfReplica(event.replica))?.replicas.get(event.group)?.raft;
    if (raft === undefined) return watch.ended(event.replica);
    watch.aborted(event.group, event.replica, event.to, event.term, event.t, {
      targetIsVoter: raft.membership.voters.includes(event.to),
      targetMatch: raft.progressOf(event.to)?.match ?? null,
      leaderLastIndex: raft.lastIndex,
    });
  }

  /** Every leader, as the watch wants them (only called with CheckQuorum on and quiescence off: a quiet leader skips it by design). */
  private leadersForQuorumWatch(electionTimeoutUs: number): QuorumContactLeader[] {
    const out: QuorumContactLeader[] = [];
    for (const [machine, server] of this.cluster.serverOf) {
      if (this.world.machine(machine).state !== 'up') continue;
      for (const [shard, replica] of server.replicas) {
        const raft = replica.raft;
        if (raft.role !== 'leader') continue;
        out.push({
          group: shard,
          machine,
          term: raft.currentTerm,
          voters: raft.membership.voters.map(machineOfReplica),
          electionTimeoutUs,
        });
      }
    }
    return out;
  }

  /**
   * The well-formedness audit, both ways. Every message the store sends must pass its receiver's
   * own validation: a payload dropped as malformed must be one the garble fault changed. One that
   * was not is a sender breaking the protocol — a reply its receiver cannot read, which every
   * other check can miss (the receiver just times out and retries). And every garbled payload
   * (one value of the wrong type) must be dropped: a receiver that handles one acts on a value
   * its validation should have refused, harmless or not this time.
   */
  private noteMalformed(machine: string, kind: string, payload: unknown): void {
    if (this.world.network.garbledPath(payload) !== undefined) {
      this.garbledDropped.add(payload as object);
      return;
    }
    if (this.malformedUngarbled === null) this.malformedUngarbled = { machine, kind, atUs: this.world.nowUs };
  }

  private auditGarbledDelivery(to: string, from: string, payload: object, path: string, label: string, now: boolean): void {
    // A paused receiver handles the message later, when this cannot tell what it did.
    if (!now || this.garbledAccepted !== null || this.garbledDropped.has(payload)) return;
    this.garbledAccepted = { machine: to, from, label, path, atUs: this.world.nowUs };
  }

  /** The first violation of the oracle, the CheckQuorum watch, the transfer watch and the well-formedness watch. */
  private raftVerdictInput(): { violation: RaftViolation | null; stats: RaftInvariantStats } {
    const stats = this.oracle.stats;
    const found: RaftViolation[] = [];
    if (this.oracle.violation !== null) found.push(this.oracle.violation);
    const q = this.quorumWatch.violation;
    if (q !== null) {
      found.push({
        check: 'check-quorum',
        t: q.atUs,
        group: q.group,
        message: `the leader on ${q.machine} (term ${q.term}) heard from no majority of its voters for ${q.silentUs}us of its running time and did not step down (bound ${q.boundUs}us: CheckQuorum steps down within two election timeouts)`,
        events: [],
      });
    }
    const tr = this.transferWatch.violation;
    if (tr !== null) found.push({ check: 'transfer', t: tr.atUs, group: tr.group, message: transferViolationMessage(tr), events: [] });
    // Not one group's: group -1.
    const wellFormed = (t: number, message: string) => found.push({ check: 'well-formed', t, group: -1, message, events: [] });
    const bad = this.malformedUngarbled;
    if (bad !== null) wellFormed(bad.atUs, `${bad.machine} dropped a malformed '${bad.kind}' payload that the network had not garbled: a message the store sent fails its receiver's validation`);
    const took = this.garbledAccepted;
    if (took !== null) {
      wellFormed(took.atUs, `${took.machine} took in a garbled '${took.label}' from ${took.from} (${took.path} had the wrong type) instead of dropping it: a receiver must refuse a value of the wrong type`);
    }
    // The earliest; on a tie the oracle's (pushed first), then CheckQuorum's.
    let first: RaftViolation | null = null;
    for (const v of found) if (first === null || v.t < first.t) first = v;
    return { violation: first, stats };
  }

  /** The store's servers by machine (white-box). */
  get serverOf(): StoreCluster['serverOf'] {
    return this.cluster.serverOf;
  }

  get placementDriver(): StoreCluster['placementDriver'] {
    return this.cluster.placementDriver;
  }

  servers(): string[] {
    return this.cluster.servers();
  }

  resolveTarget(target: string, rng: Rng): string[] {
    const all = this.servers();
    const t = targetOf(target);
    const common = resolveCommonTarget(t, all, (m) => this.world.hasMachine(m), rng);
    if (common !== undefined) return common;
    const place = serversAt(this.settings.topology, target, all);
    if (place !== undefined) return place;
    if (t.kind === 'leader') {
      const leader = this.currentLeader(t.shard);
      return leader !== undefined ? [leader] : [this.cluster.directory.ring.preferredLeaderOf(t.shard)];
    }
    if (t.kind === 'leader-any') {
      const leaders = [...this.leaderOf.values()].map((l) => l.leader).filter((m) => this.cluster.leadsSomething(m));
      return leaders.length > 0 ? [rng.pick(leaders)] : [rng.pick(all)];
    }
    throw new AssertionError(`unresolvable target ${target}`);
  }

  clientsAt(target: string): string[] {
    return clientsAt(this.settings.topology, target, this.servers());
  }

  /**
   * The machine leading a shard with the highest term right now (white-box). Faults aimed at
   * leaders and `leaderElected` waits rest on it, so the harness checks that the replica it names
   * does lead: a wrong answer would only make runs easier, and no check would notice.
   */
  currentLeader(shard: number): string | undefined {
    const leader = this.cluster.currentLeader(shard);
    if (leader === undefined) return undefined;
    const raft = this.cluster.serverOf.get(leader)?.replicas.get(shard)?.raft;
    if (raft?.role !== 'leader') {
      throw new AssertionError(`the cluster names ${leader} leader of shard ${shard}, but its replica is ${raft === undefined ? 'absent' : raft.role}`);
    }
    return leader;
  }

  watchProtocol(report: (e: ProtocolEvent) => void): void {
    const watch = new ProtocolWatch(report);
    this.world.tracer.listen((event) => watch.observe(event));
    this.protocolReports.push(report);
  }

  /**
   * A client retries a put (the protocol event \`putRetried\`, for faults aimed at it). It must be
   * a retry of a put: the client is running a put of that shard, and this is not its first
   * attempt (white-box: a client that told of every first attempt, or of a get's retry, would
   * aim those faults at the wrong moment, and no check would see it).
   */
  private putRetried(client: string, shard: number, previous: string, next: string): void {
    const puts = this.putsRunning.get(client);
    if (puts?.firstAttempt === true || (puts?.byShard.get(shard) ?? 0) <= 0 || previous === '') {
      throw new AssertionError(
        `client ${client} reported a retried put of shard ${shard} (${previous || 'no earlier target'} -> ${next}) ${puts?.firstAttempt === true ? 'while sending a first attempt' : (puts?.byShard.get(shard) ?? 0) <= 0 ? 'while running no put of that shard' : 'with no earlier attempt'}`,
      );
    }
    if (this.protocolReports.length === 0) return;
    const e: ProtocolEvent = { name: 'putRetried', machine: next, peer: previous === next ? null : previous, shard };
    for (const report of this.protocolReports) report(e);
  }

  /**
   * A machine replaced for good: the directory's read replicas on it go to its replacement, or
   * away when the replacement is the shard's voter now (cluster.ts). The engine follows: the
   * autoscaled ones it tracks are renamed or dropped likewise, and the dropped count kept.
   */
  private replace(machine: string): string {
    const readReplicas = this.cluster.directory.readReplicas;
    const listed = () => [...readReplicas.values()].reduce((n, list) => n + list.length, 0);
    const before = listed();
    const serversBefore = new Set(this.cluster.servers());
    const detail = this.cluster.replace(machine);
    const fresh = this.cluster.servers().find((m) => !serversBefore.has(m));
    this.learnersDroppedByReplace += before - listed();
    for (const [shard, list] of this.autoscaled) {
      if (!list.includes(machine)) continue;
      const now = readReplicas.get(shard) ?? [];
      this.autoscaled.set(shard, list.flatMap((m) => (m !== machine ? [m] : fresh !== undefined && now.includes(fresh) ? [fresh] : [])));
    }
    return detail;
  }

  /**
   * How long the store must stay idle and healed for the autoscaler to give back every learner
   * it added; null when it never does (no autoscaling, or a scale-down threshold of 0: no
   * shard is ever cold). The driver removes a shard's newest extra learner after
   * `scaleRounds * 4` cold rounds in a row, and a round counts only when a load report came in
   * since the last one: servers report every DEFAULT_LOAD_REPORT_EVERY_US, the driver rounds
   * every `roundUs`, so a counted round comes at least every report interval plus a round
   * (plus delivery jitter). Autoscaled learners are the newest (the list is appended to and
   * cut from its end), so k of them go within k * scaleRounds * 4 counted rounds, timed by the
   * slowest clock of the driver and the servers (a drift left by a scenario's open-ended skew).
   * Twice that, for the probes' own reads at the start of the settling and delivery tails.
   */
  private autoscaleColdRequiredUs(): number | null {
    const p = this.settings.placement;
    if (p === null || !p.autoscale || p.scaleDownReadsPerSec <= 0) return null;
    let slowestRate = 1;
    for (const id of ['pd', ...this.cluster.servers()]) {
      if (this.world.hasMachine(id)) slowestRate = Math.min(slowestRate, (1_000_000 + this.world.machine(id).clock.drift) / 1_000_000);
    }
    const perRoundUs = (DEFAULT_LOAD_REPORT_EVERY_US + p.roundUs) / slowestRate;
    return Math.ceil(2 * Math.max(1, this.autoscaledMax) * p.scaleRounds * 4 * perRoundUs);
  }

  private autoscaledRemaining(): { shard: number; machines: string[] }[] {
    const out: { shard: number; machines: string[] }[] = [];
    for (const [shard, list] of [...this.autoscaled].sort((a, b) => a[0] - b[0])) if (list.length > 0) out.push({ shard, machines: [...list] });
    return out;
  }

  conditionHolds(when: StateCondition): boolean {
    if (when.opsCompleted !== undefined) return this.completed >= when.opsCompleted;
    if (when.leaderElected !== undefined) {
      if (when.leaderElected === 'any') return this.elections > 0;
      return this.currentLeader(when.leaderElected) !== undefined;
    }
    return false;
  }

  applyEngineFault(action: EngineFaultAction, rng: Rng): { undo?: () => void; detail: string } | undefined {
    switch (action.kind) {
      case 'join':
        return { detail: this.cluster.join(action.machine) };
      case 'leave':
        return { detail: this.cluster.leave(action.machine) };
      case 'replace':
        return { detail: this.replace(action.machine) };
      case 'spike': {
        const before = { factor: this.shared.rateFactor, key: this.shared.hotKey };
        this.shared.rateFactor = action.factor;
        this.shared.hotKey = action.key;
        this.world.emit({ t: this.world.nowUs, type: 'store.spike', factor: action.factor, key: action.key });
        return {
          undo: () => {
            this.shared.rateFactor = before.factor;
            this.shared.hotKey = before.key;
            this.world.emit({ t: this.world.nowUs, type: 'store.spike', factor: before.factor, key: before.key });
          },
          detail: `load x${action.factor}${action.key ? ` hot key ${action.key}` : ''}`,
        };
      }
      case 'transfer': {
        const to = action.to;
        const outcome = this.cluster.transfer(action.shard, (_leader, others) =>
          to !== null ? this.resolveTarget(to, rng)[0] : others.length > 0 ? rng.pick(others) : undefined,
        );
        if (outcome.asked !== undefined) this.assertTransferTookEffect(action.shard, outcome.asked);
        else if (to === null) this.assertNobodyToTransferTo(action.shard, outcome.detail);
        return { detail: outcome.detail };
      }
      default:
        return assertNever(action, 'engine fault action');
    }
  }

  /**
   * A fault must do what it says or say why not: a leader asked to hand over to a machine that
   * holds a voter of its membership accepts (Raft refuses only a non-voter, itself, or when it
   * does not lead), and one that accepts names a voter. Judged from the leader's membership,
   * not from the store's answer, so a transfer that silently does nothing is a found bug.
   */
  private assertTransferTookEffect(shard: number, asked: { leader: string; target: string; accepted: boolean }): void {
    const raft = this.cluster.serverOf.get(asked.leader)?.replicas.get(shard)?.raft;
    if (raft === undefined || raft.role !== 'leader') return;
    const targetVotes = raft.membership.voters.some((id) => id !== raft.id && machineOfReplica(id) === asked.target);
    if (targetVotes !== asked.accepted) {
      throw new AssertionError(
        `transfer fault: shard ${shard}'s leader on ${asked.leader} ${asked.accepted ? 'accepted' : 'refused'} a transfer to ${asked.target}, which ${targetVotes ? 'holds a' : 'holds no'} voter of its membership`,
      );
    }
  }

  /**
   * A transfer fault with no target named that asked no leader: there was no leader, or the
   * ring names no other replica. Anything else is a fault that silently did nothing.
   */
  private assertNobodyToTransferTo(shard: number, detail: string): void {
    const leader = this.currentLeader(shard);
    if (leader === undefined) return;
    const others = this.cluster.directory.ring.replicasOf(shard).filter((m) => m !== leader);
    if (others.length > 0) {
      throw new AssertionError(`transfer fault: shard ${shard}'s leader on ${leader} was not asked to hand over though the ring names ${others.join(', ')} (${detail})`);
    }
  }

  /** Undo every fault in force so the store can settle: heal, resume, restart, reset rates and clocks. */
  private healEverything(): void {
    const net = this.world.network;
    net.heal('all');
    if (net.faultDrop !== 0 || net.faultDuplicate !== 0 || net.faultDelayExtraUs !== 0) net.setFaultRates(0, 0, 0);
    net.faultReorder = false;
    if (net.faultGarble !== 0) net.setGarble(0);
    if (net.hasLinkDelays()) net.clearLinkDelays();
    for (const id of this.world.machineIds()) {
      const m = this.world.machine(id);
      if (this.cluster.isRetired(id)) continue; // a replaced machine is gone for good
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
    this.healedAtUs = healedAtUs;
    world.emit({ t: world.nowUs, type: 'store.settle', quiet: true });
    const heldAtHeal = this.heldRequests();
    const probes = this.startProbes();
    if (this.preVote && this.quiesce) this.startQuietBeats(probes, healedAtUs);
    world.run(world.nowUs + s.settleUs);
    const unanswered = this.unansweredSince(heldAtHeal);
    // Replicas still being moved are not converged yet: give the placement driver time to
    // finish its queue of moves (a bounded wait), then judge. Converged means the driver says
    // so and the replicas agree (every shard led, members where the ring wants them): a shard
    // between two leaders at the end of the settling is given the time to elect one. With read
    // autoscaling, converged also means the autoscaled learners are given back: the wait then
    // lasts up to the autoscale rule's bound from the heal, so that the placement check always
    // applies the rule (a correct driver ends the wait as soon as they are gone).
    const placementWaitFromUs = world.nowUs;
    const placementDeadlineUs = () => Math.max(placementWaitFromUs + PLACEMENT_SETTLE_MAX_US, healedAtUs + (this.autoscaleColdRequiredUs() ?? 0));
    const converged = (driver: PlacementDriver) =>
      driver.settled() && checkPlacement(this.placementInput()).ok && (this.autoscaleColdRequiredUs() === null || this.autoscaledRemaining().length === 0);
    while (this.placementDriver !== undefined && !converged(this.placementDriver) && world.nowUs < placementDeadlineUs()) {
      world.run(world.nowUs + 500_000);
    }
    // Final checks.
    const finals = this.finalReplicaStates();
    const judged = judgeStoreRun({
      history: this.history,
      committed: this.committedWrites(),
      replicas: finals.replicas,
      convergence: finals.convergence,
      ownerOfKey: (key) => this.cluster.directory.ring.ownerOfKey(key),
      boundedStalenessUs: s.client.boundedStalenessUs,
      healedAtUs,
      livenessBoundUs: s.livenessBoundUs,
      probes,
      compaction: this.compactionInput(),
      unanswered,
      stray: this.strayKeys(),
      churn: !this.preVote ? null : this.churnWatch.churned(
        probes.map((p) => ({ shard: p.shard, settledUs: p.writeOkUs === null || p.readOkUs === null ? null : Math.max(p.writeOkUs, p.readOkUs) })),
        2 * this.electionTimeoutUs,
        healedAtUs + s.settleUs / 2,
      ),
      oracle: this.raftVerdictInput(),
      linearizabilityWorkPolls: s.linearizabilityWorkPolls,
      placement: this.placementDriver === undefined && s.topology === undefined ? null : this.placementInput(),
    });
    return {
      ops: judged.ops,
      elections: this.elections,
      staleReads: judged.staleReads,
      checks: judged.checks,
      extra: {
        shed: this.shared.shed,
        ...(this.placementDriver !== undefined && {
          placement: {
            movesCompleted: this.placementDriver.movesCompleted,
            settled: this.placementDriver.settled(),
            machines: this.servers(),
            learnersAdded: this.cluster.learnersAdded,
            learnersRemoved: this.cluster.learnersRemoved,
          },
        }),
        readLatency: this.readLatencyBySecond(),
        ...(s.topology !== undefined && {
          byRegion: figuresByRegion(s.topology, this.history, judged.eventual, s.workload.stopUs),
          writes: { maxGapUs: this.longestWriteGapUs() },
        }),
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

  /**
   * The longest time any shard went without acknowledging a put while the load ran: how long
   * writes were unavailable somewhere (a region outage shows here as the failover time).
   */
  private longestWriteGapUs(): number {
    const { startUs, stopUs } = this.settings.workload;
    const acks = new Map<number, number[]>();
    for (const o of this.history) {
      if (o.op !== 'put' || o.outcome !== 'ok' || o.completeUs === null || o.shard === undefined || o.client >= PROBE_CLIENT_BASE) continue;
      if (o.completeUs < startUs || o.completeUs > stopUs) continue;
      let list = acks.get(o.shard);
      if (list === undefined) acks.set(o.shard, (list = []));
      list.push(o.completeUs);
    }
    let worst = 0;
    for (const list of acks.values()) {
      list.sort((a, b) => a - b);
      for (let i = 1; i < list.length; i++) worst = Math.max(worst, list[i]! - list[i - 1]!);
    }
    return worst;
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

  /** Per shard, one put and one linearizable get from a probe client (and bounded gets, when the workload reads so), retried until they succeed. */
  private startProbes(): LivenessProbe[] {
    const probes: LivenessProbe[] = [];
    const ring = this.settings.ring;
    const client = this.probeClient;
    if (client === undefined) return probes;
    const readsBounded = this.settings.workload.levels.some(([level, weight]) => level === 'bounded' && weight > 0);
    const levels: readonly ('linearizable' | 'bounded')[] = readsBounded ? ['linearizable', 'bounded'] : ['linearizable'];
    for (let shard = 0; shard < ring.shards; shard++) {
      const key = this.keyInShard(shard);
      const probe: LivenessProbe = { shard, writeOkUs: null, readOkUs: null };
      probes.push(probe);
      if (key === undefined) continue;
      const logical = PROBE_CLIENT_BASE + shard;
      const endUs = this.world.nowUs + this.settings.settleUs;
      // Write, then read; each retried (after a pause) until it succeeds or the settle period ends.
      // When the workload reads with bounded staleness, a bounded read follows the linearizable
      // one: once every fault has healed a replica can confirm it is fresh, so such a read is
      // served too (a store that refuses every bounded read is safe, and unavailable).
      // Then, without a placement driver (membership stays put), one bounded read at each replica
      // that may serve follower reads, pinned to it: a follower that cannot confirm its freshness
      // (while the leader, asked directly, can) is found too.
      let attempt = 0;
      const router = this.probeRouter;
      const pinned = readsBounded && router !== undefined && this.placementDriver === undefined ? [...router.readableOf(shard)] : [];
      const steps: { level: 'linearizable' | 'bounded'; at?: string }[] = [...levels.map((level) => ({ level })), ...pinned.map((at) => ({ level: 'bounded' as const, at }))];
      const readAt = (i: number): void => {
        const step = steps[i]!;
        router?.pin(shard, step.at);
        client.execute(this.shared.nextOpId++, logical, { op: 'get', key, level: step.level }, (r) => {
          this.history.push(r.record);
          router?.pin(shard, undefined);
          if (r.record.outcome === 'ok') {
            if (i + 1 < steps.length) readAt(i + 1);
            else probe.readOkUs = this.world.nowUs;
          } else if (this.world.nowUs + PROBE_RETRY_DELAY_US < endUs) this.world.after(PROBE_RETRY_DELAY_US, () => readAt(i));
        });
      };
      const read = (): void => readAt(0);
      const write = (): void => {
        client.execute(this.shared.nextOpId++, logical, { op: 'put', key, value: `probe#${shard}#${attempt++}` }, (c) => {
          this.history.push(c.record);
          if (c.record.outcome === 'ok') {
            probe.writeOkUs = this.world.nowUs;
            read();
          } else if (this.world.nowUs + PROBE_RETRY_DELAY_US < endUs) {
            this.world.after(PROBE_RETRY_DELAY_US, write);
          }
        });
      };
      write();
    }
    return probes;
  }

  /**
   * With quiescence, the churn window (the settling's second half) would hold no activity at
   * all: every group has gone quiet, and a quiet group that never elects tells nothing about
   * waking. So each shard whose probe has been served gets a put every QUIET_BEAT_TIMEOUTS
   * election timeouts there — long enough for its leader to wake, replicate, go quiet again and,
   * if it went silent without a new quiesce round, for its followers to elect another. A group
   * whose leader wakes and quiets properly elects no one; one election per beat is churn.
   */
  private startQuietBeats(probes: readonly LivenessProbe[], healedAtUs: number): void {
    const client = this.probeClient;
    if (client === undefined) return;
    const spacingUs = QUIET_BEAT_TIMEOUTS * this.electionTimeoutUs;
    const endUs = healedAtUs + this.settings.settleUs;
    let n = 0;
    const busy = new Set<number>();
    const beat = (): void => {
      n++;
      for (const probe of probes) {
        const key = this.keyInShard(probe.shard);
        // Only once the probe is done with its client, and the last beat answered (one op at a time per logical client).
        if (key === undefined || probe.writeOkUs === null || probe.readOkUs === null || busy.has(probe.shard)) continue;
        busy.add(probe.shard);
        client.execute(this.shared.nextOpId++, PROBE_CLIENT_BASE + probe.shard, { op: 'put', key, value: `beat#${probe.shard}#${n}` }, (c) => {
          this.history.push(c.record);
          busy.delete(probe.shard);
        });
      }
      if (this.world.nowUs + 2 * spacingUs <= endUs) this.world.after(spacingUs, beat);
    };
    const firstUs = healedAtUs + this.settings.settleUs / 2 + 2 * this.electionTimeoutUs;
    if (firstUs + spacingUs <= endUs) this.world.after(firstUs - this.world.nowUs, beat);
  }

  private keyInShard(shard: number): string | undefined {
    return probeKeyInShard(this.settings.ring, shard);
  }

  /** Every shard replica on a machine that is up (and not replaced for good), with its machine. */
  private *runningReplicas(): Generator<{ machine: string; shard: number; replica: ShardReplica }> {
    for (const { machine, server } of this.runningServers()) for (const [shard, replica] of server.replicas) yield { machine, shard, replica };
  }

  /** Every server on a machine that is up (and not replaced for good). */
  private *runningServers(): Generator<{ machine: string; server: StoreServer }> {
    for (const [machine, server] of this.cluster.serverOf) {
      if (!this.cluster.isRetired(machine) && this.world.machine(machine).state === 'up') yield { machine, server };
    }
  }

  /** Every request the running servers hold unanswered now, by identity. */
  private heldRequests(): Map<object, UnansweredRequest> {
    const held = new Map<object, UnansweredRequest>();
    for (const { machine, shard, replica } of this.runningReplicas()) replica.forEachHeld((kind, entry) => held.set(entry, { machine, shard, kind }));
    return held;
  }

  /**
   * The requests held at the heal that are still held now, or null when the settling is too
   * short to ask that: a bounded read may wait out its bound, and an election may come first.
   */
  private unansweredSince(atHeal: Map<object, UnansweredRequest>): UnansweredInput | null {
    const waitUs = Math.max(this.settings.client.boundedStalenessUs, this.probeBoundUs) + 4 * this.electionTimeoutUs;
    if (this.settings.settleUs < waitUs) return null;
    const now = this.heldRequests();
    const left: UnansweredRequest[] = [];
    for (const [entry, where] of atHeal) if (now.has(entry)) left.push(where);
    return { heldAtHeal: atHeal.size, left };
  }

  /** Raft state on running machines' disks that belongs to no replica they host. */
  private strayKeys(): StrayKey[] {
    const out: StrayKey[] = [];
    for (const { machine, server } of this.runningServers()) for (const key of server.strayDiskKeys()) out.push({ machine, key });
    return out;
  }

  /** Every running replica's applied index and snapshot index, for the compaction check. */
  private compactionInput(): CompactionInput {
    const replicas: CompactionReplica[] = [];
    for (const { machine, shard, replica } of this.runningReplicas()) replicas.push({ shard, machine, applied: replica.kv.appliedIndex, snapshotIndex: replica.raft.snapshotIndex });
    return { every: this.settings.snapshotEvery, replicas };
  }

  private finalReplicaStates(): { replicas: ReplicaFinalState[]; convergence: ConvergenceInput['shards'] } {
    const replicas: ReplicaFinalState[] = [];
    const digests: { machine: string; shard: number; digest: string; appliedIndex: number }[] = [];
    for (const r of this.cluster.finalReplicas()) {
      replicas.push({ machine: r.machine, shard: r.shard, appliedIndex: r.appliedIndex, appliedAt: r.appliedAt });
      digests.push({ machine: r.machine, shard: r.shard, digest: r.digest, appliedIndex: r.appliedIndex });
    }
    // The durability and convergence checks judge these states: a view that left out a running
    // replica would make them pass for want of anything to look at.
    const judged = new Set(replicas.map((r) => `${r.machine}/${r.shard}`));
    for (const { machine, shard } of this.runningReplicas()) {
      if (!judged.has(`${machine}/${shard}`)) throw new AssertionError(`the final states leave out shard ${shard}'s running replica on ${machine}`);
    }
    return { replicas, convergence: convergenceOf(digests) };
  }

  /**
   * Where every shard's replicas are at the end, as the shard's leader's committed membership
   * and the machines' hosted replicas say (white-box, machines), against where the ring and the
   * directory want them.
   */
  private placementInput(): PlacementInput {
    const cluster = this.cluster;
    const ring = cluster.directory.ring;
    const spread = this.spreadInput();
    if (this.placementDriver === undefined) {
      // A topology and no driver: membership never changes; only the zone spread is judged.
      return { shards: [], atUs: this.world.nowUs, movesCompleted: 0, learnersAdded: 0, learnersRemoved: 0, learnersInitial: 0, driver: false, ...(spread !== undefined && { spread }) };
    }
    const shards: PlacementShardInput[] = [];
    for (let shard = 0; shard < ring.shards; shard++) {
      const leader = this.currentLeader(shard);
      const raft = leader === undefined ? undefined : cluster.serverOf.get(leader)?.replicas.get(shard)?.raft;
      const conf = raft?.membership;
      const hosts: string[] = [];
      for (const [machine, server] of cluster.serverOf) {
        if (cluster.isRetired(machine) || this.world.machine(machine).state !== 'up') continue;
        if (server.replicas.has(shard)) hosts.push(machine);
      }
      shards.push({
        shard,
        desiredVoters: ring.replicasOf(shard),
        desiredLearners: cluster.directory.readReplicas.get(shard) ?? [],
        actual:
          leader === undefined || conf === undefined
            ? null
            : { leader, voters: conf.voters.map(machineOfReplica), learners: conf.learners.map(machineOfReplica) },
        hosts,
      });
    }
    // Two views of one count: the cluster's counters and the driver's events.
    if (cluster.learnersAdded !== this.learnersTraced.added || cluster.learnersRemoved !== this.learnersTraced.removed) {
      throw new AssertionError(
        `read replicas counted ${cluster.learnersAdded} added, ${cluster.learnersRemoved} removed, but the placement driver traced ${this.learnersTraced.added} and ${this.learnersTraced.removed}`,
      );
    }
    return {
      shards,
      atUs: this.world.nowUs,
      movesCompleted: this.placementDriver?.movesCompleted ?? 0,
      learnersAdded: cluster.learnersAdded,
      learnersRemoved: cluster.learnersRemoved,
      learnersInitial: this.learnersInitial,
      learnersDroppedByReplace: this.learnersDroppedByReplace,
      driverSettled: this.placementDriver.settled(),
      ...(this.settings.placement?.autoscale === true && {
        autoscale: {
          coldForUs: this.healedAtUs === null ? 0 : this.world.nowUs - this.healedAtUs,
          requiredUs: this.autoscaleColdRequiredUs(),
          remaining: this.autoscaledRemaining(),
        },
      }),
      ...(spread !== undefined && { spread }),
    };
  }

  /**
   * For runs with a topology: the final ring's own spread report, and what the check recomputes
   * it from: where the ring's machines are, and each shard's voters as its replicas' committed
   * membership says (the leader's; with none, the first running replica's), white-box.
   */
  private spreadInput(): PlacementInput['spread'] {
    const topology = this.settings.topology;
    if (topology === undefined) return undefined;
    const cluster = this.cluster;
    const ring = cluster.directory.ring;
    const machines: { machine: string; region: string; zone: string }[] = [];
    for (const m of ring.machines) {
      const place = topology.places.get(m);
      if (place !== undefined) machines.push({ machine: m, region: place.region, zone: place.zone });
    }
    const shards: { shard: number; voters: string[]; leader: string }[] = [];
    for (let shard = 0; shard < ring.shards; shard++) {
      const leader = cluster.currentLeader(shard);
      let conf = leader === undefined ? undefined : cluster.serverOf.get(leader)?.replicas.get(shard)?.raft.membership;
      for (const [machine, server] of cluster.serverOf) {
        if (conf !== undefined) break;
        if (cluster.isRetired(machine) || this.world.machine(machine).state !== 'up') continue;
        conf = server.replicas.get(shard)?.raft.membership;
      }
      shards.push({ shard, voters: conf === undefined ? [...ring.replicasOf(shard)] : conf.voters.map(machineOfReplica), leader: ring.preferredLeaderOf(shard) });
    }
    const reported = ring.spread();
    return {
      reported,
      machines,
      shards,
      quotas: topology.replicasPerRegion !== undefined && Object.keys(topology.replicasPerRegion).length > 0,
    };
  }

  private committedWrites(): Map<string, CommittedWrite> {
    return this.appliedWrites;
  }
}


/**
 * The probe client's router: the cluster's, except that while the probe asks one replica of a
 * shard (`pin`), follower-level reads of that shard may go to it alone.
 */
class PinningRouter implements Router {
  private readonly pins = new Map<number, string>();

  constructor(private readonly inner: Router) {}

  pin(shard: number, machine: string | undefined): void {
    if (machine === undefined) this.pins.delete(shard);
    else this.pins.set(shard, machine);
  }

  /** The replicas that may serve the shard's follower reads, unpinned. */
  readableOf(shard: number): readonly string[] {
    return this.inner.readReplicasOf?.(shard) ?? this.inner.replicasOf(shard);
  }

  get shards(): number {
    return this.inner.shards;
  }
  shardOfKey(key: string): number {
    return this.inner.shardOfKey(key);
  }
  replicasOf(shard: number): readonly string[] {
    return this.inner.replicasOf(shard);
  }
  preferredLeaderOf(shard: number): string {
    return this.inner.preferredLeaderOf(shard);
  }
  readReplicasOf(shard: number): readonly string[] {
    const pinned = this.pins.get(shard);
    return pinned !== undefined ? [pinned] : this.readableOf(shard);
  }
  refresh(): void {
    this.inner.refresh?.();
  }
  placeOf(machine: string): Place | undefined {
    return this.inner.placeOf?.(machine);
  }
}
