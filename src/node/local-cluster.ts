// A local cluster of real server processes on 127.0.0.1, kept in one directory:
//
//   DIR/cluster.json   the cluster file every process reads (free ports chosen at `up`)
//   DIR/nK/            server nK's data: disk/ (log and snapshots), trace.jsonl, server.log, pid
//
// `up` writes the cluster file, spawns `kvsim serve` for every server (detached: the servers
// outlive the command, as a cluster should), and returns once every shard has a leader that
// the other servers agree on — polled over each server's HTTP /status with a bound. A server
// that exits during start-up is reported with the last lines of its log, and the others are
// stopped. `down` sends SIGTERM (graceful: flush, exit 0), waits, then SIGKILLs what is left.
// A server the cluster file marks left (kvsim cluster leave) was stopped for good: status shows
// it as left, down has nothing to stop there; membership changes themselves are membership.ts.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../base/errors.js';
import { CLUSTER_FILE_VERSION, PLANTED_BUG_NAMES, clusterFileText, currentRingOf, loadClusterFile, membershipStateOf, type ClusterFile, type MembershipState } from './cluster-file.js';
import type { RaftTiming } from '../store/settings.js';
import { MONO_WALL_ENV, monoWallOffsetUs } from '../real/clock.js';
import type { ServerStatus } from './server.js';

/** The kvsim entry point servers are started with (the built one, also when tests run sources). */
const CLI = (() => {
  const here = fileURLToPath(import.meta.url);
  return here.endsWith('.ts') ? join(dirname(here), '../../dist/src/cli/main.js') : join(dirname(here), '../cli/main.js');
})();
export const CLUSTER_FILE = 'cluster.json';
/** The spawning process's pid, in a spawned server's environment (serve --exit-with-parent). */
export const PARENT_PID_ENV = 'KVSIM_PARENT_PID';

export interface ClusterShape {
  machines: number;
  shards: number;
  replication: number;
  vnodes?: number;
  seed?: number;
  raft?: RaftTiming;
  snapshotEvery?: number;
  /** Planted bugs every server runs with (cluster-file.ts `bugs`); absent or empty: none. */
  bugs?: readonly string[];
}

/** Ports the OS says are free now (each bound to port 0, then released). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<import('node:net').Server>((resolve, reject) => {
          const s = createServer();
          s.once('error', reject);
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

export async function makeClusterFile(shape: ClusterShape): Promise<ClusterFile> {
  if (!Number.isInteger(shape.machines) || shape.machines < 1) throw new UserError(`--machines: expected a positive integer, got ${shape.machines}`);
  if (!Number.isInteger(shape.shards) || shape.shards < 1) throw new UserError(`--shards: expected a positive integer, got ${shape.shards}`);
  if (!Number.isInteger(shape.replication) || shape.replication < 1 || shape.replication > shape.machines) {
    throw new UserError(`--rf: expected an integer from 1 to the number of machines (${shape.machines}), got ${shape.replication}`);
  }
  const unknownBug = shape.bugs?.find((b) => !PLANTED_BUG_NAMES.includes(b));
  if (unknownBug !== undefined) throw new UserError(`--bug: unknown planted bug "${unknownBug}"; expected one of ${PLANTED_BUG_NAMES.join(', ')}`);
  const ports = await freePorts(shape.machines * 2);
  return {
    version: CLUSTER_FILE_VERSION,
    seed: shape.seed ?? 1,
    servers: Array.from({ length: shape.machines }, (_, i) => ({ id: `n${i + 1}`, host: '127.0.0.1' as const, port: ports[2 * i]!, httpPort: ports[2 * i + 1]! })),
    shards: shape.shards,
    replication: shape.replication,
    ...(shape.vnodes !== undefined && { vnodes: shape.vnodes }),
    raft: shape.raft ?? {},
    snapshotEvery: shape.snapshotEvery ?? 1_000,
    client: {},
    membership: [],
    ...(shape.bugs !== undefined && shape.bugs.length > 0 && { bugs: [...new Set(shape.bugs)] }),
  };
}

export function serverDir(dir: string, id: string): string {
  return join(dir, id);
}

function pidFile(dir: string, id: string): string {
  return join(serverDir(dir, id), 'pid');
}

function logFile(dir: string, id: string): string {
  return join(serverDir(dir, id), 'server.log');
}

/** The last lines of a server's log (for a failed start). */
export function logTail(dir: string, id: string, lines = 8): string {
  try {
    return readFileSync(logFile(dir, id), 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * True while the pid exists, a zombie included: the data directory's lock (src/real/disk.ts)
 * counts a zombie as its owner too, so a directory is free for reuse only once this is false.
 * (Servers outlive the command that spawned them, so init reaps them, here up to ~1.5 s late.)
 */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function pidOf(dir: string, id: string): number | null {
  try {
    const pid = Number(readFileSync(pidFile(dir, id), 'utf8'));
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/**
 * Starts server `id` of the cluster in DIR as a detached process; returns its pid. The child is
 * told this process's pid (KVSIM_PARENT_PID), so `serve --exit-with-parent` can tell a parent
 * that died before the server got to look from one that is alive.
 */
export function spawnServer(dir: string, id: string, extraArgs: readonly string[] = []): number {
  const data = serverDir(dir, id);
  mkdirSync(data, { recursive: true });
  const out = openSync(logFile(dir, id), 'a');
  try {
    const child = spawn(process.execPath, [CLI, 'serve', '--cluster', join(dir, CLUSTER_FILE), '--id', id, '--data', data, ...extraArgs], {
      detached: true,
      stdio: ['ignore', out, out],
      // The parent's pid (see above) and its wall-minus-monotonic offset, so the whole cluster
      // stamps traces on one wall clock (src/real/clock.ts monoWallOffsetUs).
      env: { ...process.env, [PARENT_PID_ENV]: String(process.pid), [MONO_WALL_ENV]: String(monoWallOffsetUs()) },
    });
    child.unref();
    if (child.pid === undefined) throw new UserError(`${id}: could not start a server process`);
    writeFileSync(pidFile(dir, id), String(child.pid));
    return child.pid;
  } finally {
    closeSync(out);
  }
}

/** The pid of server `id` if its process is alive now, else null. */
export function livePidOf(dir: string, id: string): number | null {
  const pid = pidOf(dir, id);
  return pid !== null && alive(pid) ? pid : null;
}

export async function fetchStatus(port: number, timeoutMs = 1_000): Promise<ServerStatus | null> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/status`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return null;
    return (await res.json()) as ServerStatus;
  } catch {
    return null;
  }
}

export interface ShardLeadership {
  shard: number;
  leader: string | null;
  term: number;
}

/** Each shard's leader as the servers report it (the highest-term leader claim), or null. */
export function leadersOf(cluster: ClusterFile, statuses: readonly (ServerStatus | null)[]): ShardLeadership[] {
  const out: ShardLeadership[] = [];
  for (let shard = 0; shard < cluster.shards; shard++) {
    let best: ShardLeadership = { shard, leader: null, term: -1 };
    for (const st of statuses) {
      const s = st?.shards.find((x) => x.shard === shard);
      if (s !== undefined && s.role === 'leader' && s.term > best.term) best = { shard, leader: st!.id, term: s.term };
    }
    out.push(best);
  }
  return out;
}

/** True once every shard has a leader and every live replica the current ring places follows it. */
export function everyShardLed(cluster: ClusterFile, statuses: readonly (ServerStatus | null)[]): boolean {
  const ring = currentRingOf(cluster);
  for (const lead of leadersOf(cluster, statuses)) {
    if (lead.leader === null) return false;
    for (const st of statuses) {
      if (st === null || !ring.replicasOf(lead.shard).includes(st.id)) continue;
      const s = st.shards.find((x) => x.shard === lead.shard);
      if (s === undefined || s.term !== lead.term || (s.role !== 'leader' && s.leader !== lead.leader)) return false;
    }
  }
  return true;
}

/** Each listed server's /status (null: no answer, or the server left and is not asked). */
export async function statusesOf(cluster: ClusterFile): Promise<(ServerStatus | null)[]> {
  return Promise.all(cluster.servers.map((s) => (membershipStateOf(cluster, s.id) === 'left' ? null : fetchStatus(s.httpPort))));
}

/** Real time, for the launcher's bounds (outside any simulation): monotonic, not the wall clock. */
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const nowMs = () => performance.now();

/**
 * Polls until every shard is led and every server of `watch` answers (true) or the bound
 * passes (false); throws, with the log's
 * last lines, if a server process of `watch` exits meanwhile.
 */
export async function waitUntilLed(dir: string, cluster: ClusterFile, boundMs: number, watch: readonly string[] = []): Promise<boolean> {
  const deadline = nowMs() + boundMs;
  while (nowMs() < deadline) {
    for (const id of watch) {
      const pid = pidOf(dir, id);
      if (pid === null || !alive(pid)) throw new UserError(`${id} exited during start-up; last lines of ${logFile(dir, id)}:\n${logTail(dir, id)}`);
    }
    const statuses = await statusesOf(cluster);
    const watchedUp = watch.every((id) => statuses[cluster.servers.findIndex((s) => s.id === id)] !== null);
    if (watchedUp && everyShardLed(cluster, statuses)) return true;
    await sleep(100);
  }
  return false;
}

export interface UpOptions extends ClusterShape {
  dir: string;
  /** Bound on waiting for every shard to have a leader. */
  readyBoundMs?: number;
}

export async function clusterUp(options: UpOptions): Promise<ClusterFile> {
  const { dir } = options;
  const file = join(dir, CLUSTER_FILE);
  if (existsSync(file)) {
    const old = loadClusterFile(file);
    if (old.servers.some((s) => livePidOf(dir, s.id) !== null)) {
      throw new UserError(`${file}: a cluster is already running in ${dir}; expected kvsim cluster down --dir ${dir} first`);
    }
  }
  mkdirSync(dir, { recursive: true });
  const cluster = await makeClusterFile(options);
  writeFileSync(file, clusterFileText(cluster));
  const ids = cluster.servers.map((s) => s.id);
  for (const id of ids) spawnServer(dir, id);
  try {
    const led = await waitUntilLed(dir, cluster, options.readyBoundMs ?? 20_000, ids);
    if (!led) throw new UserError(`${dir}: not every shard elected a leader within ${(options.readyBoundMs ?? 20_000) / 1000} s; see ${ids.map((id) => logFile(dir, id)).join(', ')}`);
  } catch (err) {
    await clusterDown(dir);
    throw err;
  }
  return cluster;
}

export interface DownResult {
  stopped: string[];
  killed: string[];
  notRunning: string[];
  /** Servers that left the cluster (stopped for good by kvsim cluster leave). */
  left: string[];
}

/** Stops one server: SIGTERM, wait up to `graceMs`, then SIGKILL. */
export async function stopServer(dir: string, id: string, graceMs = 5_000): Promise<'stopped' | 'killed' | 'not-running'> {
  const pid = pidOf(dir, id);
  if (pid === null || !alive(pid)) {
    rmSync(pidFile(dir, id), { force: true });
    return 'not-running';
  }
  process.kill(pid, 'SIGTERM');
  const deadline = nowMs() + graceMs;
  while (nowMs() < deadline && alive(pid)) await sleep(50);
  let how: 'stopped' | 'killed' = 'stopped';
  if (alive(pid)) {
    process.kill(pid, 'SIGKILL');
    how = 'killed';
    while (alive(pid)) await sleep(20);
  }
  rmSync(pidFile(dir, id), { force: true });
  return how;
}

/** SIGKILLs one server (a crash); returns false if it was not running. */
export async function killServer(dir: string, id: string): Promise<boolean> {
  const pid = pidOf(dir, id);
  if (pid === null || !alive(pid)) return false;
  process.kill(pid, 'SIGKILL');
  while (alive(pid)) await sleep(10);
  rmSync(pidFile(dir, id), { force: true });
  return true;
}

export async function clusterDown(dir: string): Promise<DownResult> {
  const cluster = loadClusterFile(join(dir, CLUSTER_FILE));
  const result: DownResult = { stopped: [], killed: [], notRunning: [], left: [] };
  // A left server was stopped by its leave; a process under its pid now would be someone else's.
  const outcomes = await Promise.all(cluster.servers.map(async (s) => [s.id, membershipStateOf(cluster, s.id) === 'left' ? 'left' : await stopServer(dir, s.id)] as const));
  for (const [id, how] of outcomes) (how === 'stopped' ? result.stopped : how === 'killed' ? result.killed : how === 'left' ? result.left : result.notRunning).push(id);
  return result;
}

export interface ClusterStatus {
  dir: string;
  /** `state`: on the current ring, leaving it (still serving), or left (stopped for good). */
  servers: { id: string; state: MembershipState; pid: number | null; up: boolean; port: number; httpPort: number; shards: number; leads: number }[];
  shards: ShardLeadership[];
}

export async function clusterStatus(dir: string): Promise<ClusterStatus> {
  const cluster = loadClusterFile(join(dir, CLUSTER_FILE));
  const statuses = await statusesOf(cluster);
  return {
    dir,
    servers: cluster.servers.map((s, i) => {
      const st = statuses[i] ?? null;
      return {
        id: s.id,
        state: membershipStateOf(cluster, s.id),
        pid: pidOf(dir, s.id),
        up: st !== null,
        port: s.port,
        httpPort: s.httpPort,
        shards: st?.shards.length ?? 0,
        leads: st?.shards.filter((x) => x.role === 'leader').length ?? 0,
      };
    }),
    shards: leadersOf(cluster, statuses),
  };
}
