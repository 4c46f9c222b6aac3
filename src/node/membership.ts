// Membership changes of a local cluster (`kvsim cluster join|leave --dir DIR`): the placement
// driver of the simulation (src/store/placement.ts), unchanged, run for the duration of the
// command in the command's own process, on a dial-only RealMachine with id `pd`.
//
//   join   id = n(max+1), free ports; append the server and {op: 'join'} to cluster.json; spawn
//          it and wait until it answers /status (if it cannot start, the file is put back as it
//          was: nothing else has seen it); SIGHUP the running servers (they dial the newcomer);
//          run the driver until the cluster is placed.
//   leave  refuse an unknown id, a server that already left, or a leave that would leave fewer
//          machines than the replication factor (exit 2); record {op: 'leave'}; SIGHUP; run the
//          driver until the leaver hosts nothing; stop it gracefully; record {op: 'left'};
//          SIGHUP again (the servers forget it). A leave interrupted before its `left` (a
//          timeout, a kill) is resumed by running the same leave again; a join cut short
//          leaves the newcomer a member, and the next join's or leave's driver finishes its
//          moves too (it places the whole cluster).
//   replace  the server fails for good (SIGKILL if it still runs): a newcomer joins, and the
//          failed one is recorded as leaving and left at once (it will never answer); the
//          driver, told it is retired, moves its replicas to the newcomer and drops the dead
//          replicas from their groups — the simulator's StoreCluster.replace, for real.
// Each refuses to start (exit 1) while a server that should be running does not answer (for
// replace: any but the failed one).
//
// The driver is built exactly as StoreCluster.startPlacement builds it: the directory holds
// the current ring (cluster-file.ts currentRingOf), servers() are its machines, hosts() every
// server still running (ring members and those leaving), nothing is retired, DEFAULT_PLACEMENT.
// "Placed" means, for SETTLED_POLLS_MIN polls in a row (one poll per driver round): the driver's
// settled() holds, every running server's /status lists exactly the shards the current ring puts
// on it (a leaving one: none), and every shard has a leader its replicas agree on. Bound:
// `boundMs`; past it the command fails (exit 1) naming what is still out of place.
//
// One membership change at a time per directory: DIR/membership.lock holds the pid of the
// command making it (a lock left by a dead process is taken over).
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT_CHECK_FAILED, UserError } from '../base/errors.js';
import { RealMachine } from '../real/context.js';
import { DEFAULT_PLACEMENT, PlacementDriver, type Directory, type PlacementEvent, type PlacementOptions } from '../store/placement.js';
import {
  currentRingOf,
  loadClusterFile,
  membershipStateOf,
  nextServerId,
  peersOf,
  runningServersOf,
  serverOf,
  withChange,
  writeClusterFile,
  type ClusterFile,
} from './cluster-file.js';
import {
  CLUSTER_FILE,
  alive,
  everyShardLed,
  fetchStatus,
  freePorts,
  killServer,
  leadersOf,
  livePidOf,
  logTail,
  serverDir,
  sleep,
  spawnServer,
  statusesOf,
  stopServer,
  type ShardLeadership,
} from './local-cluster.js';
import type { ServerStatus } from './server.js';

/** Polls in a row that must find the cluster placed (one poll per driver round). */
const SETTLED_POLLS_MIN = 3;
/** Bound on a joining server's start-up (disk, listen, HTTP), within the command's bound. */
const START_BOUND_MS_MAX = 15_000;
const POLL_MS = DEFAULT_PLACEMENT.roundUs / 1000; // the driver's own rounds may differ: polling is only for "placed"
/** The driver's machine id, as in simulation. */
const DRIVER_ID = 'pd';

export interface MembershipOptions {
  dir: string;
  /** Bound on the whole command. */
  boundMs: number;
  /** Progress lines (moves started and done); default: none. */
  log?: (line: string) => void;
  /** Extra `kvsim serve` arguments for a joining server (kvsim real: --exit-with-parent). */
  serverArgs?: readonly string[];
  /** The driver's settings (a scenario's `placement:` block); default DEFAULT_PLACEMENT. */
  placement?: PlacementOptions;
}

export interface MembershipResult {
  op: 'join' | 'leave' | 'replace';
  id: string;
  /** True when the leave had been recorded by an earlier, unfinished command. */
  resumed: boolean;
  movesStarted: number;
  movesCompleted: number;
  /** The whole command, from reading the file to the last write of it. */
  ms: number;
  /** From the driver's start until the cluster was placed. */
  driverMs: number;
  shards: ShardLeadership[];
}

export async function joinServer(options: MembershipOptions): Promise<MembershipResult> {
  const t0 = performance.now();
  const { dir } = options;
  const log = options.log ?? (() => {});
  const file = join(dir, CLUSTER_FILE);
  const release = takeMembershipLock(dir);
  try {
    const before = loadClusterFile(file);
    const id = nextServerId(before);
    await requireAnswering(dir, before, `join of ${id}`);
    const [port, httpPort] = (await freePorts(2)) as [number, number];
    const cluster = withChange(file, before, { op: 'join', id }, { id, host: '127.0.0.1', port, httpPort });
    writeClusterFile(file, cluster);
    const pid = await startNewcomer(dir, file, before, id, httpPort, options);
    log(`${id}: listed in ${file} (tcp 127.0.0.1:${port}, http ${httpPort}); started, pid ${pid}, answering after ${Math.round(performance.now() - t0)} ms`);
    const told = signalReload(dir, cluster, id);
    if (told.length > 0) log(`told ${told.join(' ')} to re-read ${CLUSTER_FILE} (SIGHUP)`);
    const placed = await runDriver(dir, cluster, `join of ${id}`, t0 + options.boundMs, log, new Set(), options.placement);
    return { op: 'join', id, resumed: false, ...placed, ms: Math.round(performance.now() - t0) };
  } finally {
    release();
  }
}

export async function leaveServer(options: MembershipOptions & { id: string }): Promise<MembershipResult> {
  const t0 = performance.now();
  const { dir, id } = options;
  const log = options.log ?? (() => {});
  const file = join(dir, CLUSTER_FILE);
  const release = takeMembershipLock(dir);
  try {
    let cluster = loadClusterFile(file);
    serverOf(file, cluster, id);
    const state = membershipStateOf(cluster, id);
    if (state === 'left') throw new UserError(`${file}: ${id} already left the cluster (it was stopped for good; ids are never reused)`);
    const resumed = state === 'leaving';
    // Bad input first (below the replication factor: exit 2), then the cluster's state.
    const next = resumed ? cluster : withChange(file, cluster, { op: 'leave', id });
    await requireAnswering(dir, cluster, `leave of ${id}`);
    if (resumed) {
      log(`${id}: its leave is recorded but did not finish; resuming it`);
    } else {
      cluster = next;
      writeClusterFile(file, cluster);
      log(`${id}: off the ring in ${file}; its replicas move away`);
    }
    const told = signalReload(dir, cluster, null);
    if (told.length > 0) log(`told ${told.join(' ')} to re-read ${CLUSTER_FILE} (SIGHUP)`);
    const placed = await runDriver(dir, cluster, `leave of ${id}`, t0 + options.boundMs, log, new Set(), options.placement);
    const how = await stopServer(dir, id);
    log(`${id}: ${how === 'not-running' ? 'was not running' : how === 'stopped' ? 'stopped (disk flushed)' : 'killed after the grace period'}`);
    cluster = withChange(file, cluster, { op: 'left', id });
    writeClusterFile(file, cluster);
    signalReload(dir, cluster, null);
    return { op: 'leave', id, resumed, ...placed, ms: Math.round(performance.now() - t0) };
  } finally {
    release();
  }
}

/**
 * Starts a server the cluster file now lists and waits until it answers; if it cannot start,
 * stops it and puts the file back as it was (nobody has read the new file but the newcomer).
 */
async function startNewcomer(dir: string, file: string, before: ClusterFile, id: string, httpPort: number, options: MembershipOptions): Promise<number> {
  const pid = spawnServer(dir, id, options.serverArgs ?? []);
  try {
    await waitUntilAnswers(dir, id, httpPort, Math.min(START_BOUND_MS_MAX, options.boundMs));
  } catch (err) {
    await stopServer(dir, id);
    writeClusterFile(file, before);
    throw err;
  }
  return pid;
}

/** `id` failed for good; a new server takes its place on the ring (see the top). */
export async function replaceServer(options: MembershipOptions & { id: string }): Promise<MembershipResult & { replacement: string }> {
  const t0 = performance.now();
  const { dir, id: failed } = options;
  const log = options.log ?? (() => {});
  const file = join(dir, CLUSTER_FILE);
  const release = takeMembershipLock(dir);
  try {
    const before = loadClusterFile(file);
    serverOf(file, before, failed);
    if (membershipStateOf(before, failed) !== 'member') throw new UserError(`${file}: ${failed} is not a member of the ring (it is leaving or left); expected a member to replace`);
    await killServer(dir, failed);
    await requireAnswering(dir, { ...before, servers: before.servers.filter((s) => s.id !== failed) }, `replace of ${failed}`);
    const id = nextServerId(before);
    const [port, httpPort] = (await freePorts(2)) as [number, number];
    // Join first, then the failed one leaves and has left: a ring never below the replication factor.
    let cluster = withChange(file, before, { op: 'join', id }, { id, host: '127.0.0.1', port, httpPort });
    cluster = withChange(file, cluster, { op: 'leave', id: failed });
    cluster = withChange(file, cluster, { op: 'left', id: failed });
    writeClusterFile(file, cluster);
    const pid = await startNewcomer(dir, file, before, id, httpPort, options);
    log(`${failed}: failed for good; ${id} takes its place (tcp 127.0.0.1:${port}, http ${httpPort}, pid ${pid})`);
    signalReload(dir, cluster, id);
    const placed = await runDriver(dir, cluster, `replace of ${failed}`, t0 + options.boundMs, log, new Set([failed]), options.placement);
    return { op: 'replace', id: failed, replacement: id, resumed: false, ...placed, ms: Math.round(performance.now() - t0) };
  } finally {
    release();
  }
}

/** The driver's part: runs it until the cluster is placed (see the top), or fails at the deadline. */
async function runDriver(
  dir: string,
  cluster: ClusterFile,
  what: string,
  deadlineMs: number,
  log: (line: string) => void,
  retired: ReadonlySet<string> = new Set(),
  placement: PlacementOptions = DEFAULT_PLACEMENT,
): Promise<Pick<MembershipResult, 'movesStarted' | 'movesCompleted' | 'driverMs' | 'shards'>> {
  const t0 = performance.now();
  const ring = currentRingOf(cluster);
  const running = runningServersOf(cluster).map((s) => s.id);
  const directory: Directory = { ring, readReplicas: new Map(), members: new Map(), version: cluster.membership.length };
  let driver: PlacementDriver | null = null;
  let movesStarted = 0;
  const notify = (e: PlacementEvent) => {
    if (e.kind === 'move-started') {
      movesStarted++;
      log(`  moving shard ${e.shard} (${e.machine})`);
    } else if (e.kind === 'move-done') {
      log(`  shard ${e.shard} placed on ${ring.replicasOf(e.shard).join(',')} (leader ${e.machine})`);
    }
  };
  const machine = await RealMachine.start({
    id: DRIVER_ID,
    seed: cluster.seed,
    // The driver is built below, once the machine is up, exactly as StoreCluster.startPlacement
    // builds it; until then a message has nobody to go to.
    boot: () => ({ onMessage: (from, payload) => driver?.onMessage(from, payload) }),
    dataDir: join(serverDir(dir, DRIVER_ID), 'disk'),
    listen: null,
    peers: peersOf(cluster, null),
    tracePath: join(serverDir(dir, DRIVER_ID), 'trace.jsonl'),
    log: () => {},
  });
  try {
    machine.runProcess(() => {
      driver = new PlacementDriver(machine.ctx, directory, () => ring.machines, () => running, (m) => retired.has(m), placement, notify);
    });
    const placedDriver = driver as PlacementDriver | null;
    if (placedDriver === null) throw new UserError(`${what}: the placement driver could not start`);
    let polls = 0;
    for (;;) {
      const statuses = await statusesOf(cluster);
      const gaps = placementGaps(cluster, statuses);
      polls = gaps.length === 0 && placedDriver.settled() ? polls + 1 : 0;
      if (polls >= SETTLED_POLLS_MIN) {
        return { movesStarted, movesCompleted: placedDriver.movesCompleted, driverMs: Math.round(performance.now() - t0), shards: leadersOf(cluster, statuses) };
      }
      if (performance.now() > deadlineMs) {
        const pending = gaps.length > 0 ? gaps.join('; ') : 'the placement driver still has replicas to drop or host';
        throw new UserError(`${what}: not placed within the bound (${movesStarted} moves started, ${placedDriver.movesCompleted} done): ${pending}`, EXIT_CHECK_FAILED);
      }
      await sleep(POLL_MS);
    }
  } finally {
    await machine.close();
  }
}

/**
 * What is out of place, one phrase each (empty: placed): a running server that does not answer,
 * a shard held elsewhere than the current ring says, a shard without an agreed leader.
 */
export function placementGaps(cluster: ClusterFile, statuses: readonly (ServerStatus | null)[]): string[] {
  const ring = currentRingOf(cluster);
  const gaps: string[] = [];
  const holders: string[][] = Array.from({ length: cluster.shards }, () => []);
  cluster.servers.forEach((s, i) => {
    if (membershipStateOf(cluster, s.id) === 'left') return;
    const st = statuses[i] ?? null;
    if (st === null) return void gaps.push(`${s.id} does not answer /status`);
    for (const x of st.shards) holders[x.shard]?.push(s.id);
  });
  for (let shard = 0; shard < cluster.shards; shard++) {
    const wanted = [...ring.replicasOf(shard)].sort();
    const held = holders[shard]!.sort();
    if (held.join(',') !== wanted.join(',')) gaps.push(`shard ${shard} is on ${held.join(',') || 'no server'}, wanted on ${wanted.join(',')}`);
  }
  if (gaps.length === 0 && !everyShardLed(cluster, statuses)) {
    const unled = leadersOf(cluster, statuses).filter((l) => l.leader === null).map((l) => l.shard);
    gaps.push(unled.length > 0 ? `no leader for shard ${unled.join(', ')}` : 'some replica does not follow its shard\'s leader yet');
  }
  return gaps;
}

/**
 * Every server that should be running answers /status, or the change is refused (exit 1) before
 * anything is written: the driver drops a moved replica only once its machine confirms, so a
 * change with a server down would never be placed. (Removing a dead server is a replacement,
 * which the store has but these commands do not.)
 */
async function requireAnswering(dir: string, cluster: ClusterFile, what: string): Promise<void> {
  const statuses = await statusesOf(cluster);
  const down = cluster.servers.filter((s, i) => membershipStateOf(cluster, s.id) !== 'left' && statuses[i] === null).map((s) => s.id);
  if (down.length > 0) {
    throw new UserError(`${what}: ${down.join(', ')} ${down.length === 1 ? 'does' : 'do'} not answer /status; every server must be up to move replicas (start it with kvsim serve --cluster ${join(dir, CLUSTER_FILE)} --id ${down[0]})`, EXIT_CHECK_FAILED);
  }
}

/** Waits until a started server answers /status; throws with its log's tail if it exits. */
async function waitUntilAnswers(dir: string, id: string, httpPort: number, boundMs: number): Promise<void> {
  const deadline = performance.now() + boundMs;
  for (;;) {
    if (livePidOf(dir, id) === null) throw new UserError(`${id} exited during start-up; last lines of ${join(serverDir(dir, id), 'server.log')}:\n${logTail(dir, id)}`);
    if ((await fetchStatus(httpPort, 500)) !== null) return;
    if (performance.now() > deadline) throw new UserError(`${id} did not answer /status within ${Math.round(boundMs / 1000)} s; see ${join(serverDir(dir, id), 'server.log')}`, EXIT_CHECK_FAILED);
    await sleep(50);
  }
}

/** SIGHUP to every running server but `except` (kvsim serve re-reads the file); returns who got it. */
function signalReload(dir: string, cluster: ClusterFile, except: string | null): string[] {
  const told: string[] = [];
  for (const s of runningServersOf(cluster)) {
    if (s.id === except) continue;
    const pid = livePidOf(dir, s.id);
    if (pid === null) continue;
    try {
      process.kill(pid, 'SIGHUP');
      told.push(s.id);
    } catch {
      // it exited since: it reads the file afresh when it starts again
    }
  }
  return told;
}

/** Takes DIR/membership.lock for this process; returns the release. */
function takeMembershipLock(dir: string): () => void {
  const path = join(dir, 'membership.lock');
  mkdirSync(dir, { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = Number(readFileSync(path, 'utf8').trim());
    if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) {
      throw new UserError(`${path}: another membership change (process ${owner}) is running in ${dir}; expected it to finish first`);
    }
    rmSync(path, { force: true }); // left by a dead process
  }
  throw new UserError(`${path}: could not take the membership lock`);
}

