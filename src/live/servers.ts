// The server processes of one real run, owned by the driver: started with --exit-with-parent
// (a server notices its driver is gone and stops), tracked by pid, and always reaped.
//
//   LiveServers.start(dir, cluster)   spawn every server, wait until every shard is led
//   kill(id)        SIGKILL (a crash); the data directory stays for respawn(id)
//   respawn(id)     a new process on the same data directory (a restart)
//   pause/resume    SIGSTOP / SIGCONT
//   join()/leave(id)/replace(id)  a membership change through src/node/membership.ts (the
//                   placement driver until placed); the cluster file is re-read and a new
//                   server adopted
//   stopAll()       graceful: SIGCONT what is paused, SIGTERM, wait, SIGKILL what is left
//   killAllNow()    synchronous SIGKILL of every process (process 'exit' and signal handlers)
//
// Every LiveServers registers itself in a per-process set that the driver's signal handlers
// walk (installReaper): an interrupted run (SIGINT, SIGTERM) or a thrown error leaves no
// server behind. The set belongs to the driver process, not to a simulation; it is the one
// piece of process-wide state here, and only the CLI installs the handlers.
import { join } from 'node:path';
import { UserError } from '../base/errors.js';
import { loadClusterFile, membershipStateOf, runningServersOf, type ClusterFile } from '../node/cluster-file.js';
import { alive, CLUSTER_FILE, logTail, pidOf, serverDir, sleep, spawnServer, statusesOf, waitUntilLed } from '../node/local-cluster.js';
import { joinServer, leaveServer, replaceServer } from '../node/membership.js';
import type { PlacementOptions } from '../store/placement.js';
import type { ServerState, ServerStatus } from '../node/server.js';

/** `leaving`: its replicas move away and membership.ts stops it; `left`: gone for good. */
export type LiveState = 'up' | 'crashed' | 'paused' | 'leaving' | 'left';

/** Bound on a graceful stop before SIGKILL. */
const STOP_GRACE_MS = 5_000;

export class LiveServers {
  readonly state = new Map<string, LiveState>();
  /** pid of every process this run started (alive or not), for the reaper. */
  readonly pids = new Map<string, number>();
  restarts = 0;

  /** The placement driver's settings for membership changes (a scenario's `placement:`). */
  placement: PlacementOptions | undefined;

  private constructor(
    readonly dir: string,
    public cluster: ClusterFile,
    private readonly registry: Set<LiveServers>,
  ) {}

  static async start(dir: string, cluster: ClusterFile, registry: Set<LiveServers>, readyBoundMs: number): Promise<LiveServers> {
    const servers = new LiveServers(dir, cluster, registry);
    registry.add(servers);
    for (const s of cluster.servers) servers.spawn(s.id);
    try {
      const led = await waitUntilLed(dir, cluster, readyBoundMs, servers.ids);
      if (!led) throw new UserError(`${dir}: not every shard elected a leader within ${readyBoundMs / 1000} s; see ${servers.ids.map((id) => join(serverDir(dir, id), 'server.log')).join(', ')}`);
    } catch (err) {
      await servers.stopAll();
      throw err;
    }
    return servers;
  }

  /** Every server the run has had (joined ones included, left ones too). */
  get ids(): string[] {
    return this.cluster.servers.map((s) => s.id);
  }

  /** Servers on the current ring or leaving it (what fault targets pick among). */
  get running(): string[] {
    return runningServersOf(this.cluster).map((s) => s.id);
  }

  /** Adds server n(max+1) and places replicas on it (bounded); returns its id. */
  /** Placement moves completed by this run's membership changes. */
  movesCompleted = 0;

  async join(boundMs: number, log: (line: string) => void): Promise<string> {
    const result = await joinServer({ dir: this.dir, boundMs, log, serverArgs: ['--exit-with-parent'], ...(this.placement !== undefined && { placement: this.placement }) });
    this.movesCompleted += result.movesCompleted;
    this.cluster = loadClusterFile(join(this.dir, CLUSTER_FILE));
    const pid = pidOf(this.dir, result.id);
    if (pid !== null) this.pids.set(result.id, pid);
    this.state.set(result.id, 'up');
    return result.id;
  }

  /** `id` fails for good (SIGKILL) and a new server takes its place; returns the newcomer's id. */
  async replace(id: string, boundMs: number, log: (line: string) => void): Promise<string> {
    this.state.set(id, 'leaving');
    try {
      const result = await replaceServer({ dir: this.dir, id, boundMs, log, serverArgs: ['--exit-with-parent'], ...(this.placement !== undefined && { placement: this.placement }) });
      this.movesCompleted += result.movesCompleted;
      const pid = pidOf(this.dir, result.replacement);
      if (pid !== null) this.pids.set(result.replacement, pid);
      this.state.set(result.replacement, 'up');
      return result.replacement;
    } finally {
      this.cluster = loadClusterFile(join(this.dir, CLUSTER_FILE));
      this.state.set(id, membershipStateOf(this.cluster, id) === 'left' ? 'left' : 'crashed');
    }
  }

  /** Moves `id`'s replicas away, then membership.ts stops it for good (bounded). */
  async leave(id: string, boundMs: number, log: (line: string) => void): Promise<void> {
    this.state.set(id, 'leaving');
    try {
      this.movesCompleted += (await leaveServer({ dir: this.dir, id, boundMs, log, ...(this.placement !== undefined && { placement: this.placement }) })).movesCompleted;
    } finally {
      this.cluster = loadClusterFile(join(this.dir, CLUSTER_FILE));
      if (membershipStateOf(this.cluster, id) === 'left') this.state.set(id, 'left');
      else if (this.state.get(id) === 'leaving') this.state.set(id, 'up');
    }
  }

  httpPortOf(id: string): number {
    const s = this.cluster.servers.find((x) => x.id === id);
    if (s === undefined) throw new Error(`no server ${id}`);
    return s.httpPort;
  }

  private spawn(id: string): void {
    this.pids.set(id, spawnServer(this.dir, id, ['--exit-with-parent']));
    this.state.set(id, 'up');
  }

  private signal(id: string, signal: NodeJS.Signals): boolean {
    const pid = this.pids.get(id);
    if (pid === undefined || !alive(pid)) return false;
    try {
      process.kill(pid, signal);
      return true;
    } catch {
      return false;
    }
  }

  /** SIGKILL: the process dies at once; what its disk had not fsync'd is what the OS kept. */
  kill(id: string): void {
    if (this.state.get(id) === 'crashed') return;
    if (this.state.get(id) === 'paused') this.signal(id, 'SIGCONT');
    this.signal(id, 'SIGKILL');
    this.state.set(id, 'crashed');
  }

  /** A new process on the same data directory, once the old one is gone (its lock released). */
  async respawn(id: string): Promise<void> {
    if (this.state.get(id) !== 'crashed') return;
    const old = this.pids.get(id);
    const deadline = performance.now() + 5_000;
    while (old !== undefined && alive(old) && performance.now() < deadline) await sleep(10);
    this.spawn(id);
    this.restarts++;
  }

  pause(id: string): void {
    if (this.state.get(id) !== 'up') return;
    if (this.signal(id, 'SIGSTOP')) this.state.set(id, 'paused');
  }

  resume(id: string): void {
    if (this.state.get(id) !== 'paused') return;
    this.signal(id, 'SIGCONT');
    this.state.set(id, 'up');
  }

  /** Each server's /status (null: no answer). */
  statuses(): Promise<(ServerStatus | null)[]> {
    return statusesOf(this.cluster);
  }

  /** Each up server's /state; a server that does not answer is a clear error. */
  async finalStates(timeoutMs = 5_000): Promise<ServerState[]> {
    const out: ServerState[] = [];
    for (const s of this.cluster.servers) {
      if (this.state.get(s.id) !== 'up') continue;
      const res = await fetch(`http://127.0.0.1:${s.httpPort}/state`, { signal: AbortSignal.timeout(timeoutMs) }).catch(() => null);
      if (res === null || !res.ok) throw new UserError(`${s.id}: did not answer GET /state after the run; last lines of its log:\n${logTail(this.dir, s.id)}`);
      out.push((await res.json()) as ServerState);
    }
    return out;
  }

  /** Servers whose process exited by itself (not killed by the run): an assertion or a crash of the server code. */
  exitedUnasked(): { id: string; log: string }[] {
    const out: { id: string; log: string }[] = [];
    for (const [id, st] of this.state) {
      const pid = this.pids.get(id);
      if ((st === 'up' || st === 'paused') && pid !== undefined && !alive(pid)) out.push({ id, log: logTail(this.dir, id, 4) });
    }
    return out;
  }

  /** Graceful stop of every process (traces and disks flushed), SIGKILL after a bound. */
  async stopAll(): Promise<void> {
    for (const id of this.ids) if (this.state.get(id) === 'paused') this.resume(id);
    const live = [...this.pids.entries()].filter(([, pid]) => alive(pid));
    for (const [id] of live) this.signal(id, 'SIGTERM');
    const deadline = performance.now() + STOP_GRACE_MS;
    while (performance.now() < deadline && live.some(([, pid]) => alive(pid))) await sleep(25);
    for (const [id, pid] of live) if (alive(pid)) this.signal(id, 'SIGKILL');
    const killDeadline = performance.now() + 2_000;
    while (performance.now() < killDeadline && live.some(([, pid]) => alive(pid))) await sleep(10);
    for (const id of this.ids) if (this.state.get(id) !== 'left') this.state.set(id, 'crashed');
    this.registry.delete(this);
  }

  /** Synchronous last resort: SIGCONT and SIGKILL every process this run started. */
  killAllNow(): void {
    for (const pid of this.pids.values()) {
      for (const sig of ['SIGCONT', 'SIGKILL'] as const) {
        try {
          process.kill(pid, sig);
        } catch {
          // already gone
        }
      }
    }
    this.registry.delete(this);
  }
}
