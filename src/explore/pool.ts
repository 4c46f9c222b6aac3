// A pool of worker threads running sweep tasks. Workers load the compiled worker
// (dist/src/explore/worker.js). At most `size` tasks run at once; a task runs either on a
// long-lived worker (reused across seeds) or on a fresh worker that runs only that task and is
// then terminated (the determinism self-check compares the two).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { RunOutcome } from './execute.js';
import type { RunTask, TaskResult } from './protocol.js';
import { AssertionError } from '../base/assert.js';

/** The compiled worker next to this module, or under dist/ when running from sources (tests). */
export function workerPath(): string {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.js')) return join(dirname(here), 'worker.js');
  return join(dirname(here), '..', '..', 'dist', 'src', 'explore', 'worker.js');
}

interface Pending {
  task: Omit<RunTask, 'id'>;
  fresh: boolean;
  resolve: (outcome: RunOutcome) => void;
  reject: (err: Error) => void;
}

interface Running {
  pending: Pending;
  worker: Worker;
}

/** Bound on tasks waiting for a slot (callers feed the pool in windows well below it). */
const QUEUE_MAX = 1_000_000;

export class WorkerPool {
  private readonly idle: Worker[] = [];
  private readonly queue: Pending[] = [];
  private readonly running = new Map<number, Running>();
  private nextId = 1;
  private closed = false;
  readonly path: string;

  constructor(readonly size: number) {
    if (!(size >= 1)) throw new AssertionError(`a pool needs at least one worker, got ${size}`);
    this.path = workerPath();
    if (!existsSync(this.path)) throw new Error(`worker not built: ${this.path} is missing (run npx tsc -p .)`);
  }

  /** Runs one task; `fresh` puts it on a new worker used for nothing else. */
  run(task: Omit<RunTask, 'id'>, fresh = false): Promise<RunOutcome> {
    if (this.closed) return Promise.reject(new AssertionError('the pool is closed'));
    if (this.queue.length >= QUEUE_MAX) return Promise.reject(new AssertionError(`more than ${QUEUE_MAX} tasks queued`));
    return new Promise((resolve, reject) => {
      this.queue.push({ task, fresh, resolve, reject });
      this.pump();
    });
  }

  get busy(): number {
    return this.running.size + this.queue.length;
  }

  private spawn(): Worker {
    const worker = new Worker(this.path);
    worker.on('message', (result: TaskResult) => this.finished(worker, result));
    worker.on('error', (err) => this.crashed(worker, err));
    return worker;
  }

  private pump(): void {
    while (this.running.size < this.size && this.queue.length > 0) {
      const pending = this.queue.shift()!;
      const worker = pending.fresh ? this.spawn() : (this.idle.pop() ?? this.spawn());
      const id = this.nextId++;
      this.running.set(id, { pending, worker });
      worker.postMessage({ ...pending.task, id } satisfies RunTask);
    }
  }

  private finished(worker: Worker, result: TaskResult): void {
    const running = this.running.get(result.id);
    if (running === undefined) throw new AssertionError(`result for unknown task ${result.id}`);
    this.running.delete(result.id);
    if (running.pending.fresh) void worker.terminate();
    else this.idle.push(worker);
    if (result.ok) running.pending.resolve(result.outcome);
    else running.pending.reject(new Error(result.error));
    this.pump();
  }

  private crashed(worker: Worker, err: Error): void {
    for (const [id, running] of this.running) {
      if (running.worker !== worker) continue;
      this.running.delete(id);
      running.pending.reject(err);
    }
    const i = this.idle.indexOf(worker);
    if (i >= 0) this.idle.splice(i, 1);
    void worker.terminate();
    this.pump();
  }

  async close(): Promise<void> {
    this.closed = true;
    const workers = [...this.idle, ...[...this.running.values()].map((r) => r.worker)];
    this.idle.length = 0;
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
