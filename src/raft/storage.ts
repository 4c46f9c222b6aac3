// What a replica persists, and how one persist batch folds into it. Hosts keep this on their
// (simulated) disk; tests keep it in memory. The fold order is snapshot, truncate, append.
import type { Entry, HardState, Snapshot } from './messages.js';
import { AssertionError } from '../base/assert.js';

export interface PersistBatch {
  /** Increasing per replica incarnation; `persisted(id)` acknowledges it and all earlier ones. */
  readonly id: number;
  readonly hardState: HardState | null;
  /** A newer snapshot: drop every stored entry at or below its index. */
  readonly snapshot: Snapshot | null;
  /** Delete stored entries at and after this index, then store `entries`. */
  readonly truncateFrom: number | null;
  readonly entries: readonly Entry[];
}

export interface PersistedState {
  readonly hardState: HardState;
  readonly snapshot: Snapshot | null;
  readonly entries: readonly Entry[];
}

export const EMPTY_HARD_STATE: HardState = { term: 0, vote: null, commit: 0 };

/** Fold a batch into a stored state (pure; returns a new value). */
export function foldBatch(state: PersistedState, batch: PersistBatch): PersistedState {
  let snapshot = state.snapshot;
  let entries = state.entries;
  if (batch.snapshot !== null) {
    const s = batch.snapshot;
    snapshot = s;
    entries = entries.filter((e) => e.index > s.index);
  }
  if (batch.truncateFrom !== null) {
    const from = batch.truncateFrom;
    entries = entries.filter((e) => e.index < from);
  }
  if (batch.entries.length > 0) entries = [...entries, ...batch.entries];
  // The stored log must stay contiguous after the snapshot, or a restart would load holes.
  const base = snapshot === null ? 0 : snapshot.index;
  for (let i = 0; i < entries.length; i++) {
    if ((entries[i] as Entry).index !== base + 1 + i) {
      throw new AssertionError(`stored log not contiguous at ${(entries[i] as Entry).index} (expected ${base + 1 + i})`);
    }
  }
  return { hardState: batch.hardState ?? state.hardState, snapshot, entries };
}

/** In-memory storage with explicit durability, for tests and benchmarks. */
export class MemoryStorage {
  durable: PersistedState = { hardState: EMPTY_HARD_STATE, snapshot: null, entries: [] };
  /** Written but not yet durable, oldest first. */
  pending: PersistBatch[] = [];

  write(batch: PersistBatch): void {
    this.pending.push(batch);
  }

  /** Make the oldest `n` pending batches durable; returns the last durable batch id or null. */
  sync(n = Infinity): number | null {
    let last: number | null = null;
    while (n > 0 && this.pending.length > 0) {
      const b = this.pending.shift() as PersistBatch;
      this.durable = foldBatch(this.durable, b);
      last = b.id;
      n -= 1;
    }
    return last;
  }

  /** A crash: unsynced writes are lost. */
  crash(): void {
    this.pending = [];
  }
}
