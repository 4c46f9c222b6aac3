// Linearizability benchmark: reference histories and generated ones. Pure apart from the
// caller's clock and heap probe (the CLI passes a wall clock and the process's heap use).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OpRecord } from '../history/op.js';
import { inferFormat, metaFor, parseHistoryText } from '../history/formats.js';
import { checkHistory } from './linearizability.js';

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
  targets: { etcdTotalMs: number; c50OkMs: number; c50BadExplainMs: number; oneMillionMs: number; oneMillionHeapMB: number; storeCrashMs: number };
}

export const LIN_TARGETS = { etcdTotalMs: 430, c50OkMs: 200, c50BadExplainMs: 1000, oneMillionMs: 10_000, oneMillionHeapMB: 1024, storeCrashMs: 2000 };

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

export function benchLinearizability(fixturesDir: string, probes: LinBenchProbes, options: { quick?: boolean } = {}): LinBenchResult {
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
  return {
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
    targets: LIN_TARGETS,
  };
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}
