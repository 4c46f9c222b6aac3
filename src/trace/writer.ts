// Streaming JSON Lines writer. Events are serialised as they are emitted and written in
// chunks of about 256 KiB with synchronous writes: the run stays single-threaded and the file
// is complete the moment the run ends. No timers, no back-pressure surprises.
import { openSync, writeSync, closeSync } from 'node:fs';
import type { TraceEvent } from './events.js';

const CHUNK_CHARS = 256 * 1024;

export class TraceWriter {
  private readonly fd: number;
  private parts: string[] = [];
  private pendingChars = 0;
  private closed = false;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'w');
  }

  write(event: TraceEvent): void {
    const line = JSON.stringify(event);
    this.parts.push(line);
    this.pendingChars += line.length + 1;
    if (this.pendingChars >= CHUNK_CHARS) this.flush();
  }

  flush(): void {
    if (this.parts.length === 0) return;
    writeSync(this.fd, this.parts.join('\n') + '\n');
    this.parts = [];
    this.pendingChars = 0;
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    closeSync(this.fd);
    this.closed = true;
  }
}
