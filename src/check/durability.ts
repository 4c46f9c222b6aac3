// Durability: no acknowledged write is ever lost, and (white-box) none lives in a shard that
// does not own its key. Every put acknowledged at log index i must,
// on every replica of its shard that has applied index i, have been applied at exactly i —
// including replicas that crashed and restarted, and those that caught up from a snapshot.
import type { OpRecord } from '../history/op.js';

export interface ReplicaFinalState {
  machine: string;
  shard: number;
  appliedIndex: number;
  /** Index at which an operation id was applied on this replica, if it was. */
  appliedAt(opId: number): number | undefined;
}

export interface DurabilityResult {
  ok: boolean;
  acknowledged: number;
  lost: { op: number; key: string; index: number; machine: string; foundAt: number | null }[];
  /** Acknowledged puts stored in a shard that does not own their key (white-box: needs the owner). */
  misrouted: { op: number; key: string; shard: number; owner: number }[];
}

const LOST_KEPT_MAX = 20;

export function checkDurability(
  history: readonly OpRecord[],
  replicas: readonly ReplicaFinalState[],
  ownerOf?: (key: string) => number,
): DurabilityResult {
  const misrouted: DurabilityResult['misrouted'] = [];
  let misroutedCount = 0;
  const byShard = new Map<number, ReplicaFinalState[]>();
  for (const r of replicas) {
    let list = byShard.get(r.shard);
    if (list === undefined) byShard.set(r.shard, (list = []));
    list.push(r);
  }
  const lost: DurabilityResult['lost'] = [];
  let acknowledged = 0;
  let lostCount = 0;
  for (const op of history) {
    if (op.op !== 'put' || op.outcome !== 'ok' || op.index === undefined || op.shard === undefined) continue;
    acknowledged++;
    const owner = ownerOf?.(op.key);
    if (owner !== undefined && owner !== op.shard) {
      misroutedCount++;
      if (misrouted.length < LOST_KEPT_MAX) misrouted.push({ op: op.id, key: op.key, shard: op.shard, owner });
    }
    for (const r of byShard.get(op.shard) ?? []) {
      if (r.appliedIndex < op.index) continue; // not there yet: convergence judges lagging replicas
      const at = r.appliedAt(op.id);
      if (at !== op.index) {
        lostCount++;
        if (lost.length < LOST_KEPT_MAX) lost.push({ op: op.id, key: op.key, index: op.index, machine: r.machine, foundAt: at ?? null });
      }
    }
  }
  return { ok: lostCount === 0 && misroutedCount === 0, acknowledged, lost, misrouted };
}
