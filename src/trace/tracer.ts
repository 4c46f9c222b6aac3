// The tracer every event of a run goes through: it counts, hashes (always), feeds online
// listeners (the safety oracle, statistics) and, when a file is open, writes JSON Lines.
import type { MessageEvent, TraceEvent, TraceEventType } from './events.js';
import { TraceHasher } from './hash.js';
import type { TraceWriter } from './writer.js';

export type TraceListener = (event: TraceEvent) => void;

export class Tracer {
  private readonly hasher = new TraceHasher();
  private readonly listeners: TraceListener[] = [];
  private readonly counts = new Map<TraceEventType, { n: number }>();
  private total = 0;
  /** Set while listeners run; events they emit wait in `pending`. */
  private dispatching = false;
  private readonly pending: TraceEvent[] = [];

  constructor(private readonly writer?: TraceWriter) {}

  listen(listener: TraceListener): void {
    this.listeners.push(listener);
  }

  emit(event: TraceEvent): void {
    this.hasher.value(event);
    this.pass(event);
  }

  /** `emit` for a message event: the same hash, counts, listeners and file line, hashed field by field. */
  emitMessage(event: MessageEvent): void {
    this.hasher.message(event.t, event.type, event.id, event.from, event.to, event.label);
    this.pass(event);
  }

  /**
   * Everything but the hash: count the event, hand it to the listeners, write its line. An event
   * emitted by a listener (a fault fired at a protocol event, say) waits until every listener has
   * had the event that caused it, so listeners and the file see events in the order they are
   * hashed: cause before effect.
   */
  private pass(event: TraceEvent): void {
    this.total++;
    const counter = this.counts.get(event.type);
    if (counter === undefined) this.counts.set(event.type, { n: 1 });
    else counter.n++;
    if (this.dispatching) {
      this.pending.push(event);
      return;
    }
    this.dispatching = true;
    try {
      this.dispatch(event);
      for (let i = 0; i < this.pending.length; i++) this.dispatch(this.pending[i]!);
    } finally {
      this.pending.length = 0;
      this.dispatching = false;
    }
  }

  private dispatch(event: TraceEvent): void {
    for (let i = 0; i < this.listeners.length; i++) this.listeners[i]!(event);
    if (this.writer !== undefined) this.writer.write(event);
  }

  get events(): number {
    return this.total;
  }

  count(type: TraceEventType): number {
    return this.counts.get(type)?.n ?? 0;
  }

  /** Event counts by type, in first-seen order. */
  countsByType(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [type, c] of this.counts) out[type] = c.n;
    return out;
  }

  hash(): string {
    return this.hasher.digest();
  }

  close(): void {
    this.writer?.close();
  }
}
