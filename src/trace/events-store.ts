// Trace events of the store: client operations and what servers did with them.
import type { OpOutcome, ReadLevel } from '../history/op.js';

export type StoreEvent =
  | { t: number; type: 'client.invoke'; client: number; op: number; kind: 'put' | 'get'; key: string; level: ReadLevel | null; shard: number }
  | {
      t: number;
      type: 'client.complete';
      client: number;
      op: number;
      outcome: OpOutcome;
      value: string | null;
      servedBy: string | null;
      index: number | null;
      attempts: number;
    }
  /** A read served by a replica; `behind` = committed writes to the key it had not applied (white-box). */
  | { t: number; type: 'store.read'; machine: string; shard: number; key: string; level: ReadLevel; version: number; stale: boolean; behind: number }
  /** A replica applied a committed put (its state machine now holds value at version index). */
  | { t: number; type: 'store.apply'; machine: string; shard: number; index: number; key: string; value: string; op: number }
  /**
   * A committed put whose op this replica had already applied at `firstIndex` (a client retry
   * that was committed twice): skipped, so the key keeps whatever was written since.
   */
  | { t: number; type: 'store.duplicate'; machine: string; shard: number; index: number; firstIndex: number; key: string; op: number }
  /** Placement driver decisions: shard moves and read replicas. */
  | { t: number; type: 'store.placement'; kind: 'move-started' | 'move-done' | 'learner-added' | 'learner-removed'; shard: number; machine: string }
  /** Membership of the cluster changed (a machine joined, left or was replaced). */
  | { t: number; type: 'store.membership'; action: 'join' | 'leave' | 'replace'; machine: string; replacement: string | null }
  | { t: number; type: 'store.spike'; factor: number; key: string | null }
  | { t: number; type: 'store.settle'; quiet: boolean };
