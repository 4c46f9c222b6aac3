// Histories that used to exhaust the search budget: many long, overlapping writes whose values
// no read returns (a store history with a full-cluster crash) and long unobserved appends
// (Porcupine's c50-bad, every key decided). Timings belong in the bench; here only verdicts.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkHistory } from '../../src/check/linearizability.js';
import { parseHistoryText } from '../../src/history/formats.js';
import type { OpRecord } from '../../src/history/op.js';

const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url));

/** The store's own filter: puts, and gets that promised linearizability. */
function storeChecked(records: readonly OpRecord[]): OpRecord[] {
  return records.filter((o) => o.op === 'put' || o.level === undefined || o.level === 'linearizable' || o.level === 'lease');
}

function loadStore(): OpRecord[] {
  const text = readFileSync(fixtures + 'histories/crash-restart-all-seed1.jsonl', 'utf8');
  return text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as OpRecord);
}

describe('hard histories', () => {
  it('a store history where every machine crashed for 1 s is linearizable, every key decided', () => {
    const r = checkHistory(storeChecked(loadStore()), { model: 'kv', missingValue: null });
    expect(r.perKey.filter((k) => k.verdict !== 'linearizable')).toEqual([]);
    expect(r.verdict).toBe('linearizable');
    // k0 holds the crash window: ~40 puts overlapping, most of them never read.
    expect(r.perKey.find((k) => k.key === 'k0')!.ops).toBe(274);
  });

  it('the same history with one stale read on the crashed key is not linearizable', () => {
    const recs = storeChecked(loadStore());
    const k0 = recs.filter((o) => o.key === 'k0' && o.op === 'put').sort((a, b) => a.invokeUs - b.invokeUs);
    // The first put of k0 was overwritten long before the end: reading it at the end is stale.
    const first = k0[0]!;
    const end = Math.max(...recs.map((o) => o.completeUs ?? o.invokeUs)) + 10;
    const stale: OpRecord = { id: 1_000_000, client: 9999, op: 'get', key: 'k0', value: first.value ?? null, level: 'linearizable', invokeUs: end, completeUs: end + 5, outcome: 'ok' };
    const r = checkHistory([...recs, stale], { model: 'kv', missingValue: null });
    expect(r.verdict).toBe('not-linearizable');
    expect(r.explanation!.key).toBe('k0');
    expect(r.explanation!.failing.id).toBe(stale.id);
  });

  it('c50-bad: with decideAllKeys every key is decided, and each is a violation', () => {
    const text = readFileSync(fixtures + 'porcupine/kv/c50-bad.txt', 'utf8');
    const r = checkHistory(parseHistoryText(text, 'c50-bad.txt', 'porcupine-kv'), { missingValue: '', decideAllKeys: true, explain: false });
    expect(r.verdict).toBe('not-linearizable');
    expect(r.perKey.map((k) => [k.key, k.verdict]).sort()).toEqual(
      ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'].map((k) => [k, 'not-linearizable']),
    );
  });

  it('c50-ok: every key linearizable', () => {
    const text = readFileSync(fixtures + 'porcupine/kv/c50-ok.txt', 'utf8');
    const r = checkHistory(parseHistoryText(text, 'c50-ok.txt', 'porcupine-kv'), { missingValue: '', decideAllKeys: true });
    expect(r.perKey.every((k) => k.verdict === 'linearizable')).toBe(true);
  });
});
