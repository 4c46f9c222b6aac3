// `kvsim calibrate`: measure a running local cluster (kvsim cluster up --dir DIR) and fit the
// simulator's network and disk models to it, so a scenario can predict this machine.
//
//   calibrate({dir, seconds})
//     ├─ clusterOf           DIR/cluster.json, and which servers answer GET /status
//     ├─ traceOffsets        each server's trace.jsonl size now (the window starts here)
//     ├─ scrapeFsyncs        each server's log fsync counters (GET /metrics), before and after
//     ├─ driveLoad           S seconds of puts and linearizable gets (ClientSession, 2 in flight)
//     ├─ probeFsync          4 KiB append + fdatasync in a temporary file in DIR, N times
//     ├─ readMessages        msg.send / msg.deliver from the traces, paired by (from, id)
//     ├─ oneWayLatencies     deliver wallUs − send wallUs, with each pair's clock offset removed
//     ├─ fitLink / fitDisk   the simulator's parameters (how: at each function)
//     └─ calibrationYaml     the scenario fragment (network: and disk:) with a comment header
//
// Clocks. Every process stamps `wallUs` as the host's monotonic clock plus one wall offset that
// `kvsim cluster up` hands to every server it starts (src/real/clock.ts monoWallOffsetUs), so
// the servers' wallUs agree to the µs (servers started otherwise measure the offset themselves,
// which under load can be several ms off; servers built before that used Date.now(): ±1 ms). What remains is refined per pair of servers that
// exchanged at least PAIR_SAMPLES_MIN messages each way: the offset θ (b's stamp minus a's for
// one instant) by the minimum filter of NTP and Cristian, θ = (min(a→b) − min(b→a)) / 2,
// assuming the fastest hop is as fast both ways; each sample is corrected by it. A thinner pair
// keeps θ = 0 (a minimum over a few samples under load says nothing about the clocks); a pair
// heard only one way is left out.
//
// Message ids are the sender's message numbers, unique per sender process only and restarted
// when a server restarts (src/real/context.ts): a (from, id) seen twice in the window is
// ambiguous and both copies are skipped.
import { closeSync, existsSync, fdatasyncSync, openSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import { randomInt } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { stringify } from 'yaml';
import { UserError } from '../base/errors.js';
import { assert } from '../base/assert.js';
import { formatDurationUs } from '../base/time.js';
import { loadClusterFile, runningServersOf, type ClusterFile, type ServerEntry } from './cluster-file.js';
import { ClientSession } from './client.js';
import { CLUSTER_FILE, fetchStatus, serverDir, sleep } from './local-cluster.js';

export const DEFAULT_CALIBRATE_SECONDS = 3;
/** Bound on --seconds (the load and the traces it leaves both grow with it). */
export const CALIBRATE_SECONDS_MAX = 600;
/** Operations in flight during the load: light, so latency is the network's, not a queue's. */
const LOAD_WORKERS = 2;
/** Keys the load spreads over (every shard gets some). */
const LOAD_KEYS = 256;
/** fsync probe: samples wanted, the record appended each time, and a bound on its time. */
const FSYNC_SAMPLES = 200;
const FSYNC_SAMPLES_MIN = 10;
const FSYNC_RECORD_BYTES = 4096;
const FSYNC_PROBE_BOUND_MS = 1_000;
/** Servers flush their traces at least every second (src/real/trace.ts): wait that, and a bit. */
const TRACE_FLUSH_WAIT_MS = 1_200;
/** Bound on what is read of one trace file after the window starts. */
const TRACE_READ_MAX_BYTES = 256 * 1024 * 1024;
const TRACE_CHUNK_BYTES = 1024 * 1024;
/** Bound on message pairs kept (memory); the window's first ones are used. */
const SAMPLES_MAX = 2_000_000;
/** The fits' search bounds. */
const TAIL_FACTOR_MAX = 1_000;
const TAIL_PROBABILITY_MAX = 0.5;
const FIT_ROUNDS_MAX = 30;
const BISECT_STEPS = 60;

export interface CalibrateOptions {
  dir: string;
  /** Length of the load, in seconds (default 3). */
  seconds?: number;
  /** fsync probe samples (default 200; the probe also stops after 1 s). */
  fsyncSamples?: number;
}

export interface Percentiles {
  count: number;
  minUs: number;
  p50Us: number;
  p90Us: number;
  p99Us: number;
  maxUs: number;
  meanUs: number;
}

/** The simulator's link latency (src/sim/network.ts LinkModel), in µs. */
export interface LinkFit {
  minUs: number;
  meanUs: number;
  jitterUs: number;
  tailProbability: number;
  tailFactor: number;
}

/** The simulator's disk (src/sim/disk.ts DiskModel), in µs. */
export interface DiskFit {
  fsyncMinUs: number;
  fsyncMeanUs: number;
}

/** The scenario fragment: scenario-file keys and values (durations as strings). */
export interface ScenarioFragment {
  network: { latency: { min: string; mean: string; jitter: string; tailProbability: number; tailFactor: number } };
  disk: { fsyncMin: string; fsyncMean: string };
}

export interface Calibration extends ScenarioFragment {
  measured: {
    at: string;
    host: string;
    dir: string;
    seconds: number;
    servers: string[];
    load: { ops: number; ok: number; opP50Ms: number | null };
    /** One-way server→server delivery latency, clock offsets removed. */
    latency: Percentiles & { pairs: { a: string; b: string; offsetUs: number; messages: number }[]; skippedOneWay: number; skippedAmbiguous: number };
    /** The probe: a 4 KiB append and fdatasync in DIR. */
    fsync: Percentiles & { recordBytes: number; servers: { fsyncs: number; meanUs: number | null } };
  };
  /** What the fitted models give for the same percentiles (the fit's quality). */
  fit: { latency: { minUs: number; p50Us: number; p90Us: number; p99Us: number }; fsync: { minUs: number; p50Us: number; p99Us: number; meanUs: number } };
}

export async function calibrate(options: CalibrateOptions): Promise<Calibration> {
  const { dir } = options;
  const seconds = options.seconds ?? DEFAULT_CALIBRATE_SECONDS;
  assert(seconds > 0 && seconds <= CALIBRATE_SECONDS_MAX, () => `calibration seconds ${seconds} out of bounds`);
  const cluster = clusterOf(dir);
  const servers = await answering(dir, cluster);
  const offsets = traceOffsets(dir, servers);
  const fsyncsBefore = await scrapeFsyncs(servers);
  const startWallUs = Date.now() * 1000;
  const load = await driveLoad(cluster, seconds);
  const endWallUs = Date.now() * 1000;
  const fsyncsAfter = await scrapeFsyncs(servers);
  const probeStartMs = performance.now();
  const fsyncSamples = probeFsync(dir, options.fsyncSamples ?? FSYNC_SAMPLES);
  await sleep(Math.max(0, TRACE_FLUSH_WAIT_MS - (performance.now() - probeStartMs)));
  const messages = readMessages(dir, servers, offsets, startWallUs, endWallUs);
  const oneWay = oneWayLatencies(messages);
  if (oneWay.samples.length === 0) {
    const files = servers.map((s) => join(serverDir(dir, s.id), 'trace.jsonl')).join(', ');
    throw new UserError(`${dir}: no server-to-server message heard both ways in ${files} during the ${seconds} s window; expected servers that write traces (kvsim cluster up, not serve --no-trace)`);
  }
  const latency = percentilesOf(oneWay.samples);
  const link = fitLink(oneWay.samples);
  const fsync = percentilesOf(fsyncSamples);
  const disk = fitDisk(fsyncSamples);
  const serverFsyncs = fsyncDelta(fsyncsBefore, fsyncsAfter);
  return {
    ...fragmentOf(link, disk),
    measured: {
      at: new Date(startWallUs / 1000).toISOString(),
      host: hostname(),
      dir,
      seconds,
      servers: servers.map((s) => s.id),
      load,
      latency: { ...latency, pairs: oneWay.pairs, skippedOneWay: oneWay.skippedOneWay, skippedAmbiguous: messages.ambiguous },
      fsync: { ...fsync, recordBytes: FSYNC_RECORD_BYTES, servers: serverFsyncs },
    },
    fit: {
      latency: { minUs: Math.round(linkQuantile(link, 0)), p50Us: Math.round(linkQuantile(link, 0.5)), p90Us: Math.round(linkQuantile(link, 0.9)), p99Us: Math.round(linkQuantile(link, 0.99)) },
      fsync: { minUs: disk.fsyncMinUs, p50Us: Math.round(diskQuantile(disk, 0.5)), p99Us: Math.round(diskQuantile(disk, 0.99)), meanUs: disk.fsyncMeanUs },
    },
  };
}

// ------------------------------------------------------------------ the cluster

function clusterOf(dir: string): ClusterFile {
  const expected = `expected a directory made by kvsim cluster up --dir ${dir}`;
  if (!existsSync(dir)) throw new UserError(`${dir}: no such directory; ${expected}`);
  if (!statSync(dir).isDirectory()) throw new UserError(`${dir}: not a directory; ${expected}`);
  const file = join(dir, CLUSTER_FILE);
  if (!existsSync(file)) throw new UserError(`${dir}: no cluster here (no ${CLUSTER_FILE}); ${expected}`);
  return loadClusterFile(file);
}

/** The servers that should be running and answer GET /status now; none is a UserError. */
async function answering(dir: string, cluster: ClusterFile): Promise<ServerEntry[]> {
  const running = runningServersOf(cluster);
  const statuses = await Promise.all(running.map((s) => fetchStatus(s.httpPort)));
  const up = running.filter((_, i) => statuses[i] !== null);
  if (up.length === 0) {
    const tried = running.map((s) => `${s.id} http 127.0.0.1:${s.httpPort}`).join(', ');
    throw new UserError(`${dir}: no server answered (${tried}); expected a running cluster (kvsim cluster up --dir ${dir})`);
  }
  return up;
}

function tracePathOf(dir: string, id: string): string {
  return join(serverDir(dir, id), 'trace.jsonl');
}

/** Each server's trace size now: everything of the window is written after it. */
function traceOffsets(dir: string, servers: readonly ServerEntry[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of servers) {
    try {
      out.set(s.id, statSync(tracePathOf(dir, s.id)).size);
    } catch {
      out.set(s.id, 0); // no trace yet: read it whole if it appears
    }
  }
  return out;
}

interface FsyncCounters {
  fsyncs: number;
  seconds: number;
}

/** Each server's log fsync counters from /metrics (null: no answer). */
async function scrapeFsyncs(servers: readonly ServerEntry[]): Promise<(FsyncCounters | null)[]> {
  return Promise.all(
    servers.map(async (s) => {
      try {
        const res = await fetch(`http://127.0.0.1:${s.httpPort}/metrics`, { signal: AbortSignal.timeout(1_000) });
        if (!res.ok) return null;
        const text = await res.text();
        const fsyncs = metricValue(text, 'kvsim_disk_fsyncs');
        const seconds = metricValue(text, 'kvsim_disk_fsync_seconds_total');
        return fsyncs === null || seconds === null ? null : { fsyncs, seconds };
      } catch {
        return null;
      }
    }),
  );
}

/** The value of an unlabelled-or-labelled sample `name{...} value` in Prometheus text. */
export function metricValue(text: string, name: string): number | null {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (m === null || m[1] !== name) continue;
    const v = Number(m[3]);
    if (Number.isFinite(v)) return v;
  }
  return null;
}

/** The servers' own log fsyncs during the load: how many, and their mean (from /metrics). */
function fsyncDelta(before: readonly (FsyncCounters | null)[], after: readonly (FsyncCounters | null)[]): { fsyncs: number; meanUs: number | null } {
  let fsyncs = 0;
  let seconds = 0;
  before.forEach((b, i) => {
    const a = after[i];
    if (b === null || a === null || a === undefined || a.fsyncs < b.fsyncs) return; // restarted meanwhile
    fsyncs += a.fsyncs - b.fsyncs;
    seconds += a.seconds - b.seconds;
  });
  return { fsyncs, meanUs: fsyncs === 0 ? null : Math.round((seconds * 1e6) / fsyncs) };
}

// ------------------------------------------------------------------ load and probe

/** Puts and linearizable gets over many keys, LOAD_WORKERS at a time, for `seconds`. */
async function driveLoad(cluster: ClusterFile, seconds: number): Promise<Calibration['measured']['load']> {
  const session = await ClientSession.open(cluster, `calibrate-${process.pid}-${randomInt(1, 1_000_000)}`, null, () => {});
  const latenciesMs: number[] = [];
  let ok = 0;
  try {
    const deadlineMs = performance.now() + seconds * 1000;
    const worker = async (w: number) => {
      // Bound: the deadline; each operation ends by the client's own deadline.
      for (let i = 0; performance.now() < deadlineMs; i++) {
        const key = `calibrate/${randomInt(0, LOAD_KEYS)}`;
        const r = i % 2 === 0 ? await session.put(key, `w${w}-${i}`) : await session.get(key, 'linearizable');
        latenciesMs.push(r.latencyMs);
        if (r.outcome === 'ok') ok++;
      }
    };
    await Promise.all(Array.from({ length: LOAD_WORKERS }, (_, w) => worker(w)));
  } finally {
    await session.close();
  }
  latenciesMs.sort((a, b) => a - b);
  return { ops: latenciesMs.length, ok, opP50Ms: latenciesMs.length === 0 ? null : quantileSorted(latenciesMs, 0.5) };
}

/**
 * Appends a 4 KiB record and fdatasyncs it (what the servers' log does per group, src/real/
 * disk.ts), `count` times or until the time bound, in a temporary file in DIR removed after.
 * Returns each append+sync in µs.
 */
function probeFsync(dir: string, count: number): number[] {
  assert(Number.isInteger(count) && count >= 1, 'fsync samples is a positive integer');
  const file = join(dir, `.calibrate-fsync-${process.pid}.tmp`);
  let fd: number;
  try {
    fd = openSync(file, 'w');
  } catch (err) {
    throw new UserError(`${dir}: cannot create ${file} for the fsync probe (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); expected a writable cluster directory`);
  }
  const record = Buffer.alloc(FSYNC_RECORD_BYTES, 0x6b);
  const samplesUs: number[] = [];
  try {
    const startMs = performance.now();
    // Bound: `count` samples, and past the time bound only up to the minimum.
    for (let i = 0; i < count; i++) {
      if (samplesUs.length >= FSYNC_SAMPLES_MIN && performance.now() - startMs > FSYNC_PROBE_BOUND_MS) break;
      const t0 = process.hrtime.bigint();
      writeSync(fd, record);
      fdatasyncSync(fd);
      samplesUs.push(Number((process.hrtime.bigint() - t0) / 1000n));
    }
  } finally {
    closeSync(fd);
    rmSync(file, { force: true });
  }
  return samplesUs;
}

// ------------------------------------------------------------------ traces

export interface MessageEvent {
  type: 'send' | 'deliver';
  from: string;
  to: string;
  id: number;
  wallUs: number;
}

interface Messages {
  /** (from, id) → send instant, for sends inside the window. */
  sends: Map<string, number>;
  /** (from, id) → [from, to, deliver instant]. */
  delivers: Map<string, { from: string; to: string; wallUs: number }>;
  ambiguous: number;
}

function readMessages(dir: string, servers: readonly ServerEntry[], offsets: Map<string, number>, startWallUs: number, endWallUs: number): Messages {
  const ids = new Set(servers.map((s) => s.id));
  const events: MessageEvent[] = [];
  for (const s of servers) {
    const path = tracePathOf(dir, s.id);
    if (!existsSync(path)) continue;
    readLinesFrom(path, offsets.get(s.id) ?? 0, (line) => {
      if (events.length >= 2 * SAMPLES_MAX) return;
      const e = messageEventOf(line);
      if (e !== null && ids.has(e.from) && ids.has(e.to) && e.from !== e.to) events.push(e);
    });
  }
  return pairMessages(events, startWallUs, endWallUs);
}

/**
 * Sends inside [startWallUs, endWallUs] and every delivery (a delivery comes after its send),
 * keyed by (from, id); a key seen twice (a restarted sender) is dropped and counted.
 */
export function pairMessages(events: readonly MessageEvent[], startWallUs: number, endWallUs: number): Messages {
  const sends = new Map<string, number>();
  const delivers = new Map<string, { from: string; to: string; wallUs: number }>();
  const twice = new Set<string>();
  for (const e of events) {
    const key = `${e.from}/${e.id}`;
    if (e.type === 'send') {
      if (e.wallUs < startWallUs || e.wallUs > endWallUs) continue;
      if (sends.has(key)) twice.add(key);
      sends.set(key, e.wallUs);
    } else {
      if (delivers.has(key)) twice.add(key);
      delivers.set(key, { from: e.from, to: e.to, wallUs: e.wallUs });
    }
  }
  for (const key of twice) {
    sends.delete(key);
    delivers.delete(key);
  }
  return { sends, delivers, ambiguous: twice.size };
}

/** A msg.send / msg.deliver line, or null for any other (or a torn) line. */
function messageEventOf(line: string): MessageEvent | null {
  const isSend = line.includes('"type":"msg.send"');
  if (!isSend && !line.includes('"type":"msg.deliver"')) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return null; // a line cut at the window's start or end
  }
  const e = raw as Record<string, unknown>;
  if (typeof e.from !== 'string' || typeof e.to !== 'string' || typeof e.id !== 'number' || typeof e.wallUs !== 'number') return null;
  return { type: isSend ? 'send' : 'deliver', from: e.from, to: e.to, id: e.id, wallUs: e.wallUs };
}

/** Calls `onLine` for each whole line from byte `fromBytes` on (bounded by TRACE_READ_MAX_BYTES). */
function readLinesFrom(path: string, fromBytes: number, onLine: (line: string) => void): void {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(TRACE_CHUNK_BYTES);
    const decoder = new StringDecoder('utf8');
    let pos = fromBytes;
    let rest = '';
    while (pos - fromBytes < TRACE_READ_MAX_BYTES) {
      const n = readSync(fd, buf, 0, TRACE_CHUNK_BYTES, pos);
      if (n === 0) break;
      pos += n;
      const lines = (rest + decoder.write(buf.subarray(0, n))).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) onLine(line);
    }
    // `rest` is a line still being written: left out.
  } finally {
    closeSync(fd);
  }
}

/**
 * One-way latencies (µs) of every paired message, each pair of servers' clock offset removed
 * (see the top of this file); messages of a pair heard only one way are skipped and counted.
 */
/** Messages each way a pair needs before its clock offset is estimated (see the top). */
const PAIR_SAMPLES_MIN = 50;

export function oneWayLatencies(messages: Messages): { samples: number[]; pairs: { a: string; b: string; offsetUs: number; messages: number }[]; skippedOneWay: number } {
  const byLink = new Map<string, number[]>();
  for (const [key, d] of messages.delivers) {
    const sentUs = messages.sends.get(key);
    if (sentUs === undefined) continue;
    const link = `${d.from}>${d.to}`;
    let list = byLink.get(link);
    if (list === undefined) byLink.set(link, (list = []));
    if (list.length < SAMPLES_MAX) list.push(d.wallUs - sentUs);
  }
  const samples: number[] = [];
  const pairs: { a: string; b: string; offsetUs: number; messages: number }[] = [];
  let skippedOneWay = 0;
  for (const [link, ab] of [...byLink].sort(([x], [y]) => (x < y ? -1 : 1))) {
    const [a, b] = link.split('>') as [string, string];
    const ba = byLink.get(`${b}>${a}`);
    if (ba === undefined) {
      skippedOneWay += ab.length;
      continue;
    }
    if (a > b) continue; // each pair once, from its smaller id
    const offsetUs = ab.length >= PAIR_SAMPLES_MIN && ba.length >= PAIR_SAMPLES_MIN ? (minOf(ab) - minOf(ba)) / 2 : 0;
    for (const x of ab) samples.push(x - offsetUs);
    for (const x of ba) samples.push(x + offsetUs);
    pairs.push({ a, b, offsetUs: Math.round(offsetUs), messages: ab.length + ba.length });
  }
  samples.sort((x, y) => x - y);
  return { samples, pairs, skippedOneWay };
}

function minOf(xs: readonly number[]): number {
  let m = Infinity;
  for (const x of xs) if (x < m) m = x;
  return m;
}

// ------------------------------------------------------------------ statistics and fits

/** Nearest-rank quantile of a sorted, non-empty array. */
function quantileSorted(sorted: readonly number[], q: number): number {
  assert(sorted.length > 0, 'a quantile of no samples');
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export function percentilesOf(samples: readonly number[]): Percentiles {
  const sorted = [...samples].sort((a, b) => a - b);
  let sum = 0;
  for (const x of sorted) sum += x;
  return {
    count: sorted.length,
    minUs: Math.round(sorted[0]!),
    p50Us: Math.round(quantileSorted(sorted, 0.5)),
    p90Us: Math.round(quantileSorted(sorted, 0.9)),
    p99Us: Math.round(quantileSorted(sorted, 0.99)),
    maxUs: Math.round(sorted[sorted.length - 1]!),
    meanUs: Math.round(sum / sorted.length),
  };
}

/** The simulated body's CDF: uniform on [a, b] (a point at a when b = a). */
function uniformCdf(x: number, a: number, b: number): number {
  if (x < a) return 0;
  if (x >= b) return 1;
  return (x - a) / (b - a);
}

/**
 * The simulator's latency CDF (src/sim/network.ts latencyUs): mean ± jitter uniformly, never
 * below min, and with probability p multiplied by the tail factor. With min = mean − jitter, as
 * fitLink chooses, the clamp never bites: body U[min, mean + jitter], tail f·U[...].
 */
function linkCdf(x: number, a: number, b: number, p: number, f: number): number {
  return (1 - p) * uniformCdf(x, a, b) + p * uniformCdf(x / f, a, b);
}

/** The fitted link's q-quantile (by bisection of its CDF). */
export function linkQuantile(link: LinkFit, q: number): number {
  const a = Math.max(link.minUs, link.meanUs - link.jitterUs);
  const b = Math.max(a, link.meanUs + link.jitterUs);
  if (q <= 0) return a;
  return bisect(a, b * link.tailFactor, (x) => linkCdf(x, a, b, link.tailProbability, link.tailFactor) >= q);
}

/** Smallest x in [lo, hi] with pred(x) true, for a monotone pred (hi if none). */
function bisect(lo: number, hi: number, pred: (x: number) => boolean): number {
  for (let i = 0; i < BISECT_STEPS; i++) {
    const mid = (lo + hi) / 2;
    if (pred(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** Quantiles besides min, p50 and p99 that choose among the exact fits (see fitLink). */
const SHAPE_QUANTILES = [0.1, 0.25, 0.75, 0.9, 0.95, 0.999];
/** Weight of a miss at p50 or p99 (where a candidate cannot meet them exactly) in the score. */
const EXACT_WEIGHT = 100;
/** A tail must beat no tail by this much of the score (about 2% at every shape quantile). */
const TAIL_SCORE_GAIN_MIN = SHAPE_QUANTILES.length * 0.02 ** 2;
/** Tail probabilities tried: none, and 64 log-spaced from 0.1% to TAIL_PROBABILITY_MAX. */
const TAIL_PROBABILITY_GRID = [0, ...Array.from({ length: 64 }, (_, i) => 0.001 * Math.pow(TAIL_PROBABILITY_MAX / 0.001, i / 63))];

/**
 * Fits the simulator's link latency to sorted one-way samples so it reproduces their min, p50
 * and p99. The simulator draws mean + U(−1, 1)·jitter, clamped at min, and with probability
 * tailProbability multiplies it by tailFactor (src/sim/network.ts latencyUs). The fit:
 *   - min is the measured minimum, and the body's lower end mean − jitter is put there too, so
 *     the body is U[min, b] (nothing piles up on the clamp) and a tail draw is f·U[min, b];
 *   - for a given tail probability p, the body's upper end b solves "model p50 = measured p50"
 *     and the factor f solves "model p99 = measured p99", by bisection of the model's exact
 *     CDF (linkCdf). They interact (tail draws below p50 count towards p50), so the two are
 *     solved in turn to a fixed point;
 *   - that leaves one freedom, p: a frequent short tail or a rare long one. Each p of a grid
 *     (0, and 0.1% to 50%) is fitted, and the one whose p10, p25, p75, p90, p95 and p99.9 come
 *     closest to the measured ones (sum of squared log ratios) wins; p = 0 (no tail) wins when
 *     the body alone reaches p99. A candidate that cannot meet p50 or p99 exactly (below 1%, a
 *     tail cannot move p99; its factor is then the tail samples' mean over the body's) pays
 *     for the miss, weighted, so exact candidates win when there are any. A tail must beat
 *     no tail by a margin (about 2% at every shape quantile), else sampling noise would buy
 *     one that does nothing (a factor of 1.03).
 * Not modelled: the simulator keeps each link FIFO (a message never overtakes an earlier one),
 * which lifts the draws queued behind a tail draw a little on a busy link.
 */
export function fitLink(sortedSamples: readonly number[]): LinkFit {
  assert(sortedSamples.length > 0, 'a fit needs samples');
  const a = Math.max(0, sortedSamples[0]!);
  const q50 = Math.max(a, quantileSorted(sortedSamples, 0.5));
  const q99 = Math.max(q50, quantileSorted(sortedSamples, 0.99));
  const logMiss = (model: number, measured: number) => Math.log(Math.max(1, model) / Math.max(1, measured)) ** 2;
  let best: { fit: LinkFit; score: number } | null = null;
  let noTail: { fit: LinkFit; score: number } | null = null;
  for (const p of TAIL_PROBABILITY_GRID) {
    const { b, f } = solveBodyAndTail(sortedSamples, a, q50, q99, p);
    const tailless = p === 0 || f <= 1;
    const fit: LinkFit = {
      minUs: Math.round(a),
      meanUs: Math.round((a + b) / 2),
      jitterUs: Math.round((b - a) / 2),
      tailProbability: tailless ? 0 : Math.round(p * 10_000) / 10_000,
      tailFactor: tailless ? 1 : Math.round(f * 100) / 100,
    };
    let score = EXACT_WEIGHT * (logMiss(linkQuantile(fit, 0.5), q50) + logMiss(linkQuantile(fit, 0.99), q99));
    for (const q of SHAPE_QUANTILES) score += logMiss(linkQuantile(fit, q), quantileSorted(sortedSamples, q));
    if (p === 0) noTail = { fit, score };
    if (best === null || score < best.score) best = { fit, score };
  }
  // A tail that barely helps is noise in the samples, not a tail: the simpler model wins.
  if (noTail !== null && best !== null && noTail.score - best.score < TAIL_SCORE_GAIN_MIN) return noTail.fit;
  return best!.fit;
}

/** For tail probability p: the body's upper end b (model p50 = q50) and tail factor f (model p99 = q99). */
function solveBodyAndTail(sortedSamples: readonly number[], a: number, q50: number, q99: number, p: number): { b: number; f: number } {
  let b = 2 * q50 - a;
  let f = 1;
  // Bound: FIT_ROUNDS_MAX rounds of the fixed-point iteration.
  for (let round = 0; round < FIT_ROUNDS_MAX; round++) {
    // b: F(q50) falls as b grows, from ≥ 1 − p ≥ 0.5 at b = q50 towards 0.
    let hi = Math.max(q50 + 1, 2 * q50 - a);
    for (let i = 0; i < BISECT_STEPS && linkCdf(q50, a, hi, p, f) >= 0.5; i++) hi *= 2;
    const nextB = q50 <= a ? a : bisect(q50, hi, (x) => linkCdf(q50, a, x, p, f) < 0.5);
    // f: F(q99) falls as f grows.
    let nextF: number;
    if (p === 0 || linkCdf(q99, a, nextB, p, 1) < 0.99) nextF = 1;
    else if (linkCdf(q99, a, nextB, p, TAIL_FACTOR_MAX) >= 0.99) nextF = tailMeanFactor(sortedSamples, nextB, a);
    else nextF = bisect(1, TAIL_FACTOR_MAX, (x) => linkCdf(q99, a, nextB, p, x) < 0.99);
    const settled = Math.abs(nextB - b) < 0.5 && Math.abs(nextF - f) < 0.005;
    b = nextB;
    f = nextF;
    if (settled) break;
  }
  return { b, f };
}

/** Mean of the samples above b over the body's mean (a tail factor that p99 cannot pin). */
function tailMeanFactor(sortedSamples: readonly number[], b: number, a: number): number {
  let sum = 0;
  let count = 0;
  for (const x of sortedSamples) {
    if (x <= b) continue;
    sum += x;
    count++;
  }
  const bodyMean = (a + b) / 2;
  if (count === 0 || bodyMean <= 0) return 1;
  return Math.min(TAIL_FACTOR_MAX, Math.max(1, sum / count / bodyMean));
}

/**
 * Fits the simulator's fsync (src/sim/disk.ts: fsyncMin + Exp(mean fsyncMean − fsyncMin)) to
 * the probe's samples by maximum likelihood, which for a shifted exponential is the sample
 * minimum for the shift and the sample mean for the mean.
 */
export function fitDisk(samples: readonly number[]): DiskFit {
  assert(samples.length > 0, 'a fit needs samples');
  let min = Infinity;
  let sum = 0;
  for (const x of samples) {
    min = Math.min(min, x);
    sum += x;
  }
  const mean = sum / samples.length;
  return { fsyncMinUs: Math.max(0, Math.round(min)), fsyncMeanUs: Math.max(1, Math.round(mean)) };
}

export function diskQuantile(disk: DiskFit, q: number): number {
  return disk.fsyncMinUs - Math.log(1 - q) * Math.max(0, disk.fsyncMeanUs - disk.fsyncMinUs);
}

// ------------------------------------------------------------------ output

export function fragmentOf(link: LinkFit, disk: DiskFit): ScenarioFragment {
  return {
    network: {
      latency: {
        min: formatDurationUs(link.minUs),
        mean: formatDurationUs(link.meanUs),
        jitter: formatDurationUs(link.jitterUs),
        tailProbability: link.tailProbability,
        tailFactor: link.tailFactor,
      },
    },
    disk: { fsyncMin: formatDurationUs(disk.fsyncMinUs), fsyncMean: formatDurationUs(disk.fsyncMeanUs) },
  };
}

/** The scenario fragment as YAML, with a comment header: where, when, and the raw figures. */
export function calibrationYaml(c: Calibration): string {
  const m = c.measured;
  const l = m.latency;
  const d = m.fsync;
  const pct = (p: Percentiles) => `min ${p.minUs}  p50 ${p.p50Us}  p90 ${p.p90Us}  p99 ${p.p99Us}  max ${p.maxUs}  mean ${p.meanUs}`;
  const header = [
    `kvsim calibrate: measured ${m.at} on ${m.host}, cluster ${m.dir} (servers ${m.servers.join(' ')})`,
    `load: ${m.seconds} s, ${m.load.ops} operations (${m.load.ok} ok, puts and linearizable gets), p50 ${m.load.opP50Ms ?? '-'} ms`,
    `one-way server-to-server latency, µs, ${l.count} messages (clock offsets removed per pair: ${l.pairs.map((p) => `${p.a}-${p.b} ${p.offsetUs}`).join(', ')}):`,
    `  measured   ${pct(l)}`,
    `  simulated  min ${c.fit.latency.minUs}  p50 ${c.fit.latency.p50Us}  p90 ${c.fit.latency.p90Us}  p99 ${c.fit.latency.p99Us}  (the fit matches min, p50, p99)`,
    `fsync: ${d.count} appends of ${d.recordBytes} bytes + fdatasync in ${m.dir}, µs:`,
    `  measured   ${pct(d)}`,
    `  simulated  min ${c.fit.fsync.minUs}  p50 ${c.fit.fsync.p50Us}  p99 ${c.fit.fsync.p99Us}  mean ${c.fit.fsync.meanUs}`,
    `  the servers' own log fsyncs during the load: ${d.servers.fsyncs}${d.servers.meanUs === null ? '' : `, mean ${d.servers.meanUs}`}`,
    `Paste network: and disk: into a scenario file (top level).`,
  ];
  const body = stringify({ network: c.network, disk: c.disk });
  return header.map((line) => `# ${line}`).join('\n') + '\n' + body;
}
