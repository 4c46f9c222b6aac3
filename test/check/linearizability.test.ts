import { describe, expect, it } from 'vitest';
import { checkHistory } from '../../src/check/linearizability.js';
import { searchLinearizable } from '../../src/check/lin-search.js';
import { kvModel } from '../../src/check/model-kv.js';
import { append, bruteForceLinearizable, cas, get, put, op } from './lin-helpers.js';

const verdict = (...rs: Parameters<typeof checkHistory>[0][number][]) => checkHistory(rs).verdict;

describe('hand-made histories', () => {
  it('sequential write then read is linearizable; stale read is not', () => {
    expect(verdict(put(0, 'a', 0, 10), get(1, 'a', 20, 30))).toBe('linearizable');
    expect(verdict(put(0, 'a', 0, 10), put(0, 'b', 11, 15), get(1, 'a', 20, 30))).toBe('not-linearizable');
  });
  it('overlapping writes may take effect in either order', () => {
    const w1 = put(0, 'a', 0, 100);
    const w2 = put(1, 'b', 10, 90);
    expect(verdict(w1, w2, get(2, 'a', 110, 120))).toBe('linearizable');
    expect(verdict(put(0, 'a', 0, 100), put(1, 'b', 10, 90), get(2, 'b', 110, 120))).toBe('linearizable');
    // Two reads after both writes disagree: impossible.
    expect(verdict(put(0, 'a', 0, 100), put(1, 'b', 10, 90), get(2, 'b', 110, 120), get(3, 'a', 130, 140))).toBe('not-linearizable');
  });
  it('a read of a never-written value fails; the initial value reads as missing', () => {
    expect(verdict(get(0, 'zz', 0, 10))).toBe('not-linearizable');
    expect(verdict(get(0, null, 0, 10), put(1, 'a', 20, 30))).toBe('linearizable');
    expect(verdict(put(1, 'a', 0, 5), get(0, null, 10, 20))).toBe('not-linearizable');
    expect(checkHistory([get(0, '', 0, 10)], { missingValue: '' }).verdict).toBe('linearizable');
  });
  it('indeterminate writes may take effect late, or never', () => {
    expect(verdict(put(0, 'a', 0, 10), put(1, 'b', 5, null, 'indeterminate'), get(2, 'a', 100, 110), get(2, 'b', 200, 210))).toBe('linearizable');
    expect(verdict(put(0, 'a', 0, 10), put(1, 'b', 5, null, 'indeterminate'), get(2, 'a', 100, 110))).toBe('linearizable');
    // ...but at most once: b, then a, then b again is impossible.
    expect(
      verdict(put(0, 'a', 0, 10), put(1, 'b', 5, null, 'indeterminate'), get(2, 'b', 20, 30), put(0, 'a', 40, 50), get(2, 'b', 60, 70)),
    ).toBe('not-linearizable');
    // ...and not before it was invoked.
    expect(verdict(get(2, 'b', 0, 10), put(1, 'b', 20, null, 'indeterminate'))).toBe('not-linearizable');
  });
  it('reads that timed out and failed writes constrain nothing', () => {
    expect(verdict(put(0, 'a', 0, 10), op({ client: 1, op: 'get', value: 'zz', invokeUs: 20, completeUs: null, outcome: 'indeterminate' }))).toBe('linearizable');
    expect(verdict(put(0, 'a', 0, 10), put(1, 'b', 12, 15, 'failed'), get(2, 'a', 20, 30))).toBe('linearizable');
  });
  it('failed cas means the comparison failed', () => {
    expect(verdict(put(0, 'a', 0, 10), cas(1, 'a', 'b', 20, 30, 'failed'))).toBe('not-linearizable');
    expect(verdict(put(0, 'a', 0, 10), cas(1, 'x', 'b', 20, 30, 'failed'), get(2, 'a', 40, 50))).toBe('linearizable');
    expect(verdict(put(0, 'a', 0, 10), cas(1, 'a', 'b', 20, 30), get(2, 'b', 40, 50))).toBe('linearizable');
    expect(verdict(put(0, 'a', 0, 10), cas(1, 'c', 'b', 20, 30))).toBe('not-linearizable');
  });
  it('equal timestamps count as concurrent', () => {
    expect(verdict(put(0, 'a', 0, 10), get(1, 'a', 10, 20), put(0, 'b', 10, 20))).toBe('linearizable');
    expect(verdict(put(0, 'a', 0, 10), put(0, 'b', 11, 20), get(1, 'a', 20, 30))).toBe('linearizable');
    expect(verdict(put(0, 'a', 0, 10), put(0, 'b', 11, 19), get(1, 'a', 20, 30))).toBe('not-linearizable');
  });
  it('append concatenates; keys are independent', () => {
    expect(checkHistory([append(0, 'x', 0, 10), append(1, 'y', 0, 10), get(2, 'yx', 20, 30)], { missingValue: '' }).verdict).toBe('linearizable');
    expect(checkHistory([append(0, 'x', 0, 10), append(1, 'y', 11, 15), get(2, 'yx', 20, 30)], { missingValue: '' }).verdict).toBe('not-linearizable');
    const r = checkHistory([put(0, 'a', 0, 10), op({ client: 1, op: 'put', key: 'other', value: 'b', invokeUs: 0, completeUs: 10 }), get(2, 'b', 20, 30)]);
    expect(r.verdict).toBe('not-linearizable');
    expect(r.keys).toBe(2);
    expect(r.explanation?.key).toBe('k');
  });
  it('operations that never complete but succeeded must take effect by the end', () => {
    const r = checkHistory([cas(0, 'a', 'b', 0, null, 'failed'), get(1, null, 5, 10)]);
    expect(r.verdict).toBe('linearizable');
  });
  it('a write into a value nobody reads may count as done then, or be linearized later', () => {
    // "q" is never read: the append of "a" called while the key holds it may take effect there
    // and vanish. Then one "a" after the put of "" explains both reads.
    const h = [put(0, 'q', 0, 1), append(1, 'a', 2, 100), put(0, '', 3, 4), append(2, 'a', 5, 100), get(3, 'a', 6, 7), get(3, 'a', 101, 102)];
    expect(checkHistory(h, { missingValue: '' }).verdict).toBe('linearizable');
    // Called only after "q" was overwritten, the first append must land after the put of "": "aa".
    const late = [put(0, 'q', 0, 1), put(0, '', 3, 4), append(1, 'a', 5, 100), append(2, 'a', 5, 100), get(3, 'a', 6, 7), get(3, 'a', 101, 102)];
    expect(checkHistory(late, { missingValue: '' }).verdict).toBe('not-linearizable');
    expect(bruteForceLinearizable(h, '')).toBe(true);
    expect(bruteForceLinearizable(late, '')).toBe(false);
  });
  it('a deadline gives unknown', () => {
    // Concurrent puts, each read by a concurrent get: every order of the puts is open.
    const ops = [];
    for (let i = 0; i < 40; i++) ops.push(put(i, `v${i}`, 0, 1000), get(100 + i, `v${i}`, 0, 1000));
    ops.push(get(99, 'nope', 2000, 2001));
    expect(checkHistory(ops, { deadline: () => true }).verdict).toBe('unknown');
  });
  it('a memory budget gives unknown, not a crash', () => {
    const ops = [];
    for (let i = 0; i < 14; i++) ops.push(put(i, `<${i}>`, 0, 1000), get(100 + i, `<${i}>`, 0, 1000));
    ops.push(get(99, 'nope', 2000, 2001));
    const lin = ops.map((r) => ({ input: r, output: r, invokeUs: r.invokeUs, completeUs: r.completeUs, optional: false }));
    const r = searchLinearizable(kvModel(''), lin, { maxConfigs: 1000 });
    expect(r.verdict).toBe('unknown');
  });
  it('explains a stale read with a small window', () => {
    const r = checkHistory([put(0, 'a', 0, 10), put(1, 'b', 20, 30), get(2, 'c', 25, 27), put(1, 'c', 26, 28), get(3, 'a', 40, 50), put(0, 'd', 60, 70)]);
    expect(r.verdict).toBe('not-linearizable');
    const ex = r.explanation!;
    expect(ex.failing.value).toBe('a');
    expect(ex.window.length).toBeLessThanOrEqual(3);
    expect(ex.text).toContain('◀ fails');
  });
});
