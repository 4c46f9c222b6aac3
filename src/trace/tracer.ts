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

  /** Everything but the hash: count the event, hand it to the listeners, write its line. */
  private pass(event: TraceEvent): void {
    this.total++;
    const counter = this.counts.get(event.type);
    if (counter === undefined) this.counts.set(event.type, { n: 1 });
    else counter.n++;
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
