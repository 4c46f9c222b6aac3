// Linearizability benchmark: reference histories and generated ones. Pure apart from the
// caller's clock and heap probe (the CLI passes a wall clock and the process's heap use).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OpRecord } from '../history/op.js';
import { inferFormat, metaFor, parseHistoryText } from '../history/formats.js';
import { parseJepsenEdn } from '../history/jepsen.js';
import { checkHistory } from './linearizability.js';
import { AssertionError } from '../base/assert.js';

export interface LinBenchProbes {
  /** Milliseconds, any origin. */
  nowMs: () => number;
  /** Current heap use in bytes (sampled while checking for the peak). */
  heapUsedBytes?: () => number;
}

export interface LinBenchResult {
  reference: {
    files: number;
    wrong: string[];
    etcdTotalMs: number;
    etcdMaxMs: number;
    etcdMaxFile: string;
    kvMs: Record<string, number>;
    c50BadExplainMs: number;
    c50BadWindowOps: number;
  };
  /** Histories that used to end `unknown` (budget). */
  hard: {
    /** The store's crash-restart-all fixture, store filter (puts + linearizable/lease gets). */
    storeCrashVerdict: string;
    storeCrashMs: number;
    /** c50-bad with decideAllKeys: keys still unknown, and the time. */
    c50BadAllKeysUndecided: number;
    c50BadAllKeysMs: number;
  };
  generated: { ops: number; keys: number; clients: number; verdict: string; ms: number; peakHeapMB: number }[];
  /** `../shared/data/register-timeouts` (absent when the directory is). */
  registerTimeouts?: RegisterTimeoutsResult;
  /** Knossos's cas-register histories (test/fixtures/jepsen-edn). */
  jepsenEdn?: { files: number; wrong: string[]; totalMs: number; maxMs: number; maxFile: string };
  /** Register histories of one size, sweeping the share of timed-out writes and cas. */
  indeterminateShare: { sharePct: number; ops: number; keys: number; indeterminate: number; verdict: string; ms: number }[];
  /** Reading a generated Jepsen history.edn of about `sizeMB` (parse and conversion). */
  ednParse: { sizeMB: number; records: number; ms: number };
  targets: { etcdTotalMs: number; c50OkMs: number; c50BadExplainMs: number; oneMillionMs: number; oneMillionHeapMB: number; storeCrashMs: number };
}

export interface RegisterTimeoutsResult {
  files: number;
  wrong: string[];
  /** Sum over files of the best of `passes` timings. */
  totalMs: number;
  /** The Go reference checker's recorded total (expected.tsv). */
  referenceTotalMs: number;
  slowestFile: string;
  slowestMs: number;
  slowestReferenceMs: number;
  /** The file closest to its limit (5x its reference time + 5 ms), as a share of the limit. */
  worstFile: string;
  worstShareOfLimit: number;
  /** Files slower than their limit. */
  overLimit: string[];
  passes: number;
}

export const LIN_TARGETS = {
  etcdTotalMs: 430,
  c50OkMs: 200,
  c50BadExplainMs: 1000,
  oneMillionMs: 10_000,
  oneMillionHeapMB: 1024,
  storeCrashMs: 2000,
  /** register-timeouts: total at most this share of the reference's total. */
  registerTimeoutsRatio: 0.5,
  /** ... and no file slower than this many times its reference time plus the slack. */
  registerTimeoutsPerFileFactor: 5,
  registerTimeoutsPerFileSlackMs: 5,
  ednParse100MBMs: 10_000,
};

/**
 * Size and shares of the indeterminate-share family: 2 000 ops per key with about ten clients
 * on each key at a time, like the register-timeouts set (5-20 processes on one register).
 */
export const SHARE_FAMILY = { ops: 20_000, keys: 10, clients: 100, sharesPct: [0, 5, 15, 30] } as const;
const SHARE_FAMILY_RUNS = 2;
/** Size of the generated history.edn for the parse figure (quick: a tenth). */
export const EDN_PARSE_SIZE_MB = 100;

/** Sizes of the generated histories (ops, keys, clients). `quick` stops at 100k. */
export const GENERATED_SIZES: readonly [number, number, number][] = [
  [1_000, 10, 5],
  [10_000, 100, 10],
  [100_000, 1_000, 50],
  [1_000_000, 1_000, 50],
];

/** xorshift32: the generator's own seeded stream (src/ draws no unseeded randomness). */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
}

/**
 * A linearizable history: clients issue put/get/append back to back; each op takes effect at
 * a random point inside its interval, applied to a per-key map in point order. About 2% of
 * writes time out (indeterminate, applied).
 */
export function generateHistory(ops: number, keys: number, clients: number, seed = 1): OpRecord[] {
  const rand = rng(seed);
  const free = new Array<number>(clients).fill(0);
  // Draw intervals and points first, then apply in point order.
  const drafts: { client: number; key: string; kind: OpRecord['op']; invokeUs: number; pointUs: number; completeUs: number; timedOut: boolean }[] = [];
  for (let i = 0; i < ops; i++) {
    const client = i % clients;
    const invokeUs = free[client]! + Math.floor(rand() * 50);
    const durationUs = 1 + Math.floor(rand() * 200);
    const pointUs = invokeUs + Math.floor(rand() * durationUs);
    const completeUs = invokeUs + durationUs;
    const r = rand();
    const kind: OpRecord['op'] = r < 0.7 ? 'get' : r < 0.85 ? 'put' : 'append';
    const timedOut = kind !== 'get' && rand() < 0.02;
    free[client] = completeUs + 1;
    drafts.push({ client, key: `k${Math.floor(rand() * keys)}`, kind, invokeUs, pointUs, completeUs, timedOut });
  }
  const order = drafts.map((_, i) => i).sort((a, b) => drafts[a]!.pointUs - drafts[b]!.pointUs || a - b);
  const state = new Map<string, string>();
  const out = new Array<OpRecord>(ops);
  for (const i of order) {
    const d = drafts[i]!;
    const r: OpRecord = { id: i, client: d.client, op: d.kind, key: d.key, invokeUs: d.invokeUs, completeUs: d.completeUs, outcome: 'ok' };
    if (d.kind === 'get') r.value = state.get(d.key) ?? null;
    else if (d.kind === 'put') {
      r.value = `v${i}`;
      state.set(d.key, r.value);
    } else {
      r.value = `.${i}`;
      state.set(d.key, (state.get(d.key) ?? '') + r.value);
    }
    if (d.timedOut) {
      r.outcome = 'indeterminate';
      r.completeUs = null;
    }
    out[i] = r;
  }
  return out;
}

/**
 * A linearizable register history (read 50 %, write 25 %, cas 25 % on values 0..4, per key):
 * each op takes effect at a random point inside its interval, applied in point order. A share
 * of the writes and cas time out (indeterminate): half of those took effect at their point,
 * half never did, and, as in Jepsen, their client is never heard from again (a new client id
 * takes its place).
 */
export function generateRegisterHistory(ops: number, keys: number, clients: number, indeterminateShare: number, seed = 7): OpRecord[] {
  if (clients < 1 || keys < 1 || !(indeterminateShare >= 0 && indeterminateShare <= 1)) throw new AssertionError('generateRegisterHistory needs a client, a key and a share in [0, 1]');
  const rand = rng(seed);
  const free = new Array<number>(clients).fill(0);
  const clientId = Array.from({ length: clients }, (_, i) => i);
  let nextClient = clients;
  type Draft = { client: number; key: string; kind: 'get' | 'put' | 'cas'; invokeUs: number; pointUs: number; completeUs: number; timedOut: boolean; applied: boolean; a: string; b: string };
  const drafts: Draft[] = [];
  for (let i = 0; i < ops; i++) {
    const slot = i % clients;
    const invokeUs = free[slot]! + Math.floor(rand() * 50);
    const durationUs = 1 + Math.floor(rand() * 200);
    const pointUs = invokeUs + Math.floor(rand() * durationUs);
    const r = rand();
    const kind = r < 0.5 ? 'get' : r < 0.75 ? 'put' : 'cas';
    const timedOut = kind !== 'get' && rand() < indeterminateShare;
    const applied = !timedOut || rand() < 0.5;
    drafts.push({ client: clientId[slot]!, key: `k${Math.floor(rand() * keys)}`, kind, invokeUs, pointUs, completeUs: invokeUs + durationUs, timedOut, applied, a: String(Math.floor(rand() * 5)), b: String(Math.floor(rand() * 5)) });
    free[slot] = invokeUs + durationUs + 1;
    if (timedOut) clientId[slot] = nextClient++;
  }
  const order = drafts.map((_, i) => i).sort((x, y) => drafts[x]!.pointUs - drafts[y]!.pointUs || x - y);
  const state = new Map<string, string>();
  const out = new Array<OpRecord>(ops);
  for (const i of order) {
    const d = drafts[i]!;
    const r: OpRecord = { id: i, client: d.client, op: d.kind, key: d.key, invokeUs: d.invokeUs, completeUs: d.completeUs, outcome: 'ok' };
    const now = state.get(d.key) ?? null;
    if (d.kind === 'get') r.value = now;
    else if (d.kind === 'put') {
      r.value = d.a;
      if (d.applied) state.set(d.key, d.a);
    } else {
      r.expect = d.a;
      r.value = d.b;
      if (now !== d.a) r.outcome = 'failed';
      else if (d.applied) state.set(d.key, d.b);
    }
    if (d.timedOut) {
      r.outcome = 'indeterminate';
      r.completeUs = null;
    }
    out[i] = r;
  }
  return out;
}

/** A Jepsen history.edn text of about `sizeBytes`, one map per line with :index and :time. */
export function generateJepsenEdnText(sizeBytes: number, seed = 11): string {
  const rand = rng(seed);
  // Built in chunks of about CHUNK_BYTES so the pieces are not all alive at once.
  const CHUNK_BYTES = 1 << 20;
  const chunks: string[] = ['['];
  let chunk: string[] = [];
  let chunkSize = 0;
  let size = 1;
  let index = 0;
  const PROCESSES = 20;
  for (let op = 0; size < sizeBytes; op++) {
    const p = op % PROCESSES;
    const r = rand();
    const f = r < 0.5 ? 'read' : r < 0.75 ? 'write' : 'cas';
    const v = f === 'read' ? 'nil' : f === 'write' ? String(Math.floor(rand() * 5)) : `[${Math.floor(rand() * 5)} ${Math.floor(rand() * 5)}]`;
    const t = index * 1000;
    const q = rand();
    const type = q < 0.8 ? 'ok' : q < 0.95 ? 'fail' : 'info';
    const result = f === 'read' && type === 'ok' ? String(Math.floor(rand() * 5)) : v;
    let text = `{:type :invoke, :f :${f}, :value ${v}, :time ${t}, :process ${p}, :index ${index++}}\n `;
    text += `{:type :${type}, :f :${f}, :value ${result}, :time ${t + 500}, :process ${p}, :index ${index++}${type === 'info' ? ', :error :timeout' : ''}}\n `;
    if (type === 'info') text += `{:type :info, :f :start, :value nil, :process :nemesis, :index ${index++}}\n `;
    chunk.push(text);
    chunkSize += text.length;
    size += text.length;
    if (chunkSize >= CHUNK_BYTES) {
      chunks.push(chunk.join(''));
      chunk = [];
      chunkSize = 0;
    }
  }
  chunks.push(chunk.join(''), ']\n');
  return chunks.join('');
}

/**
 * The register-timeouts set: every file `passes` times (after one warm-up pass, so timings are
 * of compiled code, like the reference's), best time per file.
 */
export function benchRegisterTimeouts(dir: string, probes: LinBenchProbes, passes: number): RegisterTimeoutsResult {
  const rows = readFileSync(join(dir, 'expected.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t') as [string, string, string]);
  const files = rows.map(([file, want, us]) => ({ file, want, referenceMs: Number(us) / 1000, records: parseHistoryText(readFileSync(join(dir, file), 'utf8'), file, 'porcupine-etcd') }));
  const meta = metaFor('porcupine-etcd');
  const best = new Array<number>(files.length).fill(Infinity);
  const wrong = new Set<string>();
  for (let pass = 0; pass <= passes; pass++) {
    files.forEach((f, i) => {
      const t0 = probes.nowMs();
      const r = checkHistory(f.records, { model: meta.model, missingValue: meta.missingValue, explain: false });
      const ms = probes.nowMs() - t0;
      if (r.verdict !== f.want) wrong.add(f.file);
      if (pass > 0) best[i] = Math.min(best[i]!, ms);
    });
  }
  let slowest = 0;
  let worst = 0;
  let worstShare = -Infinity;
  const overLimit: string[] = [];
  files.forEach((f, i) => {
    if (best[i]! > best[slowest]!) slowest = i;
    const limit = LIN_TARGETS.registerTimeoutsPerFileFactor * f.referenceMs + LIN_TARGETS.registerTimeoutsPerFileSlackMs;
    const share = best[i]! / limit;
    if (share > worstShare) {
      worstShare = share;
      worst = i;
    }
    if (best[i]! > limit) overLimit.push(f.file);
  });
  return {
    files: files.length,
    wrong: [...wrong],
    totalMs: round(best.reduce((a, b) => a + b, 0)),
    referenceTotalMs: round(files.reduce((a, f) => a + f.referenceMs, 0)),
    slowestFile: files[slowest]!.file,
    slowestMs: round(best[slowest]!),
    slowestReferenceMs: round(files[slowest]!.referenceMs),
    worstFile: files[worst]!.file,
    worstShareOfLimit: Math.round(worstShare * 100) / 100,
    overLimit,
    passes,
  };
}

/** Knossos's files: the name says the verdict (`good_` linearizable, `bad_` not); initial value 0. */
export function benchJepsenEdn(dir: string, probes: LinBenchProbes): NonNullable<LinBenchResult['jepsenEdn']> {
  const files = readdirSync(dir).filter((f) => f.endsWith('.edn')).sort();
  const meta = metaFor('jepsen', '0');
  const wrong: string[] = [];
  let totalMs = 0;
  let maxMs = 0;
  let maxFile = '';
  for (const file of files) {
    const records = parseJepsenEdn(readFileSync(join(dir, file), 'utf8'), file);
    const t0 = probes.nowMs();
    const r = checkHistory(records, { model: meta.model, missingValue: meta.missingValue, explain: false });
    const ms = probes.nowMs() - t0;
    if (r.verdict !== (file.startsWith('good_') ? 'linearizable' : 'not-linearizable')) wrong.push(file);
    totalMs += ms;
    if (ms > maxMs) {
      maxMs = ms;
      maxFile = file;
    }
  }
  return { files: files.length, wrong, totalMs: round(totalMs), maxMs: round(maxMs), maxFile };
}

export interface LinBenchOptions {
  quick?: boolean;
  /** Directory of the register-timeouts set; skipped when absent. */
  registerTimeoutsDir?: string;
  /** Directory of Knossos's EDN files; skipped when absent. */
  jepsenEdnDir?: string;
}

export function benchLinearizability(fixturesDir: string, probes: LinBenchProbes, options: LinBenchOptions = {}): LinBenchResult {
  const expected = readFileSync(join(fixturesDir, 'expected.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t') as [string, string]);
  const wrong: string[] = [];
  let etcdTotalMs = 0;
  let etcdMaxMs = 0;
  let etcdMaxFile = '';
  const kvMs: Record<string, number> = {};
  for (const [file, want] of expected) {
    const text = readFileSync(join(fixturesDir, file), 'utf8');
    const format = inferFormat(file, text)!;
    const meta = metaFor(format);
    const records = parseHistoryText(text, file, format);
    const t0 = probes.nowMs();
    const r = checkHistory(records, { model: meta.model, missingValue: meta.missingValue, explain: false });
    const ms = probes.nowMs() - t0;
    if (r.verdict !== want) wrong.push(file);
    if (file.startsWith('jepsen/')) {
      etcdTotalMs += ms;
      if (ms > etcdMaxMs) {
        etcdMaxMs = ms;
        etcdMaxFile = file;
      }
    } else kvMs[file] = round(ms);
  }
  const badText = readFileSync(join(fixturesDir, 'kv/c50-bad.txt'), 'utf8');
  const bad = parseHistoryText(badText, 'kv/c50-bad.txt', 'porcupine-kv');
  const t0 = probes.nowMs();
  const ex = checkHistory(bad, { missingValue: '' });
  const c50BadExplainMs = probes.nowMs() - t0;
  const a0 = probes.nowMs();
  const all = checkHistory(bad, { missingValue: '', decideAllKeys: true, explain: false });
  const c50BadAllKeysMs = probes.nowMs() - a0;

  const storeText = readFileSync(join(fixturesDir, '..', 'histories', 'crash-restart-all-seed1.jsonl'), 'utf8');
  const storeRecords = storeText
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as OpRecord)
    .filter((o) => o.op === 'put' || o.level === undefined || o.level === 'linearizable' || o.level === 'lease');
  const s0 = probes.nowMs();
  const store = checkHistory(storeRecords, { model: 'kv', missingValue: null });
  const storeCrashMs = probes.nowMs() - s0;

  const generated: LinBenchResult['generated'] = [];
  for (const [ops, keys, clients] of GENERATED_SIZES) {
    if (options.quick && ops > 100_000) continue;
    const h = generateHistory(ops, keys, clients);
    let peak = probes.heapUsedBytes ? probes.heapUsedBytes() : 0;
    const sample = (): boolean => {
      if (probes.heapUsedBytes) peak = Math.max(peak, probes.heapUsedBytes());
      return false;
    };
    const g0 = probes.nowMs();
    const r = checkHistory(h, { deadline: sample });
    const ms = probes.nowMs() - g0;
    sample();
    generated.push({ ops, keys, clients, verdict: r.verdict, ms: round(ms), peakHeapMB: round(peak / 2 ** 20) });
  }

  const indeterminateShare: LinBenchResult['indeterminateShare'] = [];
  for (const pct of SHARE_FAMILY.sharesPct) {
    const h = generateRegisterHistory(SHARE_FAMILY.ops, SHARE_FAMILY.keys, SHARE_FAMILY.clients, pct / 100);
    // Best of SHARE_FAMILY_RUNS: the first run of the first share also compiles the searches.
    let ms = Infinity;
    let verdict = '';
    let keys = 0;
    for (let run = 0; run < SHARE_FAMILY_RUNS; run++) {
      const f0 = probes.nowMs();
      const r = checkHistory(h, { model: 'register', missingValue: null, explain: false });
      ms = Math.min(ms, probes.nowMs() - f0);
      verdict = r.verdict;
      keys = r.keys;
    }
    indeterminateShare.push({ sharePct: pct, ops: h.length, keys, indeterminate: h.filter((o) => o.outcome === 'indeterminate').length, verdict, ms: round(ms) });
  }

  const ednText = generateJepsenEdnText(((options.quick ? 0.1 : 1) * EDN_PARSE_SIZE_MB * 1e6) | 0);
  const e0 = probes.nowMs();
  const ednRecords = parseJepsenEdn(ednText, 'generated.edn').length;
  const ednParse = { sizeMB: round(ednText.length / 1e6), records: ednRecords, ms: round(probes.nowMs() - e0) };

  const result: LinBenchResult = {
    reference: {
      files: expected.length,
      wrong,
      etcdTotalMs: round(etcdTotalMs),
      etcdMaxMs: round(etcdMaxMs),
      etcdMaxFile,
      kvMs,
      c50BadExplainMs: round(c50BadExplainMs),
      c50BadWindowOps: ex.explanation?.window.length ?? 0,
    },
    hard: {
      storeCrashVerdict: store.verdict,
      storeCrashMs: round(storeCrashMs),
      c50BadAllKeysUndecided: all.perKey.filter((k) => k.verdict === 'unknown').length,
      c50BadAllKeysMs: round(c50BadAllKeysMs),
    },
    generated,
    indeterminateShare,
    ednParse,
    targets: LIN_TARGETS,
  };
  if (options.registerTimeoutsDir !== undefined && existsSync(join(options.registerTimeoutsDir, 'expected.tsv'))) {
    result.registerTimeouts = benchRegisterTimeouts(options.registerTimeoutsDir, probes, options.quick ? 1 : 3);
  }
  if (options.jepsenEdnDir !== undefined && existsSync(options.jepsenEdnDir)) result.jepsenEdn = benchJepsenEdn(options.jepsenEdnDir, probes);
  return result;
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}
