// A machine's disk: a key-value store whose writes become durable only after an fsync delay.
//
// Writes complete in the order they were issued (one fsync queue per disk). Until a write is
// durable it is visible to the machine's own reads but a crash discards it. The slow-fsync
// fault multiplies the delay of writes issued while it is in force.
import type { Rng } from './random.js';

export interface DiskModel {
  /** Lower bound of one fsync. */
  fsyncMinUs: number;
  /** Mean of one fsync (exponential above the minimum). */
  fsyncMeanUs: number;
}

export const DEFAULT_DISK: DiskModel = { fsyncMinUs: 100, fsyncMeanUs: 500 };

/** One write: a key set to a value, or deleted when value is undefined. */
export interface DiskOp {
  key: string;
  value: unknown;
}

interface PendingWrite {
  ops: DiskOp[];
  doneUs: number;
}

/** The host side of a disk: the machine schedules completions and decides who is called. */
export interface DiskHost {
  nowUs(): number;
  /** Schedules the completion at an absolute time; `complete` runs unless the disk crashed since. */
  scheduleAt(timeUs: number, complete: () => void): void;
  /** Runs process code now, or later if the machine is paused; drops it if the machine crashed. */
  runProcess(fn: () => void): void;
}

export class Disk {
  private readonly durable = new Map<string, unknown>();
  private pending: PendingWrite[] = [];
  private lastDoneUs = 0;
  private generation = 0;
  slowFactor = 1;
  writesDurable = 0;
  writesLost = 0;

  constructor(
    private readonly model: DiskModel,
    private readonly rng: Rng,
    private readonly host: DiskHost,
  ) {}

  /** Queues a batch of writes; `onDurable` runs (as process code) once all of them are durable. */
  write(ops: DiskOp[], onDurable?: () => void): void {
    const latencyUs = Math.round(
      (this.model.fsyncMinUs + this.rng.exponential(Math.max(0, this.model.fsyncMeanUs - this.model.fsyncMinUs))) *
        this.slowFactor,
    );
    const doneUs = Math.max(this.host.nowUs() + latencyUs, this.lastDoneUs);
    this.lastDoneUs = doneUs;
    const write: PendingWrite = { ops, doneUs };
    this.pending.push(write);
    const generation = this.generation;
    this.host.scheduleAt(doneUs, () => {
      if (generation !== this.generation) return; // lost in a crash
      const head = this.pending.shift();
      if (head !== write) throw new Error('assertion: disk writes must complete in issue order');
      for (const op of write.ops) {
        if (op.value === undefined) this.durable.delete(op.key);
        else this.durable.set(op.key, op.value);
      }
      this.writesDurable++;
      if (onDurable !== undefined) this.host.runProcess(onDurable);
    });
  }

  /** The latest value of a key as this machine sees it (pending writes included). */
  get(key: string): unknown {
    for (let i = this.pending.length - 1; i >= 0; i--) {
      const ops = this.pending[i]!.ops;
      for (let j = ops.length - 1; j >= 0; j--) if (ops[j]!.key === key) return ops[j]!.value;
    }
    return this.durable.get(key);
  }

  /** Durable keys with a prefix, in insertion order (pending writes are not listed). */
  durableKeys(prefix: string): string[] {
    const out: string[] = [];
    for (const key of this.durable.keys()) if (key.startsWith(prefix)) out.push(key);
    return out;
  }

  /** Keys with a prefix as this machine sees them (pending writes and deletes applied), sorted. */
  keys(prefix: string): string[] {
    const seen = new Set<string>();
    for (const key of this.durable.keys()) if (key.startsWith(prefix)) seen.add(key);
    for (const write of this.pending) {
      for (const op of write.ops) {
        if (!op.key.startsWith(prefix)) continue;
        if (op.value === undefined) seen.delete(op.key);
        else seen.add(op.key);
      }
    }
    return [...seen].sort();
  }

  get pendingWrites(): number {
    return this.pending.length;
  }

  /** A crash: every write not yet durable is gone. Returns how many were lost. */
  crash(): number {
    const lost = this.pending.length;
    this.writesLost += lost;
    this.pending = [];
    this.generation++;
    this.lastDoneUs = 0;
    return lost;
  }
}
