// The store's client library (src/store/client.ts, unchanged) on a RealMachine that only dials:
// routing by the ring, leader hints, retries until the deadline, and the same outcomes as in
// simulation (ok / failed / indeterminate). Used by `kvsim kv`, each server's HTTP door, and the
// tests that record histories of a real cluster.
//
// Routing: by the cluster's current ring (cluster-file.ts currentRingOf) as of open(). A session
// keeps that ring and those peers until told otherwise: updateCluster(cluster) (a server's HTTP
// door is, on SIGHUP), or, opened with `follow: FILE`, by itself — when an operation starts and
// whenever the store's client asks for a fresh route (a server said "not a replica", or an
// attempt timed out), it re-reads FILE if it changed; it looks at most every
// FOLLOW_MIN_INTERVAL_MS. A session that neither follows nor is
// updated still works across a membership change wherever it can reach the shard's leader —
// servers answer "not a replica" or "not the leader" with a hint and the client retries — but it
// has no address for a server that joined after it opened: an operation whose leader is there
// ends indeterminate at its deadline, every time, until the leadership moves (measured and
// tested in test/node/membership.test.ts).
//
// Operation ids must be unique across every client of the cluster (the state machine
// de-duplicates retried puts by them), and clients are separate processes that share nothing:
// each session draws a random 46-bit base from the OS and numbers its operations from there.
import { randomInt } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OpRecord, ReadLevel } from '../history/op.js';
import { RealClock } from '../real/clock.js';
import { RealMachine } from '../real/context.js';
import { StoreClient, type ClientOptions, type CompletedOp, type Router } from '../store/client.js';
import type { Ring } from '../store/ring.js';
import { UserError } from '../base/errors.js';
import { clientOptionsOf, currentRingOf, loadClusterFile, peersOf, runningServersOf, type ClusterFile } from './cluster-file.js';

export const LEVELS: readonly ReadLevel[] = ['linearizable', 'lease', 'follower', 'session', 'bounded'];

export interface KvResult {
  op: 'put' | 'get';
  key: string;
  /** The value written (put) or read (get; null: the key is missing). */
  value: string | null;
  level: ReadLevel | null;
  outcome: OpRecord['outcome'];
  /** The machine whose reply decided the outcome. */
  servedBy: string | null;
  /** Log index of the write, or the applied index the read was served at. */
  index: number | null;
  attempts: number;
  latencyMs: number;
  /** The operation as the checkers read it. */
  record: OpRecord;
}

/** A following session re-reads its cluster file at most this often. */
const FOLLOW_MIN_INTERVAL_MS = 200;

/** The session's routing table: a ring that updateCluster may swap for a newer one. */
export class SessionRouter implements Router {
  constructor(
    public ring: Ring,
    private readonly onRefresh: (() => void) | null,
  ) {}
  refresh(): void {
    this.onRefresh?.();
  }
  get shards(): number {
    return this.ring.shards;
  }
  shardOfKey(key: string): number {
    return this.ring.shardOfKey(key);
  }
  replicasOf(shard: number): readonly string[] {
    return this.ring.replicasOf(shard);
  }
  preferredLeaderOf(shard: number): string {
    return this.ring.preferredLeaderOf(shard);
  }
}

export interface SessionOptions {
  clock?: RealClock;
  client?: Partial<ClientOptions>;
  /** The cluster file to re-read when routes go stale (see the top of this file). */
  follow?: string;
}

export class ClientSession {
  private nextOp: number;
  private readonly clientNo: number;
  /** Following: when the file was last looked at, and its mtime and size then. */
  private followCheckedMs = -Infinity;
  private followSeen = '';

  private constructor(
    readonly machine: RealMachine,
    private readonly client: StoreClient,
    private readonly router: SessionRouter,
    private readonly clock: RealClock,
    private readonly tempDir: string | null,
    private readonly follow: string | null,
  ) {
    this.nextOp = randomInt(1, 2 ** 46) * 64;
    this.clientNo = randomInt(1, 2 ** 31);
  }

  /**
   * A client machine `id` (unique in the cluster: servers answer it on the connection it
   * dialed). `dataDir` null: a temporary directory removed on close (a client keeps nothing).
   */
  static async open(
    cluster: ClusterFile,
    id: string,
    dataDir: string | null,
    log?: (line: string) => void,
    options: SessionOptions = {},
  ): Promise<ClientSession> {
    const clock = options.clock ?? new RealClock();
    const tempDir = dataDir === null ? mkdtempSync(join(tmpdir(), 'kvsim-client-')) : null;
    let client: StoreClient | undefined;
    let session: ClientSession | undefined;
    const follow = options.follow;
    const router = new SessionRouter(currentRingOf(cluster), follow === undefined ? null : () => session?.followFile(follow));
    const machine = await RealMachine.start({
      id,
      seed: randomInt(0, 2 ** 31),
      boot: (ctx) => {
        client = new StoreClient(ctx, router, { ...clientOptionsOf(cluster), ...options.client }, () => clock.trueUs());
        return { onMessage: (from, payload) => client!.onReply(from, payload) };
      },
      dataDir: dataDir ?? tempDir!,
      listen: null,
      peers: peersOf(cluster, null),
      tracePath: null,
      traceMessages: false,
      clock,
      ...(log !== undefined && { log }),
    });
    session = new ClientSession(machine, client!, router, clock, tempDir, follow ?? null);
    if (follow !== undefined) session.followSeen = fileStamp(follow);
    return session;
  }

  /** The ring this session routes by now. */
  get ring(): Ring {
    return this.router.ring;
  }

  /** Re-reads a followed cluster file if it changed; a file it cannot use keeps the old routes. */
  private followFile(file: string): void {
    const now = performance.now();
    if (now - this.followCheckedMs < FOLLOW_MIN_INTERVAL_MS) return;
    this.followCheckedMs = now;
    const stamp = fileStamp(file);
    if (stamp === this.followSeen) return;
    try {
      this.updateCluster(loadClusterFile(file));
      this.followSeen = stamp;
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
    }
  }

  /**
   * Routes by `cluster`'s current ring from now on and dials the servers it adds (a membership
   * change); servers that left are forgotten. A file with another shard count is a UserError (a
   * key's shard would change) and changes nothing. Operations in flight keep their shard and retry against the new routes.
   */
  updateCluster(cluster: ClusterFile): void {
    const ring = currentRingOf(cluster);
    if (ring.shards !== this.router.ring.shards) throw new UserError(`${this.machine.id}: the cluster file names ${ring.shards} shards, this session ${this.router.ring.shards}; expected the same cluster`);
    const running = new Set<string>();
    for (const s of runningServersOf(cluster)) {
      running.add(s.id);
      this.machine.transport.setPeer(s.id, { host: s.host, port: s.port });
    }
    for (const s of cluster.servers) if (!running.has(s.id)) this.machine.transport.removePeer(s.id);
    this.router.ring = ring;
  }

  put(key: string, value: string): Promise<KvResult> {
    return this.run({ op: 'put', key, value });
  }

  get(key: string, level: ReadLevel = 'linearizable'): Promise<KvResult> {
    return this.run({ op: 'get', key, level });
  }

  private run(spec: { op: 'put' | 'get'; key: string; value?: string; level?: ReadLevel }): Promise<KvResult> {
    if (this.follow !== null) this.followFile(this.follow);
    const id = this.nextOp++;
    const started = this.clock.trueUs();
    return new Promise((resolve) => {
      this.machine.runProcess(() =>
        this.client.execute(id, this.clientNo, spec, (c: CompletedOp) => {
          const r = c.record;
          resolve({
            op: spec.op,
            key: spec.key,
            value: r.value ?? null,
            level: spec.level ?? null,
            outcome: r.outcome,
            servedBy: r.servedBy ?? null,
            index: r.index ?? null,
            attempts: c.attempts,
            latencyMs: Math.round((this.clock.trueUs() - started) / 100) / 10,
            record: r,
          });
        }),
      );
    });
  }

  async close(): Promise<void> {
    await this.machine.close();
    if (this.tempDir !== null) rmSync(this.tempDir, { recursive: true, force: true });
  }
}

/** mtime and size: enough to tell a rewritten cluster file (written whole, by rename). */
function fileStamp(file: string): string {
  try {
    const st = statSync(file);
    return `${st.mtimeMs}/${st.size}`;
  } catch {
    return '';
  }
}
