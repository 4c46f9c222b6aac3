// A whole trace held compactly for replay. Message sends and deliveries (three quarters of a
// store trace) live in typed columns; every other event is kept as its parsed object. A 1.7 M
// event trace then costs about 40 MB of columns plus the rarer objects, instead of one object
// per event. The loader reads the file in chunks and reports bad lines through reader.ts, so a
// broken trace gives the same located one-line error as every other command.
import { closeSync, openSync, readSync } from 'node:fs';
import { assertReadable, parseTraceLine } from '../trace/reader.js';
import type { TraceEvent } from '../trace/events.js';
import { machineOfReplica } from '../store/replica-id.js';

/** Type codes fixed for the columnar kinds; other types get codes as they are first seen. */
export const CODE_MSG_SEND = 0;
export const CODE_MSG_DELIVER = 1;

const CAPACITY_INITIAL_EVENTS = 1 << 16;
const CHUNK_BYTES = 1 << 22;

export class TraceStore {
  count = 0;
  /** Event times, forced nondecreasing so binary search by time is sound. */
  timesUs: Float64Array = new Float64Array(CAPACITY_INITIAL_EVENTS);
  codes: Uint16Array = new Uint16Array(CAPACITY_INITIAL_EVENTS);
  /** Object events: index into `objects`; message columns: the message id. */
  refs: Int32Array = new Int32Array(CAPACITY_INITIAL_EVENTS);
  msgFrom: Uint16Array = new Uint16Array(CAPACITY_INITIAL_EVENTS);
  msgTo: Uint16Array = new Uint16Array(CAPACITY_INITIAL_EVENTS);
  msgLabel: Uint16Array = new Uint16Array(CAPACITY_INITIAL_EVENTS);
  readonly objects: TraceEvent[] = [];

  readonly typeNames: string[] = ['msg.send', 'msg.deliver'];
  private readonly typeCodes = new Map<string, number>([
    ['msg.send', CODE_MSG_SEND],
    ['msg.deliver', CODE_MSG_DELIVER],
  ]);
  /** Machine names: run.start's machines first (servers), then others as first seen. */
  readonly names: string[] = [];
  private readonly nameIndex = new Map<string, number>();
  readonly labels: string[] = [];
  private readonly labelIndex = new Map<string, number>();
  /** Server machines (run.start's list, then machines that host replicas or join), in that order. */
  readonly serverIds: number[] = [];
  private readonly serverSet = new Set<number>();
  /** Shards seen (largest group or shard number + 1). */
  shards = 0;

  nameId(name: string): number {
    let id = this.nameIndex.get(name);
    if (id === undefined) {
      id = this.names.length;
      this.names.push(name);
      this.nameIndex.set(name, id);
    }
    return id;
  }

  /** The id of a machine name, or -1 when the trace never mentions it. */
  findName(name: string): number {
    return this.nameIndex.get(name) ?? -1;
  }

  private labelId(label: string): number {
    let id = this.labelIndex.get(label);
    if (id === undefined) {
      id = this.labels.length;
      this.labels.push(label);
      this.labelIndex.set(label, id);
    }
    return id;
  }

  codeOf(type: string): number {
    let code = this.typeCodes.get(type);
    if (code === undefined) {
      code = this.typeNames.length;
      this.typeNames.push(type);
      this.typeCodes.set(type, code);
    }
    return code;
  }

  typeAt(i: number): string {
    return this.typeNames[this.codes[i]!]!;
  }

  timeAt(i: number): number {
    return this.timesUs[i]!;
  }

  /** The object of an object event (undefined for columnar message events). */
  objectAt(i: number): TraceEvent | undefined {
    const code = this.codes[i]!;
    if (code === CODE_MSG_SEND || code === CODE_MSG_DELIVER) return undefined;
    return this.objects[this.refs[i]!];
  }

  /** The event at i as a plain trace event (columnar events are rebuilt). */
  event(i: number): TraceEvent {
    const code = this.codes[i]!;
    if (code === CODE_MSG_SEND || code === CODE_MSG_DELIVER) {
      return {
        t: this.timesUs[i]!,
        type: code === CODE_MSG_SEND ? 'msg.send' : 'msg.deliver',
        id: this.refs[i]!,
        from: this.names[this.msgFrom[i]!]!,
        to: this.names[this.msgTo[i]!]!,
        label: this.labels[this.msgLabel[i]!]!,
      };
    }
    return this.objects[this.refs[i]!]!;
  }

  private grow(): void {
    const size = this.timesUs.length * 2;
    const widen = <T extends Float64Array | Uint16Array | Int32Array>(old: T, make: (n: number) => T): T => {
      const next = make(size);
      next.set(old);
      return next;
    };
    this.timesUs = widen(this.timesUs, (n) => new Float64Array(n));
    this.codes = widen(this.codes, (n) => new Uint16Array(n));
    this.refs = widen(this.refs, (n) => new Int32Array(n));
    this.msgFrom = widen(this.msgFrom, (n) => new Uint16Array(n));
    this.msgTo = widen(this.msgTo, (n) => new Uint16Array(n));
    this.msgLabel = widen(this.msgLabel, (n) => new Uint16Array(n));
  }

  push(event: TraceEvent): void {
    if (this.count === this.timesUs.length) this.grow();
    const i = this.count++;
    const previousUs = i > 0 ? this.timesUs[i - 1]! : 0;
    this.timesUs[i] = event.t > previousUs ? event.t : previousUs;
    if ((event.type === 'msg.send' || event.type === 'msg.deliver') && Number.isInteger(event.id) && event.id >= 0 && event.id <= 0x7fffffff) {
      this.codes[i] = event.type === 'msg.send' ? CODE_MSG_SEND : CODE_MSG_DELIVER;
      this.refs[i] = event.id;
      this.msgFrom[i] = this.nameId(event.from);
      this.msgTo[i] = this.nameId(event.to);
      this.msgLabel[i] = this.labelId(event.label);
      return;
    }
    // A send with an odd id is kept as an object under its own code, so columns stay exact.
    this.codes[i] = this.codeOf(event.type === 'msg.send' || event.type === 'msg.deliver' ? `${event.type}#object` : event.type);
    this.refs[i] = this.objects.length;
    this.objects.push(event);
    this.noteNames(event);
  }

  /** Registers machine names and shard numbers an object event mentions. */
  private noteNames(event: TraceEvent): void {
    const fields = event as unknown as Record<string, unknown>;
    if (event.type === 'run.start' && Array.isArray(event.machines)) {
      for (const m of event.machines) this.addServer(String(m));
    }
    if (event.type.startsWith('raft.') && typeof fields.replica === 'string') this.addServer(machineOfReplica(fields.replica));
    if (event.type === 'store.membership' || event.type === 'store.placement') {
      if (typeof fields.machine === 'string') this.addServer(fields.machine);
      if (typeof fields.replacement === 'string') this.addServer(fields.replacement);
    }
    for (const field of ['machine', 'replica', 'from', 'to']) {
      const v = fields[field];
      if (typeof v === 'string') this.nameId(field === 'replica' ? machineOfReplica(v) : v);
    }
    for (const field of ['group', 'shard']) {
      const v = fields[field];
      if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < 1 << 16) this.shards = Math.max(this.shards, v + 1);
    }
  }

  private addServer(name: string): void {
    const id = this.nameId(name);
    if (this.serverSet.has(id)) return;
    this.serverSet.add(id);
    this.serverIds.push(id);
  }

  isServer(id: number): boolean {
    return this.serverSet.has(id);
  }

  /** Shrinks the columns to the events held (after loading). */
  seal(): void {
    const n = this.count;
    this.timesUs = this.timesUs.slice(0, n);
    this.codes = this.codes.slice(0, n);
    this.refs = this.refs.slice(0, n);
    this.msgFrom = this.msgFrom.slice(0, n);
    this.msgTo = this.msgTo.slice(0, n);
    this.msgLabel = this.msgLabel.slice(0, n);
    // A trace without run.start or Raft events (the ping demo) treats n<digits> as servers.
    if (this.serverIds.length === 0) for (const name of this.names) if (/^n\d+$/.test(name)) this.addServer(name);
  }

  get durationUs(): number {
    return this.count === 0 ? 0 : this.timesUs[this.count - 1]!;
  }
}

export function traceFromEvents(events: readonly TraceEvent[]): TraceStore {
  const store = new TraceStore();
  for (const event of events) store.push(event);
  store.seal();
  return store;
}

/**
 * Reads a trace file in chunks (never the whole file as one string). Throws a located UserError
 * for a line that is not a trace event, and a one-line UserError for a missing file.
 */
export function loadTraceFile(file: string): TraceStore {
  assertReadable(file);
  const store = new TraceStore();
  const fd = openSync(file, 'r');
  try {
    let buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    let carryBytes = 0;
    let lineNo = 0;
    for (;;) {
      if (carryBytes === buffer.length) {
        // One line longer than the buffer: widen it rather than split the line.
        const wider = Buffer.allocUnsafe(buffer.length * 2);
        buffer.copy(wider, 0, 0, carryBytes);
        buffer = wider;
      }
      const got = readSync(fd, buffer, carryBytes, buffer.length - carryBytes, null);
      const filled = carryBytes + got;
      const atEnd = got === 0;
      // Decode only whole lines so a multi-byte character is never cut in two.
      const lastNewline = atEnd ? filled : buffer.lastIndexOf(0x0a, filled - 1);
      if (lastNewline < 0) {
        carryBytes = filled;
        continue;
      }
      const text = buffer.toString('utf8', 0, lastNewline);
      let start = 0;
      while (start <= text.length) {
        let end = text.indexOf('\n', start);
        if (end < 0) end = text.length;
        lineNo++;
        if (end > start) {
          const line = text.charCodeAt(end - 1) === 13 ? text.slice(start, end - 1) : text.slice(start, end);
          if (line.trim() !== '') store.push(parseTraceLine(file, lineNo, line));
        }
        start = end + 1;
      }
      if (atEnd) break;
      carryBytes = filled - lastNewline - 1;
      buffer.copy(buffer, 0, lastNewline + 1, filled);
    }
  } finally {
    closeSync(fd);
  }
  store.seal();
  return store;
}
