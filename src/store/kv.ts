// The key-value state machine of one shard replica. Committed puts are applied in log order;
// each key keeps its value and the log index that wrote it (its version). Operations carry a
// unique id so a put retried after a timeout is applied once: the retry finds the id and gets
// the original index back — which is what makes client retries safe.
import { AssertionError } from '../base/assert.js';

export interface PutCommand {
  type: 'put';
  opId: number;
  key: string;
  value: string;
}

export type KvCommand = PutCommand;

export interface KvEntry {
  value: string;
  /** Log index of the write that produced this value. */
  index: number;
}

export interface KvSnapshot {
  appliedIndex: number;
  entries: [string, KvEntry][];
  applied: [number, number][];
}

export function encodeCommand(command: KvCommand): string {
  return JSON.stringify(command);
}

export function decodeCommand(data: string): KvCommand | undefined {
  if (data === '') return undefined; // a leader's no-op entry
  const value = JSON.parse(data) as KvCommand;
  if (value.type !== 'put') throw new AssertionError(`unknown command ${data}`);
  return value;
}

export class KvStateMachine {
  private readonly data = new Map<string, KvEntry>();
  /** opId → index at which it was applied (dedup of retried puts). */
  private readonly applied = new Map<number, number>();
  appliedIndex = 0;

  /** Applies the committed entry at `index`; returns the index the op took effect at (or undefined for no-ops). */
  apply(index: number, command: KvCommand | undefined): number | undefined {
    if (index <= this.appliedIndex) throw new AssertionError(`apply ${index} after ${this.appliedIndex}: entries apply once, in order`);
    this.appliedIndex = index;
    if (command === undefined) return undefined;
    const earlier = this.applied.get(command.opId);
    if (earlier !== undefined) return earlier; // a retried put: already applied once
    this.applied.set(command.opId, index);
    this.data.set(command.key, { value: command.value, index });
    return index;
  }

  /** Only for the planted bug `stale-route-no-redirect`: a write that bypasses the log. */
  forceWrite(opId: number, key: string, value: string, index: number): void {
    this.applied.set(opId, index);
    this.data.set(key, { value, index });
  }

  get(key: string): KvEntry | undefined {
    return this.data.get(key);
  }

  appliedAt(opId: number): number | undefined {
    return this.applied.get(opId);
  }

  keys(): IterableIterator<string> {
    return this.data.keys();
  }

  get size(): number {
    return this.data.size;
  }

  snapshot(): KvSnapshot {
    return { appliedIndex: this.appliedIndex, entries: [...this.data.entries()], applied: [...this.applied.entries()] };
  }

  restore(snapshot: KvSnapshot): void {
    this.data.clear();
    this.applied.clear();
    for (const [k, v] of snapshot.entries) this.data.set(k, { ...v });
    for (const [op, index] of snapshot.applied) this.applied.set(op, index);
    this.appliedIndex = snapshot.appliedIndex;
  }

  /** A digest of the contents (for convergence checks): same data → same string. */
  digest(): string {
    const keys = [...this.data.keys()].sort();
    return keys.map((k) => `${k}=${this.data.get(k)!.index}`).join(',');
  }
}
