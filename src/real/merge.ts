// Merges the per-process traces of a real run into one trace that replay and report read as
// they read a simulated one.
//
//   mergeTraces(driver, others, out) → MergeResult
//     driver  the test driver's trace: run.start first; run.summary, run.end last (if it got
//             that far); client and fault events between
//     others  the servers' traces (src/real/trace.ts TraceFile, appended to across restarts)
//
// Time line. Every line of a real trace carries `wallUs`, the host's wall clock at that event;
// all processes run on one host, so the files are merged by wallUs — ties keep the order of
// the inputs (driver first), then line order — and each event's `t` becomes
// wallUs − (wallUs of the driver's run.start), so run.start is t = 0. Events stamped before
// run.start (servers booting and electing before the driver started) are kept, at t = 0,
// after run.start. Each file keeps its own order: a line stamped earlier than the one before it
// in its file (the wall clock stepped back across a restart) is merged at its predecessor's
// time. `wallUs` is removed from every line but run.start's, where it says which wall-clock
// instant t = 0 is. Times inside run.summary are not rewritten.
//
// Causality. Two processes' wall clocks can differ by about a millisecond (each one's origin
// comes from Date.now()), more than a loopback message takes, so a delivery can be stamped
// before its send. The merge is causal: a msg.deliver / msg.drop whose send it cannot pair with
// yet waits at the head of its file (holding back that file's later events) until the send is
// merged, and is then merged at the send's time at the earliest — moved forward by the clock
// difference, with the rest of its file behind it. It stops waiting once every file that is not
// waiting is REORDER_WINDOW_US past it (its send was never traced: it pairs with what it can,
// or nothing; its time is then raised to what was already written, by at most the window). A
// delivery from a machine none of whose sends are traced (a client without a trace) never waits.
//
// Message ids. A process numbers the messages it sends (src/real/transport.ts): (from, id)
// names a message across processes, but ids repeat between senders and restart at 1 when a
// process restarts. Replay and report pair a send with its delivery or drop by `id` alone, so
// every msg.send gets a new id, unique in the merged trace (1, 2, … in merged order), and a
// msg.deliver / msg.drop of (from, id) takes the new id of the latest send of (from, id). A later
// send of the same (from, id) is the sender's next incarnation (found by a first pass over the
// files: where each sender's numbers start again) and takes over; a delivery that may be of
// the next incarnation waits for its send. A second delivery of a delivered message is one of
// the transport's copies (copyDelayMs keeps the envelope's id) and keeps the message's id. A
// delivery whose send is in no trace (a client that traces nothing, lines a killed sender
// never flushed) gets an id of its own and pairs with nothing.
//
// Torn lines. A process killed mid-write leaves a partial last line: a final line that is not
// JSON is skipped and counted. A partial line followed by a restart is glued to the first line
// of the next incarnation (the file is appended to): such a line is counted as torn and the
// whole event at its end is kept. Any other line that is not a trace event with `wallUs` is a
// UserError naming the file and line (found by the first pass, before anything is written).
//
// Memory: one buffered chunk and one event per file, one record per message — sends not yet
// delivered for PAIR_HORIZON_US, delivered ones (for copies) for DUPLICATE_HORIZON_US — and per
// sender the times it restarted. The output goes to OUT.merging, renamed to OUT once complete.
import type { FileHandle } from 'node:fs/promises';
import { open, rename, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { assert } from '../base/assert.js';
import { UserError, locate } from '../base/errors.js';
import type { TraceEvent } from '../trace/events.js';
import { assertReadable } from '../trace/reader.js';
import { TraceWriter } from '../trace/writer.js';

export interface MergeInput {
  path: string;
  /** for error messages */
  name?: string;
}

export interface MergeResult {
  /** Events written, run.start and run.end included (= run.end.events when there is one). */
  events: number;
  /** The wall-clock instant (µs since the epoch) of t = 0: the driver's run.start. */
  firstWallUs: number;
  /** The wall-clock instant of the last event's t. */
  lastWallUs: number;
  files: number;
  /** Partial lines of killed processes, skipped (a glued one's whole event is kept). */
  skippedTornLines: number;
  /** Events stamped before the driver's run.start, written at t = 0. */
  clampedEarlyEvents: number;
  messages: {
    /** msg.send events, each given a new id. */
    sends: number;
    /** Deliveries and drops stamped before their send, merged at the send's time instead. */
    moved: number;
    /** Deliveries and drops whose send is in no trace (they pair with nothing). */
    unpaired: number;
    /** Second and later deliveries of one message (the transport's copies): they keep its id. */
    duplicates: number;
    /** Sends with no delivery or drop in any trace (in flight at the end, or lost untraced). */
    unended: number;
  };
  /** The driver's trace ends with run.summary and run.end (false: the driver stopped early). */
  complete: boolean;
}

/** Bytes read from a file at a time. */
const CHUNK_BYTES = 1 << 20;
/** Bound on one line; longer is not a trace this code wrote. */
const LINE_MAX_BYTES = 64 << 20;
/** Bound on input files (one per process of a local cluster). */
const FILES_MAX = 256;
/** How long a delivery waits for its send: more than two processes' clock origins differ by. */
export const REORDER_WINDOW_US = 20_000;
/** A send not delivered or dropped after this long is forgotten (a later delivery is unpaired). */
export const PAIR_HORIZON_US = 120_000_000;
/** A copy (the transport's copyDelayMs) delivered this long after the first is unpaired. */
export const DUPLICATE_HORIZON_US = 30_000_000;
/** Ids stay within what replay's message columns hold (Int32). */
const MESSAGE_ID_MAX = 0x7fffffff;

type Fields = Record<string, unknown> & { t: number; type: string };

/** One event of an input. */
interface Entry {
  event: Fields;
  /** The line's wallUs, made nondecreasing within its file. */
  wallUs: number;
  lineNo: number;
}

interface Source {
  path: string;
  /** "NAME: " for messages, or "". */
  label: string;
  reader: LineReader;
  /** The last wallUs read from this file (it never goes back within a file). */
  lastWallUs: number;
  /** The merged time of the last event taken from this file (file order is kept). */
  lastTakenUs: number;
  /** Torn lines skipped. */
  torn: number;
}

/**
 * Merges per-process traces onto one time line into `out`: by wallUs (ties: input order, then
 * line order), t = wallUs − the driver's run.start wallUs, events before it CLAMPED to t = 0
 * (kept, after run.start), wallUs removed but on run.start, run.start first (mode 'real'),
 * run.summary and run.end last (run.end.events = the merged count), message ids unique and
 * paired causally (top of this file). `driver` is the driver's trace, `others` the servers'.
 * Throws a located UserError for bad input; `out` is only written when the merge succeeds.
 */
export async function mergeTraces(driver: string | MergeInput, others: readonly (string | MergeInput)[], out: string): Promise<MergeResult> {
  const inputs = [driver, ...others].map((x) => (typeof x === 'string' ? { path: x } : x));
  checkInputs(inputs, out);
  const senders = await scanSenders(inputs);
  const sources: Source[] = [];
  const temp = `${out}.merging`;
  let writer: TraceWriter | null = null;
  try {
    for (const input of inputs) sources.push(await openSource(input));
    try {
      writer = new TraceWriter(temp);
    } catch (err) {
      throw new UserError(`${out}: cannot write the merged trace (${(err as NodeJS.ErrnoException).code ?? 'error'}); expected a writable path`);
    }
    const result = await mergeSources(sources, senders, writer);
    writer.close();
    await rename(temp, out);
    return result;
  } catch (err) {
    if (writer !== null) {
      writer.close();
      await rm(temp, { force: true });
    }
    throw err;
  } finally {
    for (const s of sources) await s.reader.close();
  }
}

function checkInputs(inputs: readonly MergeInput[], out: string): void {
  if (inputs.length > FILES_MAX) throw new UserError(`merge: ${inputs.length} traces; expected at most ${FILES_MAX}`);
  const seen = new Set<string>();
  for (const input of inputs) {
    assertReadable(input.path);
    const full = resolve(input.path);
    if (seen.has(full)) throw new UserError(`${input.path}: given twice; expected each process's trace once`);
    seen.add(full);
  }
  if (seen.has(resolve(out))) throw new UserError(`${out}: is also an input; expected the merged trace to go to a new file`);
}

async function openSource(input: MergeInput): Promise<Source> {
  const label = input.name === undefined ? '' : `${input.name}: `;
  return { path: input.path, label, reader: await LineReader.open(input.path), lastWallUs: 0, lastTakenUs: 0, torn: 0 };
}

/**
 * What the merge must know of senders before it starts: which machines' sends are traced at
 * all (a delivery from any other never waits for a send), and when each one's message numbers
 * start again at a restart (so a delivery is not paired with a send of an older incarnation).
 * One pass over every file; it also finds every bad line before anything is written.
 */
class SenderIndex {
  private readonly lastId = new Map<string, number>();
  /** Per sender, the wallUs of the first send of each incarnation after the first, ascending. */
  private readonly restarts = new Map<string, number[]>();

  noteSend(from: string, id: number, wallUs: number): void {
    const last = this.lastId.get(from);
    if (last !== undefined && id <= last) {
      const list = this.restarts.get(from);
      if (list === undefined) this.restarts.set(from, [wallUs]);
      else list.push(wallUs);
    }
    this.lastId.set(from, id);
  }

  traced(from: string): boolean {
    return this.lastId.has(from);
  }

  /** Did `from` start numbering again in (afterUs, upToUs]? */
  restartedIn(from: string, afterUs: number, upToUs: number): boolean {
    const list = this.restarts.get(from);
    if (list === undefined) return false;
    // First restart after afterUs (binary search: the list is ascending).
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (list[mid]! <= afterUs) lo = mid + 1;
      else hi = mid;
    }
    return lo < list.length && list[lo]! <= upToUs;
  }
}

async function scanSenders(inputs: readonly MergeInput[]): Promise<SenderIndex> {
  const index = new SenderIndex();
  for (const input of inputs) {
    const source = await openSource(input);
    try {
      // Bound: one pass over the file.
      for (let entry = await nextEntry(source); entry !== null; entry = await nextEntry(source)) {
        const e = entry.event;
        // The sender of a traced send is the machine whose file holds it (RealMachine traces its own).
        if (e.type === 'msg.send') index.noteSend(e.from as string, e.id as number, entry.wallUs);
      }
    } finally {
      await source.reader.close();
    }
  }
  return index;
}

/**
 * The causal k-way merge. Each step takes, of the files' next events, the earliest by wallUs
 * (ties: the earlier input), raised to the last time taken from its file. A delivery or drop
 * with no send to pair with yet waits, holding back its file, until its send is taken (then it
 * is taken at the send's time at the earliest) or every file not waiting is REORDER_WINDOW_US
 * past it (then it pairs with what it can, or with nothing).
 */
async function mergeSources(sources: readonly Source[], senders: SenderIndex, writer: TraceWriter): Promise<MergeResult> {
  const driver = sources[0]!;
  const start = await nextEntry(driver);
  if (start === null || start.event.type !== 'run.start') {
    throw new UserError(locate(driver.path, `${driver.label}expected the driver's trace to start with run.start`, { line: start?.lineNo ?? 1 }));
  }
  const output = new MergedOutput(writer, start.wallUs);
  output.writeStart(start.event);
  const ids = new MessageIds(senders);
  const heads: (Entry | null)[] = [];
  for (const s of sources) heads.push(await nextEntry(s));
  const end = new DriverEnd(driver);
  for (;;) {
    // Bound: every step takes one line of one file.
    let ready = -1;
    let readyUs = Infinity;
    let waiting = -1;
    let waitingUs = Infinity;
    for (let i = 0; i < heads.length; i++) {
      const h = heads[i]!;
      if (h === null) continue;
      const us = Math.max(h.wallUs, sources[i]!.lastTakenUs);
      const sentUs = ids.sentUs(h);
      if (sentUs === null) {
        if (us < waitingUs) [waiting, waitingUs] = [i, us];
      } else if (Math.max(us, sentUs) < readyUs) [ready, readyUs] = [i, Math.max(us, sentUs)];
    }
    if (ready < 0 && waiting < 0) break;
    const expire = waiting >= 0 && (ready < 0 || waitingUs + REORDER_WINDOW_US < readyUs);
    const i = expire ? waiting : ready;
    const us = expire ? waitingUs : readyUs;
    const entry = heads[i]!;
    const source = sources[i]!;
    source.lastTakenUs = us;
    heads[i] = await nextEntry(source);
    if (i === 0) {
      if (end.take(entry)) continue;
    } else if (entry.event.type === 'run.start' || entry.event.type === 'run.summary' || entry.event.type === 'run.end') {
      throw new UserError(locate(source.path, `${source.label}${entry.event.type} in a server's trace; expected it only in the driver's (the first input)`, { line: entry.lineNo }));
    }
    ids.renumber(entry, us);
    output.write(entry, us);
  }
  if (end.summary !== null) output.write(end.summary, end.summary.wallUs);
  if (end.end !== null) {
    end.end.event.events = output.written + 1; // run.end counts itself, as a simulated run's does
    output.write(end.end, end.end.wallUs);
  }
  return {
    events: output.written,
    firstWallUs: start.wallUs,
    lastWallUs: start.wallUs + output.lastT,
    files: sources.length,
    skippedTornLines: sources.reduce((n, s) => n + s.torn, 0),
    clampedEarlyEvents: output.clampedEarly,
    messages: { sends: ids.sends, moved: ids.moved, unpaired: ids.unpaired, duplicates: ids.duplicates, unended: ids.unended },
    complete: end.summary !== null && end.end !== null,
  };
}

/** The driver's closing events, held back so they are written last. */
class DriverEnd {
  summary: Entry | null = null;
  end: Entry | null = null;

  constructor(private readonly driver: Source) {}

  /** True when the entry is run.summary or run.end (held); throws on events out of place. */
  take(entry: Entry): boolean {
    const type = entry.event.type;
    const fail = (what: string): never => {
      throw new UserError(locate(this.driver.path, `${this.driver.label}${what}`, { line: entry.lineNo }));
    };
    if (this.end !== null) fail(`${type} after run.end; expected run.end to be the last line`);
    if (type === 'run.start') fail('a second run.start; expected one, on the first line');
    if (type === 'run.end') {
      this.end = entry;
      return true;
    }
    if (this.summary !== null) fail(`${type} after run.summary; expected only run.end to follow it`);
    if (type === 'run.summary') {
      this.summary = entry;
      return true;
    }
    return false;
  }
}

interface SendRecord {
  id: number;
  /** Merged time of the send. */
  sentUs: number;
  /** Merged time of the first delivery or drop, or null while the message is open. */
  endedUs: number | null;
}

/**
 * New message ids. Every msg.send gets the next id; a delivery or drop of (from, id) takes the
 * id of the latest send of (from, id), unless that send is of an older incarnation of the sender
 * than the delivery may be, or there is none yet while the sender traces its sends: then it
 * waits (sentUs null) for the send. A second delivery of a delivered message is a copy.
 */
class MessageIds {
  sends = 0;
  moved = 0;
  unpaired = 0;
  duplicates = 0;
  private forgotten = 0;
  /** (from, id) → the latest send, in insertion (time) order; delivered ones move to `ended`. */
  private readonly open = new Map<string, SendRecord>();
  private readonly ended = new Map<string, SendRecord>();
  private nextId = 1;

  constructor(private readonly senders: SenderIndex) {}

  /** Sends never delivered or dropped in any trace. */
  get unended(): number {
    return this.open.size + this.forgotten;
  }

  /**
   * The earliest merged time the head may be taken at for its send: the send's time for a
   * delivery or drop that pairs with one, 0 for other events and unpairable deliveries, null
   * while it waits for a send.
   */
  sentUs(h: Entry): number | null {
    const e = h.event;
    if (e.type !== 'msg.deliver' && e.type !== 'msg.drop') return 0;
    const from = e.from as string;
    const send = this.latest(messageKey(e));
    if (send !== undefined) {
      // A restart of the sender between that send and this delivery (within the window): the
      // delivery may be of the new incarnation's message of the same number, still to come.
      if (this.senders.restartedIn(from, send.sentUs, h.wallUs + REORDER_WINDOW_US)) return null;
      return send.endedUs === null ? send.sentUs : 0;
    }
    return this.senders.traced(from) ? null : 0;
  }

  /** Rewrites the id of an event being taken at merged time `us`. */
  renumber(entry: Entry, us: number): void {
    const e = entry.event;
    this.forget(this.open, us - PAIR_HORIZON_US, true);
    this.forget(this.ended, us - DUPLICATE_HORIZON_US, false);
    if (e.type === 'msg.send') {
      const key = messageKey(e);
      // A later send of the same (from, id) is the sender's next incarnation: it takes over.
      if (this.open.delete(key)) this.forgotten++;
      this.ended.delete(key);
      e.id = this.take();
      this.open.set(key, { id: e.id as number, sentUs: us, endedUs: null });
      this.sends++;
      return;
    }
    if (e.type !== 'msg.deliver' && e.type !== 'msg.drop') return;
    const key = messageKey(e);
    const send = this.latest(key);
    if (send === undefined) {
      e.id = this.take();
      this.unpaired++;
      return;
    }
    e.id = send.id;
    if (send.endedUs !== null) {
      this.duplicates++;
      return;
    }
    if (send.sentUs > entry.wallUs) this.moved++;
    send.endedUs = us;
    this.open.delete(key);
    this.ended.set(key, send);
  }

  private latest(key: string): SendRecord | undefined {
    return this.open.get(key) ?? this.ended.get(key);
  }

  private take(): number {
    assert(this.nextId <= MESSAGE_ID_MAX, 'merged message ids fit replay columns');
    return this.nextId++;
  }

  /** Drops records older than `limitUs` (maps are in insertion order, which is time order). */
  private forget(map: Map<string, SendRecord>, limitUs: number, countForgotten: boolean): void {
    for (const [key, v] of map) {
      if ((v.endedUs ?? v.sentUs) >= limitUs) break;
      map.delete(key);
      if (countForgotten) this.forgotten++;
    }
  }
}

/** Writes events with `t` rebased to the driver's run.start and `wallUs` removed. */
class MergedOutput {
  written = 0;
  lastT = 0;
  clampedEarly = 0;

  constructor(
    private readonly writer: TraceWriter,
    private readonly baseWallUs: number,
  ) {}

  writeStart(event: Fields): void {
    assert(this.written === 0, 'run.start is written first');
    // t = 0 is this wall-clock instant; the field is kept here (only here) to say so.
    const { wallUs, ...rest } = event;
    this.emit({ ...rest, t: 0, mode: 'real', wallUs } as Fields);
  }

  /** Writes an event at merged time `us` (wall-clock µs; never before what was written). */
  write(entry: Entry, us: number): void {
    const { wallUs: _dropped, ...event } = entry.event;
    void _dropped;
    if (entry.wallUs < this.baseWallUs) this.clampedEarly++;
    event.t = Math.max(this.lastT, us - this.baseWallUs, 0);
    this.emit(event as Fields);
  }

  private emit(event: Fields): void {
    assert(Number.isSafeInteger(event.t) && event.t >= this.lastT, () => `merged times never go back (${event.t} after ${this.lastT})`);
    this.lastT = event.t;
    this.written++;
    // The fields were checked where the line was read (a parse boundary): t, type, message ids.
    this.writer.write(event as unknown as TraceEvent);
  }
}

function messageKey(e: Fields): string {
  return `${String(e.from)}\u0000${String(e.id)}`;
}

// ------------------------------------------------------------------------------------- reading

/** The next event of a file, or null at its end (a torn final line is skipped and counted). */
async function nextEntry(source: Source): Promise<Entry | null> {
  for (;;) {
    // Bound: every pass consumes one line.
    const text = await source.reader.read();
    if (text === null) return null;
    if (text.trim() === '') continue;
    const lineNo = source.reader.lineNo;
    let value = parseJson(text);
    if (value === undefined) {
      value = gluedTail(text);
      if (value !== undefined) source.torn++;
      else if (await source.reader.restIsBlank()) {
        source.torn++;
        return null;
      } else {
        throw new UserError(locate(source.path, `${source.label}expected a JSON object (one trace event per line); only the last line of a killed process's trace may be cut short`, { line: lineNo }));
      }
    }
    const event = checkEvent(source, lineNo, value);
    const wallUs = Math.max(source.lastWallUs, event.wallUs as number);
    source.lastWallUs = wallUs;
    return { event, wallUs, lineNo };
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A line cut by a kill, then the next incarnation's first line: that line's event, if whole. */
function gluedTail(text: string): unknown {
  // Every event is written with `t` first (TraceFile: the event as built, `{ t, type, ... }`).
  for (let at = text.indexOf('{"t":', 1); at > 0; at = text.indexOf('{"t":', at + 1)) {
    const value = parseJson(text.slice(at));
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && 'wallUs' in value) return value;
  }
  return undefined;
}

/** The checks the merge relies on; a value from JSON.parse, validated before use. */
function checkEvent(source: Source, lineNo: number, value: unknown): Fields {
  const fail = (what: string): never => {
    throw new UserError(locate(source.path, `${source.label}${what}`, { line: lineNo }));
  };
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return fail('expected a JSON object (one trace event per line)');
  const e = value as Record<string, unknown>;
  if (typeof e.t !== 'number' || !Number.isInteger(e.t) || e.t < 0) fail('expected field "t": integer microseconds >= 0');
  if (typeof e.type !== 'string' || e.type === '') fail('expected field "type": an event type such as "msg.send"');
  if (typeof e.wallUs !== 'number' || !Number.isSafeInteger(e.wallUs) || e.wallUs <= 0) {
    fail('expected field "wallUs": the wall-clock microseconds since the epoch that every line of a real trace carries (src/real/trace.ts)');
  }
  if (e.type === 'msg.send' || e.type === 'msg.deliver' || e.type === 'msg.drop') {
    if (typeof e.id !== 'number' || !Number.isSafeInteger(e.id) || e.id < 0) fail(`expected field "id" of ${e.type}: the sender's message number, an integer >= 0`);
    if (typeof e.from !== 'string' || typeof e.to !== 'string') fail(`expected fields "from" and "to" of ${e.type}: machine ids`);
  }
  return e as Fields;
}

/** Physical lines of a file, read a chunk at a time ('\n' ends a line; a trailing '\r' is cut). */
class LineReader {
  lineNo = 0;
  private lines: string[] = [];
  private next = 0;
  private carry: Buffer = Buffer.alloc(0);
  private eof = false;

  private constructor(
    private readonly path: string,
    private readonly handle: FileHandle,
  ) {}

  static async open(path: string): Promise<LineReader> {
    try {
      return new LineReader(path, await open(path, 'r'));
    } catch (err) {
      throw new UserError(`${path}: cannot read the trace (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }

  /** The next line, or null at the end of the file. */
  async read(): Promise<string | null> {
    while (this.next >= this.lines.length) {
      // Bound: each fill reads a chunk or reaches the end.
      if (this.eof) return null;
      await this.fill();
    }
    this.lineNo++;
    return this.lines[this.next++]!;
  }

  /** True when nothing but blank lines is left (consumes the rest). */
  async restIsBlank(): Promise<boolean> {
    for (let line = await this.read(); line !== null; line = await this.read()) if (line.trim() !== '') return false;
    return true;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }

  private async fill(): Promise<void> {
    this.lines = [];
    this.next = 0;
    const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    const { bytesRead } = await this.handle.read(chunk, 0, CHUNK_BYTES, null);
    if (bytesRead === 0) {
      this.eof = true;
      // A last line without '\n': often the partial line of a killed process.
      if (this.carry.length > 0) this.lines.push(cutCr(this.carry.toString('utf8')));
      this.carry = Buffer.alloc(0);
      return;
    }
    const data = this.carry.length === 0 ? chunk.subarray(0, bytesRead) : Buffer.concat([this.carry, chunk.subarray(0, bytesRead)]);
    // Decode whole lines only, so a multi-byte character is never cut in two.
    const lastNewline = data.lastIndexOf(0x0a);
    if (lastNewline < 0) {
      if (data.length > LINE_MAX_BYTES) throw new UserError(locate(this.path, `a line longer than ${LINE_MAX_BYTES} bytes; expected one trace event per line`, { line: this.lineNo + 1 }));
      this.carry = Buffer.from(data);
      return;
    }
    for (const line of data.toString('utf8', 0, lastNewline).split('\n')) this.lines.push(cutCr(line));
    this.carry = Buffer.from(data.subarray(lastNewline + 1));
  }
}

function cutCr(line: string): string {
  return line.charCodeAt(line.length - 1) === 13 ? line.slice(0, -1) : line;
}
