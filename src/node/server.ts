// One real server: the simulator's StoreServer, unchanged, on a RealMachine (TCP, files, the
// process clock), plus an HTTP door for people and tools. `kvsim serve` runs one of these until
// SIGTERM; tests start several in one process.
//
//   RealServer.start({cluster, id, dataDir})
//     ├─ RealMachine(id)          StoreServer: every replica the ring puts on this machine
//     ├─ RealMachine(id + '.http') StoreClient for HTTP requests (dials the servers like any client)
//     └─ HTTP on httpPort         GET/PUT /kv/KEY[?level=…], GET /status, /state, /metrics,
//                                  GET/POST /control (control.ts: net rules, clock, disk)
//
// The cluster file's planted bugs (`bugs`) are the server's: its raft config, its store and its
// ring (foundingRingOf) all get them, and the HTTP door's client routes by a ring with them too.
//
// Control (a test driver playing faults without root): POST /control applies a ControlRequest
// to the server machine — net rules become its transport filter, a clock adjustment is
// RealMachine.skew, the fsync delay is its FileDisk's — and answers the state after it; GET
// /control answers the state. The HTTP door's own client machine is never filtered or skewed.
//
// The store server is built with the cluster's FOUNDING ring (cluster-file.ts foundingRingOf),
// whatever joined or left since: it boots founding replicas only where the founding ring put
// them, and every replica created later came from the placement driver's `host` and is on disk.
// reload(cluster) (kvsim serve on SIGHUP) dials servers that joined, forgets those that left
// and moves the HTTP door's client to the current ring; nothing else of the server changes.
//
// Start-up order: recover the disk (a torn tail is cut and logged; a corrupt record stops the
// start with the file and offset), boot the store server, listen for peers, then HTTP. Stop
// order: HTTP stops accepting, the HTTP client closes, the server machine closes (stop timers,
// close connections, flush and fsync the disk, flush the trace).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../base/errors.js';
import { RealMachine } from '../real/context.js';
import { StoreServer } from '../store/server.js';
import { raftConfigOf } from '../store/settings.js';
import { bugsOf, foundingRingOf, foundingServersOf, runningServersOf, peersOf, serverOf, type ClusterFile } from './cluster-file.js';
import { filterOf, noNetRules, NO_NET_RULES, parseControlRequest, type ControlRequest, type ControlState, type NetRules } from './control.js';
import { ClientSession, LEVELS, type KvResult } from './client.js';
import { Metrics } from './metrics.js';
import type { ReadLevel } from '../history/op.js';

export interface RealServerOptions {
  /** The cluster file's path (for messages) and its content. */
  clusterPath: string;
  cluster: ClusterFile;
  id: string;
  dataDir: string;
  /** Per-server trace (JSON Lines); default DATA/trace.jsonl; null: none. */
  tracePath?: string | null;
  log?: (line: string) => void;
  /** Extra delay before every fsync of the log (a slow disk; tests use it to crash between a write and its fsync). */
  fsyncDelayMs?: number;
}

export class RealServer {
  private constructor(
    readonly id: string,
    readonly machine: RealMachine,
    readonly store: StoreServer,
    private readonly client: ClientSession,
    private readonly http: Server,
    readonly metrics: Metrics,
    readonly httpPort: number,
    private cluster: ClusterFile,
    private readonly controls: ControlDoor,
  ) {}

  static async start(options: RealServerOptions): Promise<RealServer> {
    const { cluster, id } = options;
    const entry = serverOf(options.clusterPath, cluster, id);
    const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
    mkdirSync(options.dataDir, { recursive: true });
    const metrics = new Metrics(id);
    // The founding ring, never the current one: see the top of this file.
    const ring = foundingRingOf(cluster);
    const bugs = bugsOf(cluster);
    const env = { ring, raftConfig: raftConfigOf(cluster.raft, bugs), snapshotEvery: cluster.snapshotEvery, bugs };
    let store: StoreServer | undefined;
    const machine = await RealMachine.start({
      id,
      seed: cluster.seed,
      boot: (ctx) => (store = new StoreServer(ctx, env)),
      dataDir: join(options.dataDir, 'disk'),
      listen: { host: entry.host, port: entry.port },
      peers: peersOf(cluster, id),
      tracePath: options.tracePath === undefined ? join(options.dataDir, 'trace.jsonl') : options.tracePath,
      log,
      onEvent: (event) => metrics.observe(event),
      ...(options.fsyncDelayMs !== undefined && { disk: { fsyncDelayMs: options.fsyncDelayMs } }),
    }).catch((err: unknown) => {
      throw portError(err, `${options.clusterPath}: servers: ${id} port ${entry.port}`);
    });
    let client: ClientSession | undefined;
    try {
      client = await ClientSession.open(cluster, `${id}.http`, join(options.dataDir, 'http-client'), log);
      const control = new ControlDoor(id, machine);
      const http = createServer((req, res) => void handle(req, res, { id, store: store!, machine, client: client!, metrics, control }));
      await new Promise<void>((resolve, reject) => {
        http.once('error', (err) => reject(portError(err, `${options.clusterPath}: servers: ${id} httpPort ${entry.httpPort}`)));
        http.listen(entry.httpPort, entry.host, () => resolve());
      });
      log(`${id}: serving shards ${store!.replicas.size > 0 ? [...store!.replicas.keys()].join(',') : '(none)'} on ${entry.host}:${entry.port}, HTTP on ${entry.httpPort}`);
      metrics.attach(machine, store!);
      return new RealServer(id, machine, store!, client, http, metrics, entry.httpPort, cluster, control);
    } catch (err) {
      await client?.close();
      await machine.close();
      throw err;
    }
  }

  /**
   * Takes a re-read cluster file (a membership change): dials the servers it adds, forgets those
   * it marks left, and routes the HTTP door by its current ring. A file that is not a later
   * version of this cluster (other founding servers, shards, replication or vnodes, or this
   * server's own address changed) is refused with a UserError and changes nothing.
   */
  reload(clusterPath: string, cluster: ClusterFile): { added: string[]; removed: string[] } {
    const before = this.cluster;
    const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
    const changed = [
      !same(foundingServersOf(cluster), foundingServersOf(before)) && 'the founding servers',
      cluster.shards !== before.shards && 'shards',
      cluster.replication !== before.replication && 'replication',
      cluster.vnodes !== before.vnodes && 'vnodes',
      !same(cluster.bugs ?? [], before.bugs ?? []) && 'the planted bugs',
      !same(cluster.servers.find((s) => s.id === this.id), before.servers.find((s) => s.id === this.id)) && `${this.id}'s own entry`,
    ].filter((x) => x !== false);
    if (changed.length > 0) throw new UserError(`${clusterPath}: not a later version of this cluster (${changed.join(', ')} changed); ignored`);
    const known = new Set(runningServersOf(before).map((s) => s.id));
    const running = new Set(runningServersOf(cluster).map((s) => s.id));
    const added: string[] = [];
    const removed: string[] = [];
    for (const s of runningServersOf(cluster)) {
      if (s.id === this.id) continue;
      this.machine.transport.setPeer(s.id, { host: s.host, port: s.port });
      if (!known.has(s.id)) added.push(s.id);
    }
    for (const s of cluster.servers) {
      if (s.id === this.id || running.has(s.id)) continue;
      this.machine.transport.removePeer(s.id);
      if (known.has(s.id)) removed.push(s.id);
    }
    this.client.updateCluster(cluster);
    this.cluster = cluster;
    return { added, removed };
  }

  /** Graceful stop: no new HTTP requests, connections closed, disk flushed and fsync'd. */
  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.http.close(() => resolve());
      this.http.closeAllConnections();
    });
    await this.client.close();
    await this.machine.close();
  }

  /** Applies a control request (control.ts) to the server machine; returns the state after (POST /control). */
  control(request: ControlRequest): ControlState {
    return this.controls.apply(request);
  }

  /** The control state now (GET /control). */
  controlState(): ControlState {
    return this.controls.state();
  }

  /** Shards, roles, terms, commit and applied indices (the /status document). */
  status(): ServerStatus {
    return statusOf(this.id, this.store);
  }
}

/**
 * The server machine's run-time faults: the net rules in force and the sum of the clock jumps
 * applied (the disk's delay and the clock's drift are read from the machine itself).
 */
class ControlDoor {
  private net: NetRules = NO_NET_RULES;
  private skewUs = 0;

  constructor(
    private readonly id: string,
    private readonly machine: RealMachine,
  ) {}

  /**
   * In one turn: net rules replace the transport's filter (none for rules that change nothing),
   * a clock adjustment jumps the local clock and sets its drift, the fsync delay replaces the
   * disk's. Nothing is traced here but the clock's own clock.skew: the fault is the caller's to
   * record (kvsim real's driver traces each one with the simulator's event types), and a second
   * `fault` per server would list one fault many times.
   */
  apply(request: ControlRequest): ControlState {
    if (request.net !== undefined) {
      const rules = request.net;
      this.net = rules;
      this.machine.transport.filter = noNetRules(rules) ? null : filterOf(this.id, rules, Math.random, Date.now);
    }
    if (request.clock !== undefined) {
      this.machine.skew(request.clock.adjustUs, request.clock.driftPpm);
      this.skewUs += request.clock.adjustUs;
    }
    if (request.disk !== undefined) {
      this.machine.disk.fsyncDelayMs = request.disk.fsyncDelayMs;
    }
    return this.state();
  }

  state(): ControlState {
    const clock = this.machine.clock;
    return {
      net: this.net,
      clock: { skewUs: this.skewUs, offsetUs: clock.offsetUs(), driftPpm: clock.driftPpm },
      disk: { fsyncDelayMs: this.machine.disk.fsyncDelayMs },
    };
  }
}

export interface ShardState {
  shard: number;
  role: string;
  term: number;
  leader: string | null;
  commit: number;
  applied: number;
}

export interface ServerStatus {
  id: string;
  shards: ShardState[];
}

function statusOf(id: string, store: StoreServer): ServerStatus {
  const shards: ShardState[] = [];
  for (const shard of [...store.replicas.keys()].sort((a, b) => a - b)) {
    const info = store.groupInfo(shard);
    if (info !== undefined) shards.push({ shard, ...info });
  }
  return { id, shards };
}

/** White-box state for the checkers after a real run: per shard, what the state machine holds. */
export interface ServerState {
  id: string;
  shards: { shard: number; appliedIndex: number; digest: string; applied: [number, number][] }[];
}

function stateOf(id: string, store: StoreServer): ServerState {
  const shards: ServerState['shards'] = [];
  for (const shard of [...store.replicas.keys()].sort((a, b) => a - b)) {
    const kv = store.kvOf(shard);
    if (kv === undefined) continue;
    shards.push({ shard, appliedIndex: kv.appliedIndex, digest: kv.digest(), applied: kv.snapshot().applied });
  }
  return { id, shards };
}

function portError(err: unknown, where: string): unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE') return new UserError(`${where}: the port is in use; expected a free port (is another server running?)`);
  if (code === 'EACCES') return new UserError(`${where}: not allowed to listen on this port`);
  return err;
}

interface HttpContext {
  id: string;
  store: StoreServer;
  machine: RealMachine;
  client: ClientSession;
  metrics: Metrics;
  control: ControlDoor;
}

/** Bound on an HTTP request body (a value). */
const BODY_MAX_BYTES = 1 << 20;

async function handle(req: IncomingMessage, res: ServerResponse, c: HttpContext): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  try {
    if (url.pathname === '/status' && req.method === 'GET') return json(res, 200, statusOf(c.id, c.store));
    if (url.pathname === '/state' && req.method === 'GET') return json(res, 200, stateOf(c.id, c.store));
    if (url.pathname === '/metrics' && req.method === 'GET') {
      res.writeHead(200, { 'content-type': c.metrics.contentType });
      res.end(await c.metrics.text());
      return;
    }
    if (url.pathname === '/control') {
      if (req.method === 'GET') return json(res, 200, c.control.state());
      if (req.method !== 'POST') return json(res, 405, { error: 'expected GET or POST on /control' });
      const body = await readBody(req);
      if (body === null) return json(res, 413, { error: `control request too large; expected at most ${BODY_MAX_BYTES} bytes` });
      let request: ControlRequest;
      try {
        request = parseControlRequest(body);
      } catch (err) {
        if (!(err instanceof UserError)) throw err;
        return json(res, 400, { error: err.message });
      }
      return json(res, 200, c.control.apply(request));
    }
    if (url.pathname.startsWith('/kv/')) {
      const key = decodeURIComponent(url.pathname.slice('/kv/'.length));
      if (key === '') return json(res, 400, { error: 'expected /kv/KEY with a non-empty key' });
      if (req.method === 'GET') {
        const levelText = url.searchParams.get('level') ?? 'linearizable';
        if (!(LEVELS as readonly string[]).includes(levelText)) return json(res, 400, { error: `level: expected one of ${LEVELS.join(', ')}` });
        return answer(res, c, await c.client.get(key, levelText as ReadLevel));
      }
      if (req.method === 'PUT' || req.method === 'POST') {
        const body = await readBody(req);
        if (body === null) return json(res, 413, { error: `value too large; expected at most ${BODY_MAX_BYTES} bytes` });
        return answer(res, c, await c.client.put(key, body));
      }
      return json(res, 405, { error: 'expected GET or PUT on /kv/KEY' });
    }
    return json(res, 404, { error: 'expected /kv/KEY, /status, /state, /metrics or /control' });
  } catch (err) {
    json(res, 500, { error: (err as Error).message });
  }
}

function answer(res: ServerResponse, c: HttpContext, r: KvResult): void {
  c.metrics.op(r.op, r.outcome, r.latencyMs / 1000);
  const code = r.outcome === 'ok' ? (r.op === 'get' && r.value === null ? 404 : 200) : r.outcome === 'failed' ? 503 : 504;
  const { record: _record, ...shown } = r;
  json(res, code, shown);
}

function json(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body) + '\n');
}

function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > BODY_MAX_BYTES) over = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(over ? null : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

