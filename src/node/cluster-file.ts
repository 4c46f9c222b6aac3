// cluster.json: what every process of a real cluster agrees on — the servers and their
// addresses, the ring's parameters, Raft timing and the client's deadlines. `kvsim cluster up`
// writes it; `kvsim serve`, `kvsim kv` and the launcher read it. Validated strictly (an unknown
// key is an error, as in scenario files), and every error names the file and the JSON path.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { UserError, locate } from '../base/errors.js';
import { Ring } from '../store/ring.js';
import { DEFAULT_CLIENT, type ClientOptions } from '../store/client.js';
import type { RaftTiming } from '../store/settings.js';
import type { PeerAddress } from '../real/transport.js';

export const CLUSTER_FILE_VERSION = 1;

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

const clusterSchema = z
  .strictObject({
    version: z.literal(CLUSTER_FILE_VERSION),
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
        maxInflight: z.number().int().min(1).optional(),
      })
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
    if (c.replication > c.servers.length) {
      ctx.addIssue({ code: 'custom', path: ['replication'], message: `expected at most ${c.servers.length} (one replica per server)` });
    }
  });

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

/** The ring every process of the cluster computes alike from the file. */
export function ringOf(cluster: ClusterFile): Ring {
  return Ring.build({
    machines: cluster.servers.map((s) => s.id),
    shards: cluster.shards,
    rf: cluster.replication,
    ...(cluster.vnodes !== undefined && { vnodes: cluster.vnodes }),
  });
}

export function raftTimingOf(cluster: ClusterFile): RaftTiming {
  return cluster.raft;
}

export function clientOptionsOf(cluster: ClusterFile): ClientOptions {
  return { ...DEFAULT_CLIENT, ...cluster.client };
}

/** Addresses of every server but `self`, by id. */
export function peersOf(cluster: ClusterFile, self: string | null): Record<string, PeerAddress> {
  const out: Record<string, PeerAddress> = {};
  for (const s of cluster.servers) if (s.id !== self) out[s.id] = { host: s.host, port: s.port };
  return out;
}

export function clusterFileText(cluster: ClusterFile): string {
  return JSON.stringify(cluster, null, 2) + '\n';
}
