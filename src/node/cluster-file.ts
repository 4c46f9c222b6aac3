// cluster.json: what every process of a real cluster agrees on — the servers and their
// addresses, the ring's parameters, Raft timing and the client's deadlines, and the membership
// changes since the cluster was founded. `kvsim cluster up` writes it, `kvsim cluster join|leave`
// append to it; `kvsim serve`, `kvsim kv` and the launcher read it. Validated strictly (an
// unknown key is an error, as in scenario files), and every error names the file and the JSON
// path.
//
// Membership. `servers` lists every server the cluster ever had, never removed, so an id is never
// reused. The founding servers are those no `join` names, in the order listed; `membership` is
// the log of changes since, in order:
//   {op: 'join',  id}   id joined the ring (its entry was appended to `servers`);
//   {op: 'leave', id}   id left the ring; it keeps serving until its replicas have moved away;
//   {op: 'left',  id}   that leave completed: id hosts nothing and was stopped for good.
// Two rings come out of it, and they are different values (a balanced ring depends on join
// order, so Ring.build of today's members places differently than the joins and leaves did):
//   foundingRingOf  Ring.build of the founding servers. Every server is built with it
//                   (ServerEnv.ring): a server boots founding replicas only for the shards it
//                   places there, so a server that joined later boots none, as in simulation;
//   currentRingOf   the founding ring with every join and leave replayed through Ring.join and
//                   Ring.leave, the operations the simulator's StoreCluster uses. Clients route
//                   by it and the placement driver moves replicas to where it says.
//
// Versions: 2 adds `membership` (written by every command now); a version 1 file is read as
// version 2 with no membership changes, and one that names changes is refused. The optional
// `bugs` (planted bugs, by name: `kvsim bugs` lists them) came later within version 2: every
// server built from the file runs with them (raft config, store, ring), and so does every
// client's routing ring, as a simulated run with `--bug` does. Names are checked against what
// raft/ and store/ plant (the catalogue in src/bugs/ sits above this layer).
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { UserError, locate } from '../base/errors.js';
import { RAFT_BUG_NAMES } from '../raft/bugs.js';
import type { StoreBugName } from '../store/bugs.js';
import { Ring } from '../store/ring.js';
import { DEFAULT_CLIENT, type ClientOptions } from '../store/client.js';
import type { PeerAddress } from '../real/transport.js';

export const CLUSTER_FILE_VERSION = 2;

const port = z.number().int().min(1).max(65_535);
const id = z.string().regex(/^n[1-9][0-9]*$/, 'expected a server id like n1');
const micros = z.number().int().min(1);

const serverSchema = z.strictObject({
  id,
  host: z.literal('127.0.0.1'),
  /** Raft and client traffic (length-prefixed frames). */
  port,
  /** Plain HTTP for people and tools: /kv/KEY, /status, /metrics. */
  httpPort: port,
});

// Every store bug, by its type: a name added to StoreBugName and missing here does not compile.
const STORE_BUGS: Record<StoreBugName, true> = {
  'session-token-ignored': true,
  'stale-route-no-redirect': true,
  'bounded-ignores-bound': true,
  'ring-boundary-off-by-one': true, // store/ring.ts BUG_RING_BOUNDARY_OFF_BY_ONE
};

/** Every planted bug a real server can run with: Raft's and the store's. */
export const PLANTED_BUG_NAMES: readonly string[] = [...RAFT_BUG_NAMES, ...Object.keys(STORE_BUGS)];

/** Bound on the planted bugs one cluster runs with. */
const BUGS_MAX = 64;

/** Bound on the membership log (each change is replayed through the ring by every process). */
const MEMBERSHIP_CHANGES_MAX = 1_000;

const membershipChangeSchema = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('join'), id }),
  z.strictObject({ op: z.literal('leave'), id }),
  z.strictObject({ op: z.literal('left'), id }),
]);

const clusterSchema = z
  .strictObject({
    /** 2; 1 is still read (a file from before membership changes). */
    version: z.union([z.literal(1), z.literal(CLUSTER_FILE_VERSION)]),
    /** Seeds the servers' named random streams (election timeouts, ...), combined with each id. */
    seed: z.number().int().min(0),
    servers: z.array(serverSchema).min(1),
    shards: z.number().int().min(1).max(4096),
    replication: z.number().int().min(1),
    vnodes: z.number().int().min(1).optional(),
    raft: z
      .strictObject({
        tickUs: micros.optional(),
        electionTimeoutUs: micros.optional(),
        heartbeatUs: micros.optional(),
        maxClockDriftUs: z.number().int().min(0).optional(),
        preVote: z.boolean().optional(),
        checkQuorum: z.boolean().optional(),
        coalesceHeartbeats: z.boolean().optional(),
        quiesce: z.boolean().optional(),
        maxInflight: z.number().int().min(1).optional(),
      })
      .refine((r) => !(r.quiesce === true && r.coalesceHeartbeats === false), { message: 'quiesce needs coalesced heartbeats; expected coalesceHeartbeats: true (or unset)', path: ['quiesce'] })
      .default({}),
    snapshotEvery: z.number().int().min(1).default(1_000),
    client: z
      .strictObject({
        timeoutUs: micros.optional(),
        attemptTimeoutUs: micros.optional(),
        backoffMinUs: micros.optional(),
        backoffMaxUs: micros.optional(),
        boundedStalenessUs: micros.optional(),
      })
      .default({}),
    /** Changes since the founding, in order (see the top of this file). */
    membership: z.array(membershipChangeSchema).max(MEMBERSHIP_CHANGES_MAX).default([]),
    /** Planted bugs every server (and client ring) runs with; absent: none (an honest cluster). */
    bugs: z.array(z.string()).max(BUGS_MAX).optional(),
  })
  .superRefine((c, ctx) => {
    const seen = new Map<string, number>();
    c.servers.forEach((s, i) => {
      if (seen.has(s.id)) ctx.addIssue({ code: 'custom', path: ['servers', i, 'id'], message: `${s.id} is listed twice` });
      seen.set(s.id, i);
    });
    const ports = new Map<number, string>();
    c.servers.forEach((s, i) => {
      for (const [field, p] of [['port', s.port], ['httpPort', s.httpPort]] as const) {
        const other = ports.get(p);
        if (other !== undefined) ctx.addIssue({ code: 'custom', path: ['servers', i, field], message: `port ${p} is already used by ${other}` });
        ports.set(p, `${s.id} ${field}`);
      }
    });
    if (c.version === 1 && c.membership.length > 0) {
      ctx.addIssue({ code: 'custom', path: ['version'], message: `expected ${CLUSTER_FILE_VERSION}: a version 1 file has no membership changes` });
    }
    c.bugs?.forEach((name, i) => {
      if (!PLANTED_BUG_NAMES.includes(name)) ctx.addIssue({ code: 'custom', path: ['bugs', i], message: `unknown planted bug "${name}"; expected one of ${PLANTED_BUG_NAMES.join(', ')}` });
      else if (c.bugs!.indexOf(name) !== i) ctx.addIssue({ code: 'custom', path: ['bugs', i], message: `"${name}" is listed twice` });
    });
    const issue = membershipIssue(c.servers.map((s) => s.id), c.membership, c.replication);
    if (issue !== null) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
  });

export type MembershipChange = z.infer<typeof membershipChangeSchema>;

/**
 * The first thing wrong with a membership log, replayed from the founding servers: a join of a
 * server not listed or seen before, a leave of a non-member or below the replication factor, a
 * `left` without its `leave`. Null when it replays cleanly.
 */
function membershipIssue(ids: readonly string[], changes: readonly MembershipChange[], replication: number): { path: PropertyKey[]; message: string } | null {
  const joined = new Set(changes.filter((m) => m.op === 'join').map((m) => m.id));
  const founding = ids.filter((i) => !joined.has(i));
  if (founding.length === 0) return { path: ['membership'], message: 'expected at least one founding server (one no join names)' };
  if (replication > founding.length) {
    return { path: ['replication'], message: `expected at most ${founding.length} (one replica per founding server)` };
  }
  const members = new Set(founding);
  const leaving = new Set<string>();
  const seen = new Set(founding);
  for (const [i, m] of changes.entries()) {
    const at = ['membership', i, 'id'];
    switch (m.op) {
      case 'join':
        if (!ids.includes(m.id)) return { path: at, message: `${m.id} joins but is not listed in servers` };
        if (seen.has(m.id)) return { path: at, message: `${m.id} joined before; ids are never reused` };
        seen.add(m.id);
        members.add(m.id);
        break;
      case 'leave':
        if (!members.has(m.id)) return { path: at, message: `${m.id} leaves but is not a member here` };
        if (members.size - 1 < replication) return { path: at, message: `${m.id} cannot leave: ${members.size - 1} machines would remain for replication ${replication}` };
        members.delete(m.id);
        leaving.add(m.id);
        break;
      case 'left':
        if (!leaving.has(m.id)) return { path: at, message: `${m.id} is marked left without a leave before it` };
        leaving.delete(m.id);
        break;
      default: {
        const never: never = m;
        return { path: at, message: `unknown membership change ${JSON.stringify(never)}` };
      }
    }
  }
  return null;
}

export type ClusterFile = z.infer<typeof clusterSchema>;
export type ServerEntry = ClusterFile['servers'][number];

function pathText(path: readonly PropertyKey[]): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
}

function lineCol(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, col: offset - before.lastIndexOf('\n') };
}

/** Parses cluster.json text; a bad file is a UserError naming the file and the place. */
export function parseClusterFile(file: string, text: string): ClusterFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    const message = (err as Error).message;
    const at = /position (\d+)/.exec(message);
    const where = lineCol(text, at === null ? text.length : Number(at[1]));
    throw new UserError(locate(file, `not JSON (${message.replace(/ in JSON at position \d+.*$/, '')}); expected a cluster file written by kvsim cluster up`, where));
  }
  const parsed = clusterSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = pathText(issue.path);
    throw new UserError(locate(file, issue.message, path === '' ? undefined : { path }));
  }
  return parsed.data;
}

export function loadClusterFile(file: string): ClusterFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UserError(`${file}: cannot read the cluster file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return parseClusterFile(file, text);
}

export function serverOf(file: string, cluster: ClusterFile, serverId: string): ServerEntry {
  const entry = cluster.servers.find((s) => s.id === serverId);
  if (entry === undefined) {
    throw new UserError(`${file}: servers: no server ${serverId}; expected one of ${cluster.servers.map((s) => s.id).join(', ')}`);
  }
  return entry;
}

/** The founding servers' ids, in the order listed (the servers no join names). */
export function foundingServersOf(cluster: ClusterFile): string[] {
  const joined = new Set(cluster.membership.filter((m) => m.op === 'join').map((m) => m.id));
  return cluster.servers.map((s) => s.id).filter((i) => !joined.has(i));
}

export type MembershipState = 'member' | 'leaving' | 'left';

/** Where a listed server stands: on the ring, off it but still serving its replicas, or gone. */
export function membershipStateOf(cluster: ClusterFile, serverId: string): MembershipState {
  let state: MembershipState = 'member';
  for (const m of cluster.membership) {
    if (m.id !== serverId) continue;
    state = m.op === 'join' ? 'member' : m.op === 'leave' ? 'leaving' : 'left';
  }
  return state;
}

/** Servers that should be running: the ring's members and those still leaving it. */
export function runningServersOf(cluster: ClusterFile): ServerEntry[] {
  return cluster.servers.filter((s) => membershipStateOf(cluster, s.id) !== 'left');
}

/** The planted bugs the cluster runs with (empty: an honest cluster). */
export function bugsOf(cluster: ClusterFile): ReadonlySet<string> {
  return new Set(cluster.bugs ?? []);
}

// Rings are immutable and a build costs milliseconds to seconds (balanced tokens): one per file.
const foundingRings = new WeakMap<ClusterFile, Ring>();
const currentRings = new WeakMap<ClusterFile, Ring>();

/** The ring the cluster was founded with: every server's ServerEnv.ring (founding replicas). Its planted bugs are the file's. */
export function foundingRingOf(cluster: ClusterFile): Ring {
  let ring = foundingRings.get(cluster);
  if (ring === undefined) {
    ring = Ring.build({
      machines: foundingServersOf(cluster),
      shards: cluster.shards,
      rf: cluster.replication,
      ...(cluster.vnodes !== undefined && { vnodes: cluster.vnodes }),
      bugs: bugsOf(cluster),
    });
    foundingRings.set(cluster, ring);
  }
  return ring;
}

/** The ring now: the founding ring with every join and leave replayed, as the simulator does. */
export function currentRingOf(cluster: ClusterFile): Ring {
  let ring = currentRings.get(cluster);
  if (ring === undefined) {
    ring = foundingRingOf(cluster);
    for (const m of cluster.membership) {
      if (m.op === 'join') ring = ring.join(m.id);
      else if (m.op === 'leave') ring = ring.leave(m.id);
    }
    currentRings.set(cluster, ring);
  }
  return ring;
}

export function clientOptionsOf(cluster: ClusterFile): ClientOptions {
  return { ...DEFAULT_CLIENT, ...cluster.client };
}

/** Addresses of every server that should be running but `self`, by id (a left one is gone). */
export function peersOf(cluster: ClusterFile, self: string | null): Record<string, PeerAddress> {
  const out: Record<string, PeerAddress> = {};
  for (const s of runningServersOf(cluster)) if (s.id !== self) out[s.id] = { host: s.host, port: s.port };
  return out;
}

export function clusterFileText(cluster: ClusterFile): string {
  return JSON.stringify(cluster, null, 2) + '\n';
}

/**
 * Writes the file whole or not at all (a temporary file renamed over it): a server re-reading it
 * on SIGHUP never sees half a file.
 */
export function writeClusterFile(file: string, cluster: ClusterFile): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, clusterFileText(cluster));
  renameSync(tmp, file);
}

/** The id a joining server gets: one past the highest ever listed (ids are never reused). */
export function nextServerId(cluster: ClusterFile): string {
  let max = 0;
  for (const s of cluster.servers) max = Math.max(max, Number(s.id.slice(1)));
  return `n${max + 1}`;
}

/**
 * The cluster after one more membership change (and, for a join, the new server's entry): the
 * same rules the file is validated with, so a change the file would refuse is a UserError here
 * (`file` names it), e.g. a leave that would leave fewer machines than the replication factor.
 */
export function withChange(file: string, cluster: ClusterFile, change: MembershipChange, joining?: ServerEntry): ClusterFile {
  const servers = joining === undefined ? cluster.servers : [...cluster.servers, joining];
  const membership = [...cluster.membership, change];
  const issue = membershipIssue(servers.map((s) => s.id), membership, cluster.replication);
  if (issue !== null) throw new UserError(`${file}: ${issue.message}`);
  return { ...cluster, version: CLUSTER_FILE_VERSION, servers, membership };
}
