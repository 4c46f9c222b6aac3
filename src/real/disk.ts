// FileDisk: the simulated disk's contract (src/sim/disk.ts) on files in a data directory.
//
//   get(key)            the latest value this machine wrote (pending writes included);
//   keys(prefix)        keys as this machine sees them, sorted;
//   write(ops, cb?)     visible to get/keys at once; durable, in issue order, after an fsync;
//                       `cb` runs only once the write is durable, callbacks in issue order.
//
// Shape: every key lives in memory (`view`: what the machine sees; `durable`: what the files
// hold after the last fsync). Writes are appended to a write-ahead log, one checksummed record
// (wal.ts) per *commit group*: every write issued in one turn of the event loop, plus everything
// issued while the previous group's fdatasync was in flight, is written with one writeSync and
// made durable with one fdatasync (group commit). Nothing is appended while an fdatasync is in
// flight, so after a power loss only the last record can be torn — and a torn last record is
// cut off at start-up and reported, while a bad record with valid data after it refuses to
// start (CorruptFileError names the file and the byte offset).
//
// Files (generation g, 12 digits):  log.g  write groups after snapshot g's state
//                                   snap.g the whole durable state of every log before g
// Compaction cuts a new log when the current one is large (at least `compactLogMinBytes` and at
// least the last snapshot's size, so rewriting costs O(1) per byte logged): with nothing in
// flight it creates log.(g+1) (and fsyncs the directory), sends new groups there, and writes the
// durable state of that instant to snap.(g+1).tmp, fsync, rename, fsync the directory; then
// deletes the older files. Recovery = newest snapshot, then every log from its generation on.
// A crash at any step leaves either the old snapshot with both logs or the new one.
//
// Values are checked by codec.checkPlain (on by default) and kept by reference, like the
// simulated disk: the store never mutates a value after writing it (raft/messages.ts), which
// also lets a snapshot be written from a shallow copy while the store keeps going.
import {
  closeSync,
  fdatasync,
  fsync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { DiskOp, DiskView } from '../sim/disk.js';
import { AssertionError, assert } from '../base/assert.js';
import { UserError } from '../base/errors.js';
import { checkPlain, decodeValue, encodeValue } from './codec.js';
import { CorruptFileError, encodeRecord, scanRecords } from './wal.js';

/** The part of the simulated disk the store uses: what FileDisk implements. */
export type StoreDisk = DiskView;

export interface FileDiskOptions {
  /** Compact once the log holds at least this many bytes (and at least the last snapshot's size). */
  compactLogMinBytes: number;
  /** Check every written value with checkPlain (an assertion at the persistence boundary). */
  checkValues: boolean;
  /** Runs an onDurable callback; a machine drops it once its process is gone. */
  runCallback: (fn: () => void) => void;
  /** A write or fsync failed: nothing more can be promised (default: throw, ending the process). */
  onFatal: (err: Error) => void;
  /** Initial value of `fsyncDelayMs`. */
  fsyncDelayMs: number;
}

export const DEFAULT_FILE_DISK: FileDiskOptions = {
  compactLogMinBytes: 64 * 1024 * 1024,
  checkValues: true,
  runCallback: (fn) => fn(),
  onFatal: (err) => {
    throw err;
  },
  fsyncDelayMs: 0,
};

/** What start-up found, for the caller to log. */
export interface DiskRecovery {
  dir: string;
  snapshot: { file: string; keys: number; bytes: number } | null;
  logs: { file: string; records: number; bytes: number }[];
  /** A torn last record, cut off: a crash interrupted its write (never acknowledged). */
  tornTail: { file: string; offsetBytes: number; droppedBytes: number; reason: string } | null;
  /** Leftovers deleted: unfinished snapshots, files an earlier compaction superseded. */
  removedFiles: string[];
  keys: number;
  durationUs: number;
}

export interface FileDiskStats {
  writesIssued: number;
  writesDurable: number;
  fsyncs: number;
  /** Most writes that shared one fsync. */
  groupWritesMax: number;
  bytesWritten: number;
  compactions: number;
  /** Time spent in fdatasync of the log (the injected delay not included), µs. */
  fsyncUsTotal: number;
}

interface PendingWrite {
  ops: readonly DiskOp[];
  onDurable: (() => void) | undefined;
}

type DiskState = 'open' | 'closing' | 'closed' | 'crashed' | 'failed';

/** Bound on writes in one commit group; the rest wait for the next fsync. */
const GROUP_WRITES_MAX = 10_000;
/** Keys per snapshot record (bounds a record's size and the time between yields). */
const SNAPSHOT_CHUNK_KEYS = 4096;
/** Bound on one data file: it is read whole at start-up. */
const FILE_BYTES_MAX = 2 * 1024 * 1024 * 1024 - 1;
const GEN_DIGITS = 12;
const LOCK_FILE = 'LOCK';

const logName = (gen: number) => `log.${String(gen).padStart(GEN_DIGITS, '0')}`;
const snapName = (gen: number) => `snap.${String(gen).padStart(GEN_DIGITS, '0')}`;
const FILE_PATTERN = /^(log|snap)\.(\d{12})(\.tmp)?$/;

export class FileDisk implements StoreDisk {
  /** Extra delay before every fsync (a slow disk, for tests and the slow-disk fault). */
  fsyncDelayMs: number;
  readonly stats: FileDiskStats = { writesIssued: 0, writesDurable: 0, fsyncs: 0, groupWritesMax: 0, bytesWritten: 0, compactions: 0, fsyncUsTotal: 0 };

  private readonly view: Map<string, unknown>;
  private readonly durable: Map<string, unknown>;
  private unflushed: PendingWrite[] = [];
  private inFlight: PendingWrite[] | null = null;
  private flushScheduled = false;
  private state: DiskState = 'open';
  private logFd: number;
  private logBytes: number;
  private snapshotBytes: number;
  private compaction: Promise<void> | null = null;
  private idleWaiters: { resolve: () => void; reject: (err: Error) => void }[] = [];
  private closing: Promise<void> | null = null;
  private failure: Error | null = null;

  private constructor(
    readonly dir: string,
    private gen: number,
    durable: Map<string, unknown>,
    logFd: number,
    logBytes: number,
    snapshotBytes: number,
    private readonly options: FileDiskOptions,
  ) {
    this.durable = durable;
    this.view = new Map(durable);
    this.logFd = logFd;
    this.logBytes = logBytes;
    this.snapshotBytes = snapshotBytes;
    this.fsyncDelayMs = options.fsyncDelayMs;
  }

  /**
   * Opens (creating if needed) the data directory and recovers its durable state. Throws
   * CorruptFileError for damage that is not a torn tail, UserError when another live process
   * holds the directory.
   */
  static open(dir: string, options: Partial<FileDiskOptions> = {}): { disk: FileDisk; recovery: DiskRecovery } {
    const opts: FileDiskOptions = { ...DEFAULT_FILE_DISK, ...options };
    assert(opts.compactLogMinBytes > 0, 'compactLogMinBytes must be positive');
    const startNs = process.hrtime.bigint();
    mkdirSync(dir, { recursive: true });
    takeLock(dir);
    try {
      return FileDisk.recover(dir, opts, startNs);
    } catch (err) {
      releaseLock(dir); // refusing to start leaves the directory to whoever repairs it
      throw err;
    }
  }

  private static recover(dir: string, opts: FileDiskOptions, startNs: bigint): { disk: FileDisk; recovery: DiskRecovery } {
    const recovery: DiskRecovery = { dir, snapshot: null, logs: [], tornTail: null, removedFiles: [], keys: 0, durationUs: 0 };
    const { snaps, logs } = listFiles(dir, recovery);
    const base = snaps.length > 0 ? snaps[snaps.length - 1]! : 1;
    const durable = new Map<string, unknown>();
    let snapshotBytes = 0;
    if (snaps.length > 0) {
      const file = join(dir, snapName(base));
      snapshotBytes = loadSnapshot(file, base, durable);
      recovery.snapshot = { file, keys: durable.size, bytes: snapshotBytes };
    }
    // Files an earlier compaction superseded (it crashed before deleting them).
    for (const g of snaps) if (g < base) removeFile(dir, snapName(g), recovery);
    for (const g of logs) if (g < base) removeFile(dir, logName(g), recovery);
    const live = logs.filter((g) => g >= base);
    if (live.length === 0 && snaps.length > 0) throw new UserError(`${join(dir, logName(base))}: missing (snapshot ${snapName(base)} is followed by no log); refusing to start`);
    if (live.length > 0 && live[0] !== base) throw new UserError(`${join(dir, logName(live[0]!))}: no snapshot covers the logs before it (expected ${logName(base)}); refusing to start`);
    for (let i = 1; i < live.length; i++) {
      if (live[i] !== live[i - 1]! + 1) throw new UserError(`${join(dir, logName(live[i - 1]! + 1))}: missing between ${logName(live[i - 1]!)} and ${logName(live[i]!)}; refusing to start`);
    }
    let logBytes = 0;
    for (let i = 0; i < live.length; i++) {
      const file = join(dir, logName(live[i]!));
      const last = i === live.length - 1;
      const r = replayLog(file, durable, last);
      recovery.logs.push({ file, records: r.records, bytes: r.validBytes });
      if (r.tail !== null) {
        // Only the newest log can end torn (wal.ts): cut it so new records follow valid ones.
        const fd = openSync(file, 'r+');
        ftruncateSync(fd, r.validBytes);
        fsyncSync(fd);
        closeSync(fd);
        recovery.tornTail = { file, offsetBytes: r.tail.offsetBytes, droppedBytes: r.tail.droppedBytes, reason: r.tail.reason };
      }
      if (last) logBytes = r.validBytes;
    }
    const gen = live.length > 0 ? live[live.length - 1]! : base;
    const logPath = join(dir, logName(gen));
    const logFd = openSync(logPath, 'a');
    if (live.length === 0) fsyncDir(dir); // the new log's name must survive before anything in it is acknowledged
    recovery.keys = durable.size;
    recovery.durationUs = Number((process.hrtime.bigint() - startNs) / 1000n);
    return { disk: new FileDisk(dir, gen, durable, logFd, logBytes, snapshotBytes, opts), recovery };
  }

  // ------------------------------------------------------------------ the Disk contract

  /** The latest value of a key as this machine sees it (pending writes included). */
  get(key: string): unknown {
    return this.view.get(key);
  }

  /** Keys with a prefix as this machine sees them (pending writes and deletes applied), sorted. */
  keys(prefix: string): string[] {
    const out: string[] = [];
    for (const key of this.view.keys()) if (key.startsWith(prefix)) out.push(key);
    return out.sort();
  }

  /** Durable keys with a prefix, in insertion order (pending writes are not listed). */
  durableKeys(prefix: string): string[] {
    const out: string[] = [];
    for (const key of this.durable.keys()) if (key.startsWith(prefix)) out.push(key);
    return out;
  }

  /** Queues a batch (atomic: after a crash all of it or none); `onDurable` runs once it is durable. */
  write(ops: DiskOp[], onDurable?: () => void): void {
    if (this.state === 'failed') throw this.failure ?? new AssertionError('disk failed');
    assert(this.state === 'open' || this.state === 'closing', () => `write to a ${this.state} disk (${this.dir})`);
    for (const op of ops) {
      assert(typeof op.key === 'string', 'disk keys are strings');
      if (op.value !== undefined && this.options.checkValues) checkPlain(op.value, `disk write of ${op.key}`);
    }
    for (const op of ops) {
      if (op.value === undefined) this.view.delete(op.key);
      else this.view.set(op.key, op.value);
    }
    this.unflushed.push({ ops, onDurable });
    this.stats.writesIssued++;
    this.scheduleFlush();
  }

  get pendingWrites(): number {
    return this.unflushed.length + (this.inFlight?.length ?? 0);
  }

  // ------------------------------------------------------------------ group commit

  /** One flush per turn: writes issued anywhere in this turn of the event loop join the group. */
  private scheduleFlush(): void {
    if (this.flushScheduled || this.inFlight !== null) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.inFlight !== null || this.unflushed.length === 0) return;
    if (this.state !== 'open' && this.state !== 'closing') return;
    let group: PendingWrite[];
    if (this.unflushed.length <= GROUP_WRITES_MAX) {
      group = this.unflushed;
      this.unflushed = [];
    } else {
      group = this.unflushed.slice(0, GROUP_WRITES_MAX);
      this.unflushed = this.unflushed.slice(GROUP_WRITES_MAX);
    }
    this.inFlight = group;
    try {
      const record = encodeRecord(groupPayload(group));
      writeAll(this.logFd, record);
      this.logBytes += record.length;
      this.stats.bytesWritten += record.length;
    } catch (err) {
      return this.fail(err);
    }
    const fd = this.logFd;
    const sync = () => {
      const startNs = process.hrtime.bigint();
      fdatasync(fd, (err) => {
        this.stats.fsyncUsTotal += Number((process.hrtime.bigint() - startNs) / 1000n);
        this.synced(group, err);
      });
    };
    if (this.fsyncDelayMs > 0) setTimeout(sync, this.fsyncDelayMs);
    else sync();
  }

  private synced(group: PendingWrite[], err: Error | null): void {
    if (this.state === 'crashed' || this.state === 'failed') return;
    if (err !== null) return this.fail(err);
    assert(this.inFlight === group, 'fsync completions come back in issue order');
    this.stats.fsyncs++;
    if (group.length > this.stats.groupWritesMax) this.stats.groupWritesMax = group.length;
    for (const w of group) {
      for (const op of w.ops) {
        if (op.value === undefined) this.durable.delete(op.key);
        else this.durable.set(op.key, op.value);
      }
    }
    this.inFlight = null;
    // Nothing is in flight: the only moment the log can be cut (see the top comment).
    if (this.compactionDue()) this.startCompaction();
    for (const w of group) {
      this.stats.writesDurable++;
      if (w.onDurable !== undefined) this.options.runCallback(w.onDurable);
    }
    if (this.unflushed.length > 0) this.scheduleFlush();
    else this.wakeIdle();
  }

  private wakeIdle(): void {
    if (this.inFlight !== null || this.unflushed.length > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w.resolve();
  }

  /** Resolves once every write issued so far is durable. */
  private idle(): Promise<void> {
    if (this.inFlight === null && this.unflushed.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.idleWaiters.push({ resolve, reject });
      if (this.inFlight === null) this.flush();
    });
  }

  private fail(err: unknown): void {
    const error = err instanceof Error ? err : new Error(String(err));
    this.state = 'failed';
    this.failure = error;
    try {
      closeSync(this.logFd);
    } catch {
      // already unusable
    }
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w.reject(error);
    this.options.onFatal(error);
  }

  // ------------------------------------------------------------------ compaction

  private compactionDue(): boolean {
    return this.compaction === null && this.state === 'open' && this.logBytes >= this.options.compactLogMinBytes && this.logBytes >= this.snapshotBytes;
  }

  /** Cuts the log and snapshots the durable state now; called only with nothing in flight. */
  private startCompaction(): void {
    assert(this.inFlight === null && this.compaction === null, 'compaction starts with nothing in flight, one at a time');
    const gen = this.gen + 1;
    const fd = openSync(join(this.dir, logName(gen)), 'ax');
    fsyncDir(this.dir);
    closeSync(this.logFd);
    this.logFd = fd;
    this.gen = gen;
    this.logBytes = 0;
    const entries = [...this.durable];
    this.compaction = this.writeSnapshot(gen, entries).then(
      () => {
        this.compaction = null;
      },
      (err: unknown) => {
        this.compaction = null;
        if (this.state !== 'crashed') this.fail(err);
      },
    );
  }

  private async writeSnapshot(gen: number, entries: [string, unknown][]): Promise<void> {
    const tmp = join(this.dir, `${snapName(gen)}.tmp`);
    const fd = openSync(tmp, 'w');
    let bytes = 0;
    try {
      const put = (payload: string) => {
        const record = encodeRecord(payload);
        writeAll(fd, record);
        bytes += record.length;
      };
      put(encodeValue({ snapshot: gen, keys: entries.length }));
      // Bound: ceil(keys / SNAPSHOT_CHUNK_KEYS) chunks; the store runs between them.
      for (let i = 0; i < entries.length; i += SNAPSHOT_CHUNK_KEYS) {
        put(encodeValue(entries.slice(i, i + SNAPSHOT_CHUNK_KEYS)));
        await nextTurn();
        if (this.state === 'crashed') return;
      }
      put(encodeValue({ end: gen, keys: entries.length }));
      await new Promise<void>((resolve, reject) => fsync(fd, (err) => (err === null ? resolve() : reject(err))));
    } finally {
      closeSync(fd);
    }
    if (this.state === 'crashed') return;
    renameSync(tmp, join(this.dir, snapName(gen)));
    fsyncDir(this.dir);
    this.snapshotBytes = bytes;
    this.stats.compactions++;
    for (const name of readdirSync(this.dir)) {
      const m = FILE_PATTERN.exec(name);
      if (m !== null && m[3] === undefined && Number(m[2]) < gen) unlinkSync(join(this.dir, name));
    }
  }

  /** Cuts the log and writes a snapshot now (tests; a clean shutdown may call it). */
  async compact(): Promise<void> {
    assert(this.state === 'open', () => `compact a ${this.state} disk`);
    if (this.compaction !== null) await this.compaction;
    await this.idle();
    if (this.compaction === null && this.inFlight === null) this.startCompaction();
    if (this.compaction !== null) await this.compaction;
  }

  // ------------------------------------------------------------------ shutdown

  /** Flushes everything pending (fsync'd, callbacks run through runCallback), then closes. */
  close(): Promise<void> {
    if (this.closing !== null) return this.closing;
    if (this.state !== 'open') return Promise.resolve(); // crashed or failed: nothing left to flush
    this.state = 'closing';
    this.closing = (async () => {
      await this.idle();
      // Bound: a compaction starts only while open, so at most one is waited for here.
      while (this.compaction !== null) {
        await this.compaction;
        await this.idle();
      }
      closeSync(this.logFd);
      releaseLock(this.dir);
      this.state = 'closed';
    })();
    return this.closing;
  }

  /**
   * Stops like a killed process: nothing more is written or fsync'd and no callback runs; what
   * already reached the file stays there (a process crash keeps the page cache). Returns how
   * many writes never saw their callback. The lock file stays, as after a real crash.
   */
  crash(): number {
    if (this.state === 'crashed' || this.state === 'closed') return 0;
    const lost = this.unflushed.length + (this.inFlight?.length ?? 0);
    const wasFailed = this.state === 'failed';
    this.state = 'crashed';
    this.unflushed = [];
    this.inFlight = null;
    if (!wasFailed) closeSync(this.logFd);
    return lost;
  }

  /** The data files now, for tests and status pages. */
  files(): string[] {
    return readdirSync(this.dir)
      .filter((n) => FILE_PATTERN.test(n))
      .sort();
  }
}

// ------------------------------------------------------------------ helpers (leaf computations)

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** One commit group as a record payload: [[[key, value] | [key], ...] per write, ...]. */
function groupPayload(group: readonly PendingWrite[]): string {
  const writes: unknown[] = [];
  for (const w of group) writes.push(w.ops.map((op) => (op.value === undefined ? [op.key] : [op.key, op.value])));
  return encodeValue(writes);
}

function writeAll(fd: number, buf: Buffer): void {
  let off = 0;
  // Bound: every call writes at least one byte or throws.
  while (off < buf.length) {
    const n = writeSync(fd, buf, off, buf.length - off);
    if (n <= 0) throw new AssertionError(`writeSync wrote ${n} bytes`);
    off += n;
  }
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function removeFile(dir: string, name: string, recovery: DiskRecovery): void {
  unlinkSync(join(dir, name));
  recovery.removedFiles.push(join(dir, name));
}

/** Generations of the snapshot and log files, ascending; unfinished snapshots are removed. */
function listFiles(dir: string, recovery: DiskRecovery): { snaps: number[]; logs: number[] } {
  const snaps: number[] = [];
  const logs: number[] = [];
  for (const name of readdirSync(dir)) {
    const m = FILE_PATTERN.exec(name);
    if (m === null) continue;
    if (m[3] !== undefined) {
      removeFile(dir, name, recovery);
      continue;
    }
    (m[1] === 'log' ? logs : snaps).push(Number(m[2]));
  }
  snaps.sort((a, b) => a - b);
  logs.sort((a, b) => a - b);
  return { snaps, logs };
}

function readDataFile(file: string): Buffer {
  const size = statSync(file).size;
  if (size > FILE_BYTES_MAX) throw new UserError(`${file}: ${size} bytes, more than the ${FILE_BYTES_MAX} a data file may hold; refusing to start`);
  return readFileSync(file);
}

/** Applies one log's write groups to `into`; a torn tail is allowed only in the newest log. */
function replayLog(file: string, into: Map<string, unknown>, newest: boolean): { records: number; validBytes: number; tail: { offsetBytes: number; droppedBytes: number; reason: string } | null } {
  const scan = scanRecords(file, readDataFile(file));
  if (scan.tail !== null && !newest) throw new CorruptFileError(file, scan.tail.offsetBytes, `${scan.tail.reason} in a log that a newer log follows`);
  for (let r = 0; r < scan.payloads.length; r++) {
    const writes = parsePayload(file, scan.offsets[r]!, scan.payloads[r]!);
    if (!Array.isArray(writes)) throw new CorruptFileError(file, scan.offsets[r]!, 'record is not a write group');
    for (const ops of writes) {
      if (!Array.isArray(ops)) throw new CorruptFileError(file, scan.offsets[r]!, 'record holds a write that is not a list of ops');
      for (const op of ops) {
        if (!Array.isArray(op) || typeof op[0] !== 'string' || op.length < 1 || op.length > 2) throw new CorruptFileError(file, scan.offsets[r]!, 'record holds an op that is not [key] or [key, value]');
        if (op.length === 1) into.delete(op[0]);
        else into.set(op[0], op[1]);
      }
    }
  }
  return { records: scan.payloads.length, validBytes: scan.validBytes, tail: scan.tail };
}

/** Loads a snapshot file into `into`; returns its size. Any damage is corruption (it was renamed complete). */
function loadSnapshot(file: string, gen: number, into: Map<string, unknown>): number {
  const buf = readDataFile(file);
  const scan = scanRecords(file, buf);
  if (scan.tail !== null) throw new CorruptFileError(file, scan.tail.offsetBytes, `${scan.tail.reason} in a snapshot (written whole before its rename)`);
  const n = scan.payloads.length;
  const head = n > 0 ? (parsePayload(file, 0, scan.payloads[0]!) as { snapshot?: unknown; keys?: unknown }) : null;
  const end = n > 1 ? (parsePayload(file, scan.offsets[n - 1]!, scan.payloads[n - 1]!) as { end?: unknown; keys?: unknown }) : null;
  if (head === null || head.snapshot !== gen || typeof head.keys !== 'number') throw new CorruptFileError(file, 0, `no snapshot header for generation ${gen}`);
  if (end === null || end.end !== gen || end.keys !== head.keys) throw new CorruptFileError(file, scan.offsets[n - 1] ?? 0, 'no snapshot end record matching the header');
  for (let r = 1; r < n - 1; r++) {
    const chunk = parsePayload(file, scan.offsets[r]!, scan.payloads[r]!);
    if (!Array.isArray(chunk)) throw new CorruptFileError(file, scan.offsets[r]!, 'snapshot record is not a list of entries');
    for (const entry of chunk) {
      if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== 'string') throw new CorruptFileError(file, scan.offsets[r]!, 'snapshot entry is not [key, value]');
      into.set(entry[0], entry[1]);
    }
  }
  if (into.size !== head.keys) throw new CorruptFileError(file, 0, `snapshot holds ${into.size} keys, its header says ${head.keys}`);
  return buf.length;
}

function parsePayload(file: string, offset: number, payload: string): unknown {
  try {
    return decodeValue(payload);
  } catch {
    throw new CorruptFileError(file, offset, 'record payload is not JSON');
  }
}

// ------------------------------------------------------------------ the directory lock

/**
 * One live process per data directory: LOCK holds the owner's pid. A lock left by a dead
 * process (a crash) is taken over; one held by this process is too (tests reopen after crash()).
 */
function takeLock(dir: string): void {
  const path = join(dir, LOCK_FILE);
  try {
    writeFileSync(path, `${process.pid}\n`, { flag: 'wx' });
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const owner = Number(readFileSync(path, 'utf8').trim());
  if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && processAlive(owner)) {
    throw new UserError(`${path}: data directory in use by process ${owner}`);
  }
  writeFileSync(path, `${process.pid}\n`);
}

function releaseLock(dir: string): void {
  try {
    unlinkSync(join(dir, LOCK_FILE));
  } catch {
    // already gone: nothing to release
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
