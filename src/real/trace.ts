// A machine's trace as JSON Lines, one file per process: the same typed events as a simulated
// run (src/trace/events.ts), field for field, so the trace reader, replay and report tools read
// it as they read a simulated trace. Each line is the event with
//   t       this runtime's true time in µs (RealClock.trueUs: monotonic, unskewed — the
//           counterpart of the simulator's true time), set by the machine when it emits; with
//           a shared clock origin it continues across restarts (the file is appended to);
//   wallUs  the same instant on this host's wall clock (µs since the epoch), appended last, so
//           traces of several processes can be merged on one time line.
//
// Lines are buffered and written with synchronous writes in chunks (as src/trace/writer.ts
// does), and at least every `flushEveryMs` so a killed process loses little; close() flushes.
import { closeSync, openSync, writeSync } from 'node:fs';
import type { TraceEvent } from '../trace/events.js';
import { assert } from '../base/assert.js';

export interface TraceFileOptions {
  /** Write once this many characters are buffered. */
  chunkChars: number;
  /** Write what is buffered at least this often (0: only by size and on close). */
  flushEveryMs: number;
}

export const DEFAULT_TRACE_FILE: TraceFileOptions = { chunkChars: 256 * 1024, flushEveryMs: 1000 };

export class TraceFile {
  private readonly fd: number;
  private parts: string[] = [];
  private pendingChars = 0;
  private closed = false;
  private readonly timer: NodeJS.Timeout | null;
  private readonly chunkChars: number;
  lines = 0;

  constructor(
    readonly path: string,
    options: Partial<TraceFileOptions> = {},
  ) {
    const opts = { ...DEFAULT_TRACE_FILE, ...options };
    assert(opts.chunkChars > 0 && opts.flushEveryMs >= 0, 'trace buffering bounds are positive');
    this.fd = openSync(path, 'a');
    this.chunkChars = opts.chunkChars;
    this.timer = opts.flushEveryMs > 0 ? setInterval(() => this.flush(), opts.flushEveryMs) : null;
    this.timer?.unref(); // a trace never keeps a process alive
  }

  /** Appends one event (its `t` already set) with the wall-clock instant of `t`. */
  write(event: TraceEvent, wallUs: number): void {
    assert(!this.closed, () => `trace write after close (${this.path})`);
    const line = JSON.stringify({ ...event, wallUs });
    this.parts.push(line);
    this.pendingChars += line.length + 1;
    this.lines++;
    if (this.pendingChars >= this.chunkChars) this.flush();
  }

  flush(): void {
    if (this.parts.length === 0 || this.closed) return;
    writeSync(this.fd, `${this.parts.join('\n')}\n`);
    this.parts = [];
    this.pendingChars = 0;
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    if (this.timer !== null) clearInterval(this.timer);
    closeSync(this.fd);
    this.closed = true;
  }
}
