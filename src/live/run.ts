// `kvsim real`: one scenario run against real server processes, Jepsen-style, judged by the same
// checks as a simulated run.
//
//   1. cluster   a cluster file from the scenario (machines, shards, replication, Raft timing,
//                planted bugs), servers spawned on 127.0.0.1 in DIR, until every shard is led
//   2. load      the scenario's workload from client machines in this process (clients.ts)
//   3. faults    the harness's FaultScheduler on a LiveHost (host.ts): the same triggers, targets
//                and random streams as in simulation, applied with signals and control requests;
//                `when` conditions from the servers' /status (polled) and completed operations
//   4. settle    at the scenario's duration: load stops, every fault is undone (heal, resume,
//                restart), liveness probes run, replicas are given time to converge
//   5. judge     the servers' final /state (applied operation ids, digests) gives the committed
//                writes and the durability input; the merged per-process traces feed the Raft
//                oracle — every rule, read safety with a clock uncertainty (a commit counts as
//                "before the read was asked" only if the host clock puts it 1 ms earlier: the
//                processes' clocks agree to a few µs, RealClock); judge.ts decides
//   6. outputs   the run summary (the `kvsim run` object plus mode "real"), the merged trace
//                (replay, report), the history
//
// Faults the real runtime cannot produce, and scenario settings it cannot honour, are refused
// with a clear error (leadership transfers and placement autoscaling: not in real runs yet) or
// listed in the summary's `approximations` (the loopback network's own latency replaces the
// scenario's latency model; the real disk replaces its fsync model; SIGKILL keeps the page
// cache, so no acknowledged-but-unsynced write is lost the way a simulated crash loses one).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../base/errors.js';
import type { CommittedWrite } from '../check/eventual.js';
import type { ReplicaFinalState } from '../check/durability.js';
import { RaftInvariantChecker } from '../check/raft-invariants.js';
import { formatJsonl } from '../history/jsonl.js';
import type { OpRecord } from '../history/op.js';
import type { EngineFaultAction } from '../harness/engine.js';
import { evaluateExpectations } from '../harness/expect.js';
import { FaultScheduler, type FaultTargets } from '../harness/faults.js';
import { convergenceOf, judgeStoreRun, type Judgement } from '../harness/judge.js';
import { checksHold, type RunSummary } from '../harness/runner.js';
import { resolveCommonTarget, targetOf } from '../harness/demo.js';
import { settingsOf, type StoreSettings } from '../harness/store-engine.js';
import { CLUSTER_FILE, leadersOf, makeClusterFile, serverDir, sleep } from '../node/local-cluster.js';
import { clusterShapeOf } from './shape.js';
import { clusterFileText, peersOf, type ClusterFile } from '../node/cluster-file.js';
import type { ServerState, ServerStatus } from '../node/server.js';
import { RealClock } from '../real/clock.js';
import { mergeTraces } from '../real/merge.js';
import { TraceFile } from '../real/trace.js';
import { readTrace } from '../trace/reader.js';
import type { TraceEvent } from '../trace/events.js';
import { actionOf, FAULT_KINDS, triggerOf, type FaultKind, type StateCondition } from '../scenario/fault.js';
import type { LoadedScenario } from '../scenario/load.js';
import type { Scenario } from '../scenario/schema.js';
import type { Rng } from '../sim/random.js';
import { LiveClients } from './clients.js';
import { LiveHost } from './host.js';
import { LiveServers } from './servers.js';
import { markStaleReads } from './staleness.js';

/** Fault actions a real run cannot apply yet: refused up front, never skipped. */
const NOT_IN_REAL_RUNS: Partial<Record<FaultKind, string>> = {
  transfer: 'a leadership transfer needs a control request the servers do not offer yet',
  garble: 'the servers\' network rules drop, duplicate, delay and clog, but do not rewrite frames yet',
};

/** Bound on one membership change (join or leave: the placement driver until placed). */
const MEMBERSHIP_BOUND_MS = 60_000;

/** How far apart two processes' events may be and still be in either order (see the top). */
const CLOCK_UNCERTAINTY_US = 1_000;
/** Bound on real servers per run (each is a Node process). */
export const REAL_MACHINES_MAX = 9;
/** How often the driver polls the servers' /status during the run. */
const STATUS_POLL_MS = 100;
/** Bound on waiting for restarted servers to answer after the heal. */
const RESTART_BOUND_MS = 10_000;
/** Bound on waiting for replicas to reach the same applied index after the probes. */
const CONVERGE_BOUND_MS = 10_000;

export interface RealRunOptions {
  seed: number;
  bugs: readonly string[];
  /** The run's directory (cluster file, server data, traces); default: a temporary one. */
  dir?: string;
  /** Keep a temporary directory after the run (the default removes it unless the run failed). */
  keep?: boolean;
  /** Where to write the merged trace (default: DIR/trace.jsonl, removed with a temporary DIR). */
  tracePath?: string;
  historyPath?: string;
  /** The driver's processes, walked by its signal handlers (see servers.ts). */
  registry: Set<LiveServers>;
  log?: (line: string) => void;
  readyBoundMs?: number;
  /** Looks at the finished run's history and merged trace before a temporary directory goes. */
  inspect?: (run: { summary: RealRunSummary; history: readonly OpRecord[]; tracePath: string }) => Promise<void>;
}

export interface RealRunSummary extends RunSummary {
  mode: 'real';
  real: {
    dir: string | null;
    servers: string[];
    restarts: number;
    controlFailures: number;
    membership: { joined: string[]; left: string[]; failures: string[] };
    approximations: string[];
  };
}

/** What a real run cannot do with this scenario: a UserError naming the place, or null. */
export function refuseForReal(loaded: LoadedScenario): void {
  const { scenario, file } = loaded;
  if (scenario.cluster.machines > REAL_MACHINES_MAX) {
    throw new UserError(`${file}: cluster.machines: ${scenario.cluster.machines} real servers; expected at most ${REAL_MACHINES_MAX} in a real run`);
  }
  if (scenario.cluster.shards === undefined && scenario.workload === undefined) {
    throw new UserError(`${file}: a real run needs a store scenario (cluster.shards or a workload); the ping demo has no real counterpart`);
  }
  if (scenario.placement?.autoscale === true) {
    throw new UserError(`${file}: placement.autoscale: real runs place replicas for membership changes only (the driver does not run all along to add read replicas); expected autoscale off`);
  }
  if (scenario.topology !== undefined) {
    throw new UserError(`${file}: topology: regions and zones are simulated only (every real server runs on this host, over loopback); expected a scenario without topology`);
  }
  (scenario.faults ?? []).forEach((fault, i) => {
    if (typeof fault.delay === 'object') {
      throw new UserError(`${file}: faults[${i}].delay: a delay on some links only is not available in real runs (the servers' rules delay every link alike); expected delay: DURATION`);
    }
    if (triggerOf(fault).kind === 'event') {
      throw new UserError(`${file}: faults[${i}].when.event: protocol-event triggers are simulated only (a real run does not see the servers' Raft events as they happen); expected at, every, or when: { leaderElected | opsCompleted }`);
    }
    const kind = actionOf(fault).kind;
    const why = NOT_IN_REAL_RUNS[kind];
    if (why !== undefined) throw new UserError(`${file}: faults[${i}]: ${kind} is not available in real runs (${why}); expected one of ${FAULT_KINDS.filter((k) => NOT_IN_REAL_RUNS[k] === undefined).join(', ')}`);
  });
}

/** Settings a real run honours only approximately (listed in the summary, never silent). */
export function approximationsOf(scenario: Scenario): string[] {
  const out = ['SIGKILL keeps the page cache: a crash loses no write the OS accepted (a simulated crash loses what was not fsync\'d)'];
  if (scenario.network?.latency !== undefined) out.push('network.latency: the loopback network\'s own latency is used, not the scenario\'s model');
  if (scenario.disk !== undefined) out.push('disk: the real disk\'s fsync times are used, not the scenario\'s model');
  if ((scenario.faults ?? []).some((f) => f.slowDisk !== undefined)) out.push('slowDisk: an fsync delay of (factor − 1) × the scenario\'s mean fsync time (1 ms if none), not a multiplied fsync');
  if ((scenario.faults ?? []).some((f) => f.reorder !== undefined)) out.push('reorder: each message delayed by a random 0–5 ms');
  if ((scenario.faults ?? []).some((f) => f.clog !== undefined)) out.push('clog: messages on a clogged link are held on the sender and delivered when the clog ends');
  if (scenario.cluster.readServiceTime !== undefined) out.push('cluster.readServiceTime: reads take what they take on this machine');
  return out;
}

/** The fault targets of a real run: servers, leaders as the servers last reported them. */
class LiveTargets implements FaultTargets {
  leaders: { shard: number; leader: string | null; term: number }[] = [];
  elections = 0;
  private readonly seenTerms = new Set<string>();
  /** Membership changes run one after another (membership.ts takes a lock per directory). */
  private membership: Promise<void> = Promise.resolve();
  readonly joined: string[] = [];
  readonly left: string[] = [];
  readonly membershipFailures: string[] = [];

  constructor(
    private readonly settings: StoreSettings,
    private readonly clients: LiveClients,
    private readonly liveServers: LiveServers,
    private readonly afterMembership: () => void,
    private readonly log: (line: string) => void,
  ) {}

  servers(): string[] {
    return this.liveServers.running;
  }

  observe(cluster: ClusterFile, statuses: readonly (ServerStatus | null)[]): void {
    this.leaders = leadersOf(cluster, statuses);
    for (const l of this.leaders) {
      if (l.leader === null) continue;
      const key = `${l.shard}/${l.term}`;
      if (!this.seenTerms.has(key)) {
        this.seenTerms.add(key);
        this.elections++;
      }
    }
  }

  resolveTarget(target: string, rng: Rng): string[] {
    const all = this.servers();
    const t = targetOf(target);
    const common = resolveCommonTarget(t, all, (m) => all.includes(m), rng);
    if (common !== undefined) return common;
    if (t.kind === 'leader') {
      const l = this.leaders.find((x) => x.shard === t.shard)?.leader ?? null;
      return [l ?? this.settings.ring.preferredLeaderOf(t.shard)];
    }
    const leaders = [...new Set(this.leaders.map((l) => l.leader).filter((l): l is string => l !== null))];
    return leaders.length > 0 ? [rng.pick(leaders)] : [rng.pick(all)];
  }

  conditionHolds(when: StateCondition): boolean {
    if (when.opsCompleted !== undefined) return this.clients.completed >= when.opsCompleted;
    if (when.leaderElected !== undefined) {
      if (when.leaderElected === 'any') return this.elections > 0;
      return this.leaders.some((l) => l.shard === when.leaderElected && l.leader !== null);
    }
    return false;
  }

  /** Resolves once every membership change asked for so far has finished (or failed). */
  membershipIdle(): Promise<void> {
    return this.membership;
  }

  private enqueue(what: string, change: () => Promise<void>): void {
    this.membership = this.membership.then(change).catch((err: unknown) => {
      const message = `${what}: ${(err as Error).message.split('\n')[0]}`;
      this.membershipFailures.push(message);
      this.log(message);
    });
  }

  applyEngineFault(action: EngineFaultAction): { undo?: () => void; detail: string } | undefined {
    const servers = this.liveServers;
    switch (action.kind) {
      case 'spike': {
        const shared = this.clients.shared;
        const before = { factor: shared.rateFactor, key: shared.hotKey };
        shared.rateFactor = action.factor;
        shared.hotKey = action.key;
        return {
          undo: () => {
            shared.rateFactor = before.factor;
            shared.hotKey = before.key;
          },
          detail: `load x${action.factor}${action.key ? ` hot key ${action.key}` : ''}`,
        };
      }
      case 'join':
        // A real cluster names a newcomer itself (the next free id), as `kvsim cluster join` does.
        this.enqueue(`join of ${action.machine}`, async () => {
          const id = await servers.join(MEMBERSHIP_BOUND_MS, this.log);
          this.joined.push(id);
          this.clients.updateCluster(servers.cluster);
          this.afterMembership();
        });
        return { detail: `${action.machine} joins (a new server process; the placement driver moves replicas onto it)` };
      case 'leave': {
        const id = action.machine;
        if (!servers.running.includes(id)) return { detail: `${id} is not a running member: nothing to leave` };
        this.enqueue(`leave of ${id}`, async () => {
          await servers.leave(id, MEMBERSHIP_BOUND_MS, this.log);
          this.left.push(id);
          this.clients.updateCluster(servers.cluster);
          this.afterMembership();
        });
        return { detail: `${id} leaves (the placement driver moves its replicas away, then it stops for good)` };
      }
      case 'replace': {
        const id = action.machine;
        if (!servers.running.includes(id)) return { detail: `${id} is not a running member: nothing to replace` };
        this.enqueue(`replace of ${id}`, async () => {
          const fresh = await servers.replace(id, MEMBERSHIP_BOUND_MS, this.log);
          this.joined.push(fresh);
          this.left.push(id);
          this.clients.updateCluster(servers.cluster);
          this.afterMembership();
        });
        return { detail: `${id} fails for good (SIGKILL); a new server process takes its replicas` };
      }
      default:
        return undefined; // refused before the run (refuseForReal)
    }
  }
}

export async function runReal(loaded: LoadedScenario, options: RealRunOptions): Promise<RealRunSummary> {
  refuseForReal(loaded);
  const { scenario } = loaded;
  const name = scenario.name ?? loaded.file;
  const log = options.log ?? (() => {});
  const allBugs = [...options.bugs, ...(scenario.bugs ?? [])];
  const settings = settingsOf(scenario, allBugs);
  const temporary = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'kvsim-real-'));
  mkdirSync(dir, { recursive: true });
  if (existsSync(join(dir, CLUSTER_FILE))) throw new UserError(`${dir}: already holds a cluster (${CLUSTER_FILE}); expected an empty or new directory for a real run`);
  const cluster: ClusterFile = await makeClusterFile(clusterShapeOf(scenario, options.seed, allBugs));
  writeFileSync(join(dir, CLUSTER_FILE), clusterFileText(cluster));
  const clientTraceDir = join(dir, 'clients');
  mkdirSync(clientTraceDir, { recursive: true });
  // Kept unless the run ends well (a throw keeps it too: its logs say why).
  let keepAtEnd = true;
  const servers = await LiveServers.start(dir, cluster, options.registry, options.readyBoundMs ?? 20_000);
  if (settings.placement !== null) servers.placement = settings.placement;
  let clients: LiveClients | undefined;
  let host: LiveHost | undefined;
  let driverTrace: TraceFile | undefined;
  try {
    // True time 0 is now: the load's start, fault times and the history all count from here.
    const clock = new RealClock();
    const driverTracePath = join(dir, 'driver.trace.jsonl');
    driverTrace = new TraceFile(driverTracePath);
    const trace = driverTrace;
    const emit = (event: TraceEvent): void => {
      event.t = clock.trueUs();
      trace.write(event, clock.wallUs(event.t));
    };
    clients = new LiveClients(settings, clock, peersOf(cluster, null), options.seed, clientTraceDir, () => host?.progressed());
    const machines = settings.machines; // the servers, as a simulated run.start lists them
    emit({ t: 0, type: 'run.start', seed: options.seed, scenario: name, machines, mode: 'real' });
    const liveClients = clients;
    host = new LiveHost({
      seed: options.seed,
      clock,
      servers,
      clients: () => liveClients.machines,
      emit,
      ...(scenario.disk?.fsyncMean !== undefined && { fsyncMeanUs: scenario.disk.fsyncMean }),
      log,
    });
    const liveHost = host;
    const targets = new LiveTargets(settings, clients, servers, () => liveHost.pushNet(), log);
    await clients.start();
    // A scenario's base network loss is a fault in force from the start.
    const net = scenario.network;
    if ((net?.drop ?? 0) > 0 || (net?.duplicate ?? 0) > 0) host.network.setFaultRates(net?.drop ?? 0, net?.duplicate ?? 0, 0);
    if (net?.reorder === true) host.network.faultReorder = true;
    const faults = new FaultScheduler(targets, scenario.faults ?? [], scenario.duration, host);
    faults.start();

    // The run: poll status (leaders for targets and `when`; servers that died on their own).
    let exited: { id: string; log: string }[] = [];
    while (clock.trueUs() < scenario.duration) {
      const statuses = await servers.statuses();
      targets.observe(servers.cluster, statuses);
      liveHost.progressed();
      exited = servers.exitedUnasked();
      if (exited.length > 0) break;
      await sleep(Math.min(STATUS_POLL_MS, Math.max(1, (scenario.duration - clock.trueUs()) / 1000)));
    }
    if (exited.length > 0) return await abortedByServer(exited);

    // Settle: membership changes under way finish first (bounded), then every fault is undone.
    await targets.membershipIdle();
    const network = host.network;
    network.heal('all');
    if (network.faultDrop !== 0 || network.faultDuplicate !== 0 || network.faultDelayExtraUs !== 0) network.setFaultRates(0, 0, 0);
    if (network.faultReorder) network.faultReorder = false;
    for (const id of servers.ids) {
      host.machine(id).resume();
      host.machine(id).restart();
      host.slowDisk(id, 1);
    }
    clients.shared.rateFactor = 1;
    clients.shared.hotKey = null;
    await waitAllUp(servers);
    await host.drain();
    const healedAtUs = clock.trueUs();
    emit({ t: 0, type: 'store.settle', quiet: true });
    const probes = await clients.runProbes(healedAtUs + settings.settleUs);
    // Operations still in flight end by their own deadline.
    const pendingDeadline = performance.now() + settings.client.timeoutUs / 1000 + 1_000;
    while (clients.pending > 0 && performance.now() < pendingDeadline) await sleep(20);
    const states = await convergedStates(servers);
    exited = servers.exitedUnasked();
    if (exited.length > 0) return await abortedByServer(exited);
    const endUs = clock.trueUs();

    // Stop everything so every trace is complete, then merge and judge.
    await servers.stopAll();
    await clients.close();
    const finals = finalsOf(states);
    const committed = committedOf(states, clients.history);
    const partialPath = join(dir, 'merged.partial.jsonl');
    trace.close();
    // The servers' traces, and the placement driver's if a membership change ran one.
    const serverTraces = [...servers.ids, 'pd'].map((id) => join(serverDir(dir, id), 'trace.jsonl')).filter((p) => existsSync(p));
    const clientTraces = readdirSync(clientTraceDir).map((f) => join(clientTraceDir, f));
    await mergeTraces(driverTracePath, [...serverTraces, ...clientTraces], partialPath);
    const observed = await observeTrace(partialPath);
    const judged: Judgement = judgeStoreRun({
      history: clients.history,
      committed,
      replicas: finals.replicas,
      convergence: finals.convergence,
      ownerOfKey: (key) => settings.ring.ownerOfKey(key),
      boundedStalenessUs: settings.client.boundedStalenessUs,
      healedAtUs,
      livenessBoundUs: settings.livenessBoundUs,
      probes,
      // The servers' status does not carry their snapshot index.
      compaction: null,
      unanswered: null,
      // Nor what stays on their disks.
      stray: null,
      churn: null,
      oracle: observed.oracle,
      linearizabilityWorkPolls: settings.linearizabilityWorkPolls,
      // Real membership changes report their own outcome (extra.membership.failures); the
      // final-placement check needs every replica's committed membership, which the servers'
      // status does not carry yet.
      placement: null,
    });
    const summary: RealRunSummary = {
      scenario: name,
      seed: options.seed,
      traceHash: '',
      simTimeUs: endUs,
      events: 0,
      messages: observed.messages,
      ops: judged.ops,
      elections: observed.elections,
      staleReads: judged.staleReads,
      checks: judged.checks,
      faults: faults.faultsFired,
      shed: clients.shared.shed,
      // As a simulated run reports its placement driver: here the membership changes' drivers.
      ...(targets.joined.length + targets.left.length + targets.membershipFailures.length > 0 && {
        placement: { movesCompleted: servers.movesCompleted, settled: targets.membershipFailures.length === 0, machines: servers.running },
      }),
      expectations: { ok: true, failed: [] },
      ok: true,
      mode: 'real',
      real: {
        dir,
        servers: servers.ids,
        restarts: servers.restarts,
        controlFailures: host.controlFailures,
        membership: { joined: targets.joined, left: targets.left, failures: targets.membershipFailures },
        approximations: approximationsOf(scenario),
      },
    };
    summary.expectations = evaluateExpectations(loaded.file, scenario.expect ?? {}, summary, loaded.expectPositions);
    summary.ok = summary.expectations.ok && checksHold(summary.checks, scenario.expect ?? {});
    // A failed run keeps its directory (server logs, data, traces) for a look; a passing
    // temporary one goes.
    const keepDir = !temporary || options.keep === true || !summary.ok;
    if (!keepDir) summary.real.dir = null;
    // The trace ends as a simulated one does: the summary, then the end.
    const finalTrace = new TraceFile(driverTracePath);
    const endWall = clock.wallUs(clock.trueUs());
    finalTrace.write({ t: clock.trueUs(), type: 'run.summary', scenario: name, seed: options.seed, bugs: allBugs, summary: summaryForTrace(summary) }, endWall);
    finalTrace.write({ t: clock.trueUs(), type: 'run.end', events: 0 }, endWall);
    finalTrace.close();
    const tracePath = options.tracePath ?? join(dir, 'trace.jsonl');
    const merged = await mergeTraces(driverTracePath, [...serverTraces, ...clientTraces], partialPath);
    await markStaleReads(partialPath, tracePath, committed);
    rmSync(partialPath, { force: true });
    summary.events = merged.events;
    summary.traceHash = createHash('sha256').update(readFileSync(tracePath)).digest('hex').slice(0, 16);
    if (options.historyPath !== undefined) {
      writeFileSync(options.historyPath, formatJsonl(clients.history));
      summary.history = options.historyPath;
    }
    if (options.tracePath !== undefined) summary.trace = options.tracePath;
    await options.inspect?.({ summary, history: clients.history, tracePath });
    keepAtEnd = keepDir;
    return summary;
  } finally {
    host?.close();
    driverTrace?.close();
    await servers.stopAll();
    await clients?.close().catch(() => {});
    if (temporary && !keepAtEnd) rmSync(dir, { recursive: true, force: true });
  }

  async function abortedByServer(exited: { id: string; log: string }[]): Promise<never> {
    const first = exited[0]!;
    throw new UserError(`${loaded.file}: seed ${options.seed}: server ${first.id} exited during the real run (a found bug or a crash of the server); its log ends:\n${first.log}\n(run directory kept: ${dir})`, 1);
  }
}

/** The summary as the trace's run.summary carries it (what report and replay read). */
function summaryForTrace(s: RealRunSummary): Record<string, unknown> {
  return { ops: s.ops, elections: s.elections, staleReads: s.staleReads, checks: s.checks, mode: 'real' };
}

async function waitAllUp(servers: LiveServers): Promise<void> {
  const deadline = performance.now() + RESTART_BOUND_MS;
  while (performance.now() < deadline) {
    const statuses = await servers.statuses();
    if (servers.cluster.servers.every((s, i) => servers.state.get(s.id) === 'left' || statuses[i] !== null)) return;
    await sleep(50);
  }
}

/** Final states once each shard's replicas have applied the same index (or the bound passed). */
async function convergedStates(servers: LiveServers): Promise<ServerState[]> {
  const deadline = performance.now() + CONVERGE_BOUND_MS;
  for (;;) {
    const states = await servers.finalStates();
    const byShard = new Map<number, Set<number>>();
    for (const st of states) for (const sh of st.shards) (byShard.get(sh.shard) ?? byShard.set(sh.shard, new Set()).get(sh.shard)!).add(sh.appliedIndex);
    if ([...byShard.values()].every((set) => set.size === 1) || performance.now() >= deadline) return states;
    await sleep(100);
  }
}

function finalsOf(states: readonly ServerState[]): { replicas: ReplicaFinalState[]; convergence: ReturnType<typeof convergenceOf> } {
  const replicas: ReplicaFinalState[] = [];
  const digests: { machine: string; shard: number; digest: string; appliedIndex: number }[] = [];
  for (const st of states) {
    for (const sh of st.shards) {
      const at = new Map(sh.applied);
      replicas.push({ machine: st.id, shard: sh.shard, appliedIndex: sh.appliedIndex, appliedAt: (opId) => at.get(opId) });
      digests.push({ machine: st.id, shard: sh.shard, digest: sh.digest, appliedIndex: sh.appliedIndex });
    }
  }
  return { replicas, convergence: convergenceOf(digests) };
}

/** value → (key, shard, index) of every put some replica applied, from the servers' own state. */
function committedOf(states: readonly ServerState[], history: readonly { op: string; id: number; key: string; value?: string | null }[]): Map<string, CommittedWrite> {
  const putOf = new Map<number, { key: string; value: string }>();
  for (const o of history) if (o.op === 'put' && typeof o.value === 'string') putOf.set(o.id, { key: o.key, value: o.value });
  const committed = new Map<string, CommittedWrite>();
  for (const st of states) {
    for (const sh of st.shards) {
      for (const [opId, index] of sh.applied) {
        const put = putOf.get(opId);
        if (put !== undefined && !committed.has(put.value)) committed.set(put.value, { key: put.key, shard: sh.shard, index });
      }
    }
  }
  return committed;
}

/** One pass over the merged trace: the Raft oracle, elections, messages. */
async function observeTrace(path: string): Promise<{ oracle: RaftInvariantChecker; elections: number; messages: RunSummary['messages'] }> {
  const oracle = new RaftInvariantChecker({ clockUncertaintyUs: CLOCK_UNCERTAINTY_US });
  let elections = 0;
  const messages = { sent: 0, delivered: 0, dropped: 0 };
  for await (const e of readTrace(path)) {
    oracle.observe(e);
    if (e.type === 'raft.elected') elections++;
    else if (e.type === 'msg.send') messages.sent++;
    else if (e.type === 'msg.deliver') messages.delivered++;
    else if (e.type === 'msg.drop') messages.dropped++;
  }
  return { oracle, elections, messages };
}
