// Messages between store clients and servers. Raft traffic between servers is wrapped by the
// Raft host; the server tells the two apart by `kind`.
//
// The second half of this file checks the shape of each message where it arrives (over TCP
// anyone can send a well-formed frame with garbage inside): `isClientRequest`, `isClientReply`,
// `isAdminRequest`, `isAdminReply`, `isLoadReport`, `isFreshnessQuery`, `isFreshnessAnswer`,
// and the state machine's data Raft carries (`KV_DATA_CHECK`). A receiver drops and counts a
// payload that fails, and does nothing else. Hand-written guards, not zod: they run on every
// delivered message of every simulation (src/store/README.md, "Malformed messages").
import type { ReadLevel } from '../history/op.js';
import { isObject, isRaftId, isRaftNumber, type RaftDataCheck } from '../raft/validate.js';

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

/**
 * Freshness for bounded reads (thesis §6.4, follower reads): a replica asks its leader for a
 * commit index the leader has confirmed with a ReadIndex round. Everything committed before
 * the query was sent is at or below that index, so once the replica has applied it, it is
 * fresh as of the query's send time (its own clock).
 */
export interface FreshnessQuery {
  kind: 'fresh-req';
  shard: number;
  qid: number;
  /**
   * The asker's local send time, echoed in the answer. Query ids start again at 1 when a server
   * restarts, so an answer to a query from before a crash (held by a clog, or late) can carry
   * the id of a new query; it must not make the new one fresh (found: a no-bug guided hunt,
   * a bounded read 2 versions stale past its bound after such an answer).
   */
  sent: number;
}

export interface FreshnessAnswer {
  kind: 'fresh-resp';
  shard: number;
  qid: number;
  sent: number;
  index: number;
}

// ------------------------------------------------------------------ message classes

/**
 * The store's traffic in four classes, by payload `kind`: `raft` (Raft messages and batches
 * between replicas' hosts), `client` (client requests and their replies), `admin` (placement
 * driver requests, their replies and servers' load reports) and `freshness` (bounded reads'
 * freshness queries and answers between replicas). A `garble` fault can be aimed at some of
 * them (the scenario names them), so rare messages get garbled often enough to test their
 * receivers' validation.
 */
export const MESSAGE_CLASSES = ['raft', 'client', 'admin', 'freshness'] as const;
export type MessageClass = (typeof MESSAGE_CLASSES)[number];

/** The class of a payload the store sends; null for anything else (a demo ping, a non-object). */
export function messageClassOf(p: unknown): MessageClass | null {
  switch (kindOf(p)) {
    case 'raft':
    case 'raft-batch':
      return 'raft';
    case 'req':
    case 'reply':
      return 'client';
    case 'admin':
    case 'admin-reply':
    case 'admin-load':
      return 'admin';
    case 'fresh-req':
    case 'fresh-resp':
      return 'freshness';
    default:
      return null;
  }
}

// ------------------------------------------------------------------ shape checks

/** Bound on the keys of a load report (one per shard: a cluster has at most 100 000) and the
 * members of a status. */
export const LIST_LENGTH_MAX = 100_000;

/** The `kind` of a payload, if it is an object that has one. */
export function kindOf(p: unknown): unknown {
  return typeof p === 'object' && p !== null ? (p as { kind?: unknown }).kind : undefined;
}

/** Request, operation and sequence ids: any safe integer (they are only compared and echoed). */
function isSeq(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x);
}

/** Shard numbers: a Raft group number (the receiver checks it against its ring). */
const isShard = isRaftNumber;
/** A machine's local clock reading in microseconds (negative under a clock set back at start). */
const isLocalTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Durations in µs: finite and ≥ 0. */
function isDurationUs(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x) && x >= 0;
}

function isOptional<T>(x: unknown, check: (y: unknown) => y is T): x is T | undefined {
  return x === undefined || check(x);
}

function isString(x: unknown): x is string {
  return typeof x === 'string';
}

function isReadLevel(x: unknown): x is ReadLevel {
  return x === 'linearizable' || x === 'lease' || x === 'follower' || x === 'session' || x === 'bounded';
}

export function isClientRequest(p: unknown): p is ClientRequest {
  return (
    isObject(p) &&
    p.kind === 'req' &&
    isSeq(p.reqId) &&
    isSeq(p.opId) &&
    isShard(p.shard) &&
    (p.op === 'put' || p.op === 'get') &&
    typeof p.key === 'string' &&
    isOptional(p.value, isString) &&
    isOptional(p.level, isReadLevel) &&
    isOptional(p.sessionIndex, isRaftNumber) &&
    isOptional(p.boundUs, isDurationUs)
  );
}

function isReplyStatus(x: unknown): x is ReplyStatus {
  return x === 'ok' || x === 'not-leader' || x === 'unavailable' || x === 'unknown';
}

function isValueOrNull(x: unknown): x is string | null {
  return x === null || typeof x === 'string';
}

export function isClientReply(p: unknown): p is ClientReply {
  return (
    isObject(p) &&
    p.kind === 'reply' &&
    isSeq(p.reqId) &&
    isReplyStatus(p.status) &&
    isOptional(p.value, isValueOrNull) &&
    isOptional(p.index, isRaftNumber) &&
    isOptional(p.version, isRaftNumber) &&
    isOptional(p.leaderHint, isRaftId) &&
    isOptional(p.reason, isString)
  );
}

export function isFreshnessQuery(p: unknown): p is FreshnessQuery {
  return isObject(p) && p.kind === 'fresh-req' && isShard(p.shard) && isSeq(p.qid) && isLocalTime(p.sent);
}

export function isFreshnessAnswer(p: unknown): p is FreshnessAnswer {
  return isObject(p) && p.kind === 'fresh-resp' && isShard(p.shard) && isSeq(p.qid) && isLocalTime(p.sent) && isRaftNumber(p.index);
}

export function isAdminRequest(p: unknown): p is AdminRequest {
  if (!isObject(p) || p.kind !== 'admin' || !isShard(p.shard) || !isSeq(p.seq)) return false;
  const op = p.op as AdminRequest['op'];
  switch (op) {
    case 'status':
    case 'host':
      return true;
    case 'conf': {
      const change = p.change;
      return (
        isRaftNumber(p.confIndex) &&
        isObject(change) &&
        (change.type === 'add-learner' || change.type === 'promote' || change.type === 'remove') &&
        isRaftId(change.id)
      );
    }
    case 'transfer':
      return isRaftId(p.to);
    case 'drop':
      return isOptional(p.replica, isRaftId);
    default: {
      const unknown: never = op; // every op has its case above; at run time, anything else
      void unknown;
      return false;
    }
  }
}

function isIdArray(x: unknown): x is string[] {
  if (!Array.isArray(x) || x.length > LIST_LENGTH_MAX) return false;
  for (let i = 0; i < x.length; i++) if (!isRaftId(x[i])) return false;
  return true;
}

/** An object whose own keys pass `key` and whose values are Raft numbers, of bounded size. */
function isNumberRecord(x: unknown, key: (k: string) => boolean): x is Record<string, number> {
  if (!isObject(x)) return false;
  let n = 0;
  for (const k in x) {
    if (!Object.hasOwn(x, k)) return false; // JSON.parse makes plain objects: nothing inherited
    if (++n > LIST_LENGTH_MAX || !key(k) || !isRaftNumber(x[k])) return false;
  }
  return true;
}

/** A shard number written as an object key: the canonical decimal of a Raft number. */
function isShardKey(k: string): boolean {
  const n = Number(k);
  return isShard(n) && String(n) === k;
}

export function isShardStatus(x: unknown): x is ShardStatus {
  return (
    isObject(x) &&
    isShard(x.shard) &&
    isRaftId(x.leader) &&
    isRaftNumber(x.term) &&
    isIdArray(x.voters) &&
    isIdArray(x.learners) &&
    typeof x.confCommitted === 'boolean' &&
    isRaftNumber(x.confIndex) &&
    isRaftNumber(x.commit) &&
    isNumberRecord(x.match, isRaftId)
  );
}

export function isAdminReply(p: unknown): p is AdminReply {
  if (!isObject(p) || p.kind !== 'admin-reply' || !isShard(p.shard) || !isSeq(p.seq)) return false;
  const op = p.op as AdminReply['op'];
  switch (op) {
    case 'status':
      // A status names the shard it answers for.
      return (p.status === null || (isShardStatus(p.status) && p.status.shard === p.shard)) && (p.leaderHint === null || isRaftId(p.leaderHint));
    case 'conf':
    case 'transfer':
    case 'drop':
      return typeof p.ok === 'boolean' && typeof p.reason === 'string';
    case 'host':
      return typeof p.ok === 'boolean' && typeof p.reason === 'string' && (p.replica === null || isRaftId(p.replica));
    default: {
      const unknown: never = op;
      void unknown;
      return false;
    }
  }
}

export function isLoadReport(p: unknown): p is LoadReport {
  return isObject(p) && p.kind === 'admin-load' && isNumberRecord(p.reads, isShardKey) && isDurationUs(p.intervalUs);
}

// ------------------------------------------------------------------ the state machine's data

/** A put command as kv.ts encodes it (`encodeCommand`; '' is a no-op). Never throws. */
export function isCommandData(data: string): boolean {
  if (data === '') return true;
  let c: unknown;
  try {
    c = JSON.parse(data);
  } catch {
    return false;
  }
  return isObject(c) && c.type === 'put' && isSeq(c.opId) && typeof c.key === 'string' && typeof c.value === 'string';
}

/** A KV snapshot as the server serializes `KvStateMachine.snapshot()` ('' is a new group's
 * empty state). Never throws. */
export function isKvSnapshotData(data: string): boolean {
  if (data === '') return true;
  let s: unknown;
  try {
    s = JSON.parse(data);
  } catch {
    return false;
  }
  if (!isObject(s) || !isRaftNumber(s.appliedIndex) || !Array.isArray(s.entries) || !Array.isArray(s.applied)) return false;
  for (const e of s.entries as unknown[]) {
    if (!Array.isArray(e) || e.length !== 2 || typeof e[0] !== 'string') return false;
    const v: unknown = e[1];
    if (!isObject(v) || typeof v.value !== 'string' || !isRaftNumber(v.index)) return false;
  }
  for (const a of s.applied as unknown[]) {
    if (!Array.isArray(a) || a.length !== 2 || !isSeq(a[0]) || !isRaftNumber(a[1])) return false;
  }
  return true;
}

/** What the store's Raft host checks in entries and snapshots that arrive. */
export const KV_DATA_CHECK: RaftDataCheck = { entry: isCommandData, snapshot: isKvSnapshotData };
