// A machine's disk: a key-value store whose writes become durable only after an fsync delay.
//
// Writes complete in the order they were issued (one fsync queue per disk). Until a write is
// durable it is visible to the machine's own reads but a crash discards it. The slow-fsync
// fault multiplies the delay of writes issued while it is in force.
import type { Rng } from './random.js';
import { AssertionError } from '../base/assert.js';

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
  /** Issued while the slow-fsync fault was in force. */
  slow: boolean;
  /** Changes when the completion is rescheduled; an outdated completion does nothing. */
  token: number;
  onDurable: (() => void) | undefined;
}

/** The host side of a disk: the machine schedules completions and decides who is called. */
export interface DiskHost {
  nowUs(): number;
  /** Schedules the completion at an absolute time; `complete` runs unless the disk crashed since. */
  scheduleAt(timeUs: number, complete: () => void): void;
  /** Runs process code now, or later if the machine is paused; drops it if the machine crashed. */
  runProcess(fn: () => void): void;
}

/**
 * A process's view of its machine's disk: all `MachineContext.disk` offers, so a process is built
 * the same on the simulated `Disk` and on a real one (src/real/disk.ts, `FileDisk`). Crashes,
 * slow fsyncs and durable-only listings are the host's business (`Machine.disk`, the class).
 */
export interface DiskView {
  /** The latest value of a key as this machine sees it (pending writes included). */
  get(key: string): unknown;
  /** Keys with a prefix as this machine sees them (pending writes and deletes applied), sorted. */
  keys(prefix: string): string[];
  /** Queues a batch of writes; `onDurable` runs (as process code) once all of them are durable. */
  write(ops: DiskOp[], onDurable?: () => void): void;
}

export class Disk implements DiskView {
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

  private tokens = 0;

  private fsyncUs(factor: number): number {
    return Math.round((this.model.fsyncMinUs + this.rng.exponential(Math.max(0, this.model.fsyncMeanUs - this.model.fsyncMinUs))) * factor);
  }

  /** Queues a batch of writes; `onDurable` runs (as process code) once all of them are durable. */
  write(ops: DiskOp[], onDurable?: () => void): void {
    const doneUs = Math.max(this.host.nowUs() + this.fsyncUs(this.slowFactor), this.lastDoneUs);
    this.lastDoneUs = doneUs;
    const write: PendingWrite = { ops, doneUs, slow: this.slowFactor !== 1, token: 0, onDurable };
    this.pending.push(write);
    this.schedule(write);
  }

  private schedule(write: PendingWrite): void {
    const token = ++this.tokens;
    write.token = token;
    const generation = this.generation;
    this.host.scheduleAt(write.doneUs, () => {
      if (generation !== this.generation) return; // lost in a crash
      if (write.token !== token) return; // rescheduled by recover()
      const head = this.pending.shift();
      if (head !== write) throw new AssertionError('disk writes must complete in issue order');
      for (const op of write.ops) {
        if (op.value === undefined) this.durable.delete(op.key);
        else this.durable.set(op.key, op.value);
      }
      this.writesDurable++;
      if (write.onDurable !== undefined) this.host.runProcess(write.onDurable);
    });
  }

  /**
   * The disk is healthy again, backlog included: the slow factor goes back to 1 and writes still
   * queued from the slow period complete as a healthy disk would from now (in issue order, never
   * later than already scheduled). Used when the store is healed as a whole before settling.
   */
  recover(): void {
    const backlog = this.pending.some((w) => w.slow);
    this.slowFactor = 1;
    if (!backlog) return;
    let prevUs = this.host.nowUs();
    for (const write of this.pending) {
      const doneUs = Math.max(this.host.nowUs() + this.fsyncUs(1), prevUs);
      if (doneUs < write.doneUs) {
        write.doneUs = doneUs;
        this.schedule(write);
      }
      write.slow = false;
      prevUs = write.doneUs;
    }
    this.lastDoneUs = prevUs;
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
