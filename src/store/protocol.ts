// Messages between store clients and servers. Raft traffic between servers is wrapped by the
// Raft host; the server tells the two apart by `kind`.
import type { ReadLevel } from '../history/op.js';

export interface ClientRequest {
  kind: 'req';
  /** Unique per attempt (client-local); replies echo it. */
  reqId: number;
  /** Unique per operation across the run (retries share it): the dedup key for puts. */
  opId: number;
  shard: number;
  op: 'put' | 'get';
  key: string;
  value?: string;
  level?: ReadLevel;
  /** session reads: the highest index this client has seen in the shard. */
  sessionIndex?: number;
  /** bounded reads: the maximum staleness the client accepts. */
  boundUs?: number;
}

export type ReplyStatus =
  /** Served. */
  | 'ok'
  /** Not the leader and nothing was proposed; try the hinted leader. */
  | 'not-leader'
  /** This replica cannot serve the request (not a replica, too stale, lease invalid); nothing was applied. */
  | 'unavailable'
  /** Leadership was lost after the put was proposed: it may or may not commit. Retry (dedup makes it safe). */
  | 'unknown';

export interface ClientReply {
  kind: 'reply';
  reqId: number;
  status: ReplyStatus;
  value?: string | null;
  /** For puts: the log index of the write. For reads: the applied index served at. */
  index?: number;
  /** For reads: the index of the write that produced the value returned (0: key missing). */
  version?: number;
  leaderHint?: string;
  reason?: string;
}

export type StoreMessage = ClientRequest | ClientReply;

/**
 * Placement-driver traffic (admin). The driver asks each shard's leader for its status and
 * sends it one membership step at a time; it tells machines to start or stop hosting a shard.
 */
export type AdminRequest =
  | { kind: 'admin'; op: 'status'; shard: number; seq: number }
  /** Applied only if the membership is still the one at `confIndex` (the status the driver
   * decided on), as TiKV checks a region epoch: a step decided on a stale view is refused. */
  | { kind: 'admin'; op: 'conf'; shard: number; seq: number; confIndex: number; change: { type: 'add-learner' | 'promote' | 'remove'; id: string } }
  | { kind: 'admin'; op: 'transfer'; shard: number; seq: number; to: string }
  | { kind: 'admin'; op: 'host'; shard: number; seq: number }
  /** Drop `replica` if it is the one hosted (any hosted replica when absent). */
  | { kind: 'admin'; op: 'drop'; shard: number; seq: number; replica?: string };

/** A shard's membership as its leader sees it. Members are replica ids (store/replica-id.ts). */
export interface ShardStatus {
  shard: number;
  /** The leader's replica id. */
  leader: string;
  term: number;
  voters: string[];
  learners: string[];
  /** The membership above is committed (no change in flight). */
  confCommitted: boolean;
  /** Log index of the entry that made this membership (0: the founding one). */
  confIndex: number;
  commit: number;
  /** Replication progress of every peer (match index). */
  match: Record<string, number>;
}

/** Each server's periodic load report to the placement driver: reads served below the leader. */
export interface LoadReport {
  kind: 'admin-load';
  /** shard → follower, session and bounded reads served since the previous report. */
  reads: Record<number, number>;
  intervalUs: number;
}

export type AdminReply =
  /** `leaderHint` names a machine. */
  | { kind: 'admin-reply'; op: 'status'; shard: number; seq: number; status: ShardStatus | null; leaderHint: string | null }
  | { kind: 'admin-reply'; op: 'conf' | 'transfer' | 'drop'; shard: number; seq: number; ok: boolean; reason: string }
  /** Sent once the hosting is durable; `replica` is the id of the replica hosted. */
  | { kind: 'admin-reply'; op: 'host'; shard: number; seq: number; ok: boolean; reason: string; replica: string | null };
