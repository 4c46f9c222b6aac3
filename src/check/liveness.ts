// Liveness: after the last fault heals, every shard elects a leader and serves a write and a
// read within a bound. The engine runs probes during the settle period and reports, per shard,
// when the probe write and read succeeded (null: never).
//
// Upkeep that correctness does not need but a store that runs for long does: every replica
// compacts its log. A replica snapshots its state machine once `every` entries have been applied
// past its last snapshot, so at the end none may hold more than twice that past its snapshot
// (twice: a compaction scheduled at the end may not have run yet). A store that never compacts
// passes every other check while its logs grow without bound; this sees it. (A simulated run
// knows each replica's snapshot index; a real run's status does not carry it: input null.)
//
// And no request is left behind: every client request (and follower freshness query) a server
// holds when the faults heal is answered or refused by the end of the settling, when the
// settling is long enough for that (the engine decides: a bounded read waits out its bound, an
// election may come first). A server that drops a request silently, on a step-down or a refusal,
// passes every other check (the client's attempt timeout and retries hide it) while its pending
// maps grow; this sees it.
//
// And a store deletes what it was told to: at the end no machine's disk holds Raft state (a
// hard state, a snapshot, log entries) of a replica it no longer hosts. A drop that forgets a
// key leaks disk on every move and keeps data it was asked to delete, and every other check
// passes; this sees it.
//
// And leadership stays put once a shard has settled (churn.ts).

export interface LivenessProbe {
  shard: number;
  writeOkUs: number | null;
  readOkUs: number | null;
}

export interface CompactionReplica {
  shard: number;
  machine: string;
  /** Entries the replica's state machine has applied. */
  applied: number;
  /** Index its log's snapshot covers. */
  snapshotIndex: number;
}

export interface CompactionInput {
  /** Compaction interval: entries applied past the last snapshot before the next. */
  every: number;
  replicas: readonly CompactionReplica[];
}

/** A request a server held when the faults healed and still held at the end of the settling. */
export interface UnansweredRequest {
  machine: string;
  shard: number;
  /** What it waits for (server.ts HeldKind): read-index, read-apply, bounded, put, freshness. */
  kind: string;
}

export interface UnansweredInput {
  /** Requests held at the heal (every server up). */
  heldAtHeal: number;
  /** Of those, the ones still held at the end of the settling. */
  left: readonly UnansweredRequest[];
}

/** Disk keys of Raft state left on a machine that no longer hosts the replica they belong to. */
export interface StrayKey {
  machine: string;
  key: string;
}

import type { ChurnedShard } from './churn.js';

export interface LivenessResult {
  ok: boolean;
  healedAtUs: number;
  boundUs: number;
  /** Slowest shard's time from heal to serving both a write and a read. */
  worstUs: number | null;
  stuck: number[];
  /** Present when compaction was checked: replicas holding too much log past their snapshot (at most five). */
  compaction?: { every: number; replicas: number; uncompacted: CompactionReplica[] };
  /** Present when checked: requests held at the heal and never answered by the end of the settling (at most five listed). */
  unanswered?: { heldAtHeal: number; left: number; requests: UnansweredRequest[] };
  /** Present when checked: Raft state left on disk for replicas no longer hosted (at most five listed). */
  stray?: { count: number; keys: StrayKey[] };
  /** Present when checked: settled shards whose replicas kept starting elections (at most five). */
  churn?: { shards: ChurnedShard[] };
}

/** Replicas may hold this many compaction intervals past their snapshot at the end. */
export const COMPACTION_SLACK = 2;

export function checkLiveness(
  healedAtUs: number,
  boundUs: number,
  probes: readonly LivenessProbe[],
  compaction: CompactionInput | null = null,
  unanswered: UnansweredInput | null = null,
  stray: readonly StrayKey[] | null = null,
  churn: readonly ChurnedShard[] | null = null,
): LivenessResult {
  const stuck: number[] = [];
  let worstUs = 0;
  for (const p of probes) {
    const doneUs = p.writeOkUs === null || p.readOkUs === null ? null : Math.max(p.writeOkUs, p.readOkUs);
    if (doneUs === null || doneUs - healedAtUs > boundUs) stuck.push(p.shard);
    if (doneUs !== null) worstUs = Math.max(worstUs, doneUs - healedAtUs);
  }
  let result: LivenessResult = { ok: stuck.length === 0, healedAtUs, boundUs, worstUs: probes.length === 0 ? null : worstUs, stuck };
  if (compaction !== null) {
    const uncompacted = compaction.replicas.filter((r) => r.applied - r.snapshotIndex > COMPACTION_SLACK * compaction.every);
    result = {
      ...result,
      ok: result.ok && uncompacted.length === 0,
      compaction: { every: compaction.every, replicas: compaction.replicas.length, uncompacted: uncompacted.slice(0, 5) },
    };
  }
  if (unanswered !== null) {
    result = {
      ...result,
      ok: result.ok && unanswered.left.length === 0,
      unanswered: { heldAtHeal: unanswered.heldAtHeal, left: unanswered.left.length, requests: unanswered.left.slice(0, 5) },
    };
  }
  if (stray !== null) {
    result = { ...result, ok: result.ok && stray.length === 0, stray: { count: stray.length, keys: stray.slice(0, 5) } };
  }
  if (churn !== null) result = { ...result, ok: result.ok && churn.length === 0, churn: { shards: churn.slice(0, 5) } };
  return result;
}

export function livenessMessage(l: LivenessResult): string | undefined {
  if (l.stuck.length > 0) return `shards ${l.stuck.join(', ')} did not serve within ${l.boundUs}us of healing`;
  const c = l.churn?.shards[0];
  if (c !== undefined) {
    return `shard ${c.shard}'s replicas started ${c.campaigns} elections from ${c.fromUs}us, after it had settled with no fault and no membership change: leadership churns`;
  }
  const left = l.unanswered?.requests[0];
  if (left !== undefined) {
    return `${l.unanswered!.left} request(s) held when the faults healed were never answered (first: a ${left.kind} wait on ${left.machine}, shard ${left.shard}): every request is answered or refused once the store settles`;
  }
  const k = l.stray?.keys[0];
  if (k !== undefined) {
    return `${l.stray!.count} disk key(s) of Raft state outlive their replica (first: ${k.key} on ${k.machine}): a replica dropped or moved away must delete its state`;
  }
  const u = l.compaction?.uncompacted[0];
  if (u === undefined) return undefined;
  return `shard ${u.shard} on ${u.machine} holds ${u.applied - u.snapshotIndex} applied entries past its snapshot (index ${u.snapshotIndex}): its log is not compacted (every ${l.compaction!.every} entries; at most ${COMPACTION_SLACK * l.compaction!.every} allowed)`;
}
