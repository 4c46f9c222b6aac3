// Property tests: generated histories from sequential executions, injected stale reads,
// agreement with a brute-force checker, and explanation windows. Runs: KVSIM_PROP_RUNS.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkHistory } from '../../src/check/linearizability.js';
import type { OpRecord } from '../../src/history/op.js';
import { bruteForceLinearizable } from './lin-helpers.js';

const RUNS = Number(process.env.KVSIM_PROP_RUNS ?? 60);

interface Step {
  client: number;
  kind: 'put' | 'get' | 'append';
  key: number;
  value: number;
  /** how far before its linearization point the op is invoked, and after it completes */
  before: number;
  after: number;
  timedOut: boolean;
}

const stepArb = fc.record({
  client: fc.nat(4),
  kind: fc.constantFrom<Step['kind']>('put', 'get', 'get', 'append'),
  key: fc.nat(2),
  value: fc.nat(5),
  before: fc.nat(30),
  after: fc.nat(30),
  timedOut: fc.boolean(),
});

/**
 * Runs the steps sequentially on a map (the linearization point of step i is 10*i+10) and
 * widens each interval around its point: always linearizable. Per client, intervals do not
 * overlap (a client's next op is invoked after its previous one completed).
 */
function sequentialHistory(steps: Step[], allowTimeouts: boolean): OpRecord[] {
  const state = new Map<string, string>();
  const clientFree = new Map<number, number>();
  const out: OpRecord[] = [];
  steps.forEach((s, i) => {
    const point = 10 * i + 10;
    const key = `k${s.key}`;
    const free = clientFree.get(s.client) ?? 0;
    const client = free <= point - 1 ? s.client : 100 + i; // a fresh client if busy
    const invokeUs = Math.max(client === s.client ? free : 0, point - s.before);
    const completeUs = point + s.after;
    const r: OpRecord = { id: i, client, op: s.kind, key, invokeUs, completeUs, outcome: 'ok' };
    if (s.kind === 'get') r.value = state.get(key) ?? null;
    else if (s.kind === 'put') {
      r.value = `v${s.value}.${i}`;
      state.set(key, r.value);
    } else {
      r.value = `<${i}>`;
      state.set(key, (state.get(key) ?? '') + r.value);
    }
    if (allowTimeouts && s.timedOut && s.kind !== 'get') {
      r.outcome = 'indeterminate';
      r.completeUs = null;
      clientFree.set(client, Infinity);
    } else clientFree.set(client, completeUs + 1);
    out.push(r);
  });
  return out;
}

describe('linearizability properties', () => {
  it('histories from a sequential execution are linearizable', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { minLength: 1, maxLength: 60 }), fc.boolean(), (steps, timeouts) => {
        expect(checkHistory(sequentialHistory(steps, timeouts)).verdict).toBe('linearizable');
      }),
      { numRuns: RUNS },
    );
  });

  it('a read of a value overwritten before the read began makes them non-linearizable', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { minLength: 2, maxLength: 40 }), fc.nat(), (steps, pick) => {
        const h = sequentialHistory(steps, false);
        // Two completed puts on one key, the second invoked after the first completed.
        const puts = h.filter((r) => r.op === 'put');
        const pairs: [OpRecord, OpRecord][] = [];
        for (const a of puts) for (const b of puts) if (a.key === b.key && b.invokeUs > a.completeUs! && a.value !== b.value) pairs.push([a, b]);
        fc.pre(pairs.length > 0);
        const [a, b] = pairs[pick % pairs.length]!;
        // Later writes of a's value would make the read legal again; values are unique here.
        const t = b.completeUs! + 1;
        h.push({ id: 10_000, client: 999, op: 'get', key: a.key, value: a.value!, invokeUs: t, completeUs: t + 5, outcome: 'ok' });
        expect(checkHistory(h).verdict).toBe('not-linearizable');
      }),
      { numRuns: RUNS },
    );
  });

  // Crash-like windows: intervals up to 40 steps wide, so dozens of writes overlap and most
  // of their values are never read (the shape that used to exhaust the budget).
  const wideStepArb = fc.record({
    client: fc.nat(40),
    kind: fc.constantFrom<Step['kind']>('put', 'put', 'get', 'append'),
    key: fc.nat(1),
    value: fc.nat(5),
    before: fc.nat(400),
    after: fc.nat(400),
    timedOut: fc.boolean(),
  });

  it('wide overlapping writes from a sequential execution are linearizable, and decided', () => {
    fc.assert(
      fc.property(fc.array(wideStepArb, { minLength: 1, maxLength: 80 }), fc.boolean(), (steps, timeouts) => {
        expect(checkHistory(sequentialHistory(steps, timeouts), { maxConfigs: 200_000 }).verdict).toBe('linearizable');
      }),
      { numRuns: RUNS },
    );
  });

  it('a stale read after wide overlapping writes is caught', () => {
    fc.assert(
      fc.property(fc.array(wideStepArb, { minLength: 2, maxLength: 80 }), fc.nat(), (steps, pick) => {
        const h = sequentialHistory(steps, false);
        const puts = h.filter((r) => r.op === 'put');
        const pairs: [OpRecord, OpRecord][] = [];
        for (const a of puts) for (const b of puts) if (a.key === b.key && b.invokeUs > a.completeUs! && a.value !== b.value) pairs.push([a, b]);
        fc.pre(pairs.length > 0);
        const [a, b] = pairs[pick % pairs.length]!;
        const t = b.completeUs! + 1;
        h.push({ id: 10_000, client: 999, op: 'get', key: a.key, value: a.value!, invokeUs: t, completeUs: t + 5, outcome: 'ok' });
        expect(checkHistory(h, { maxConfigs: 200_000 }).verdict).toBe('not-linearizable');
      }),
      { numRuns: RUNS },
    );
  });

  const smallOp = fc.record({
    client: fc.nat(3),
    op: fc.constantFrom<OpRecord['op']>('put', 'get', 'cas', 'append'),
    value: fc.constantFrom('a', 'b', ''),
    expect: fc.constantFrom<string | null>('a', 'b', null),
    invokeUs: fc.nat(20),
    len: fc.nat(12),
    outcome: fc.constantFrom<OpRecord['outcome']>('ok', 'ok', 'ok', 'failed', 'indeterminate'),
  });
  const smallHistory = fc.array(smallOp, { minLength: 1, maxLength: 6 }).map((xs) =>
    xs.map((x, i): OpRecord => {
      // A read has no indeterminate form that constrains anything: it is an ok read instead.
      const outcome = x.op === 'get' && x.outcome === 'indeterminate' ? 'ok' : x.outcome;
      return {
        id: i,
        client: x.client,
        op: x.op,
        key: 'k',
        value: x.op === 'get' && x.value === '' ? null : x.value,
        ...(x.op === 'cas' ? { expect: x.expect } : {}),
        invokeUs: x.invokeUs,
        completeUs: outcome === 'indeterminate' ? null : x.invokeUs + x.len,
        outcome,
      };
    }),
  );

  it('agrees with a brute-force checker on small random histories', () => {
    fc.assert(
      fc.property(smallHistory, (h) => {
        const fast = checkHistory(h, { explain: false }).verdict === 'linearizable';
        expect(fast).toBe(bruteForceLinearizable(h));
      }),
      { numRuns: RUNS * 10 },
    );
  });

  // Many overlapping blind writes: puts of values no read returns (c..f), appends whose text
  // no read contains (x), cas of every outcome, missing key as null or "". The search merges
  // unobserved values and absorbs operations; brute force knows nothing of that.
  const blindOp = fc.record({
    client: fc.nat(5),
    op: fc.constantFrom<OpRecord['op']>('put', 'put', 'put', 'get', 'get', 'append', 'cas'),
    put: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', ''),
    read: fc.constantFrom<string | null>('a', 'b', null, '', 'ab', 'ba', 'xa'),
    app: fc.constantFrom('a', 'b', 'x', 'y'),
    expect: fc.constantFrom<string | null>('a', 'c', null),
    invokeUs: fc.nat(12),
    len: fc.nat(40),
    outcome: fc.constantFrom<OpRecord['outcome']>('ok', 'ok', 'ok', 'ok', 'failed', 'indeterminate'),
  });
  const blindHistory = fc.array(blindOp, { minLength: 1, maxLength: 8 }).map((xs) =>
    xs.map((x, i): OpRecord => {
      const value = x.op === 'get' ? x.read : x.op === 'append' ? x.app : x.put;
      const outcome = x.op === 'get' ? 'ok' : x.outcome;
      return {
        id: i,
        client: x.client,
        op: x.op,
        key: 'k',
        value,
        ...(x.op === 'cas' ? { expect: x.expect } : {}),
        invokeUs: x.invokeUs,
        completeUs: outcome === 'indeterminate' ? null : x.invokeUs + x.len,
        outcome,
      };
    }),
  );

  it('agrees with brute force on overlapping blind writes and unobserved appends', () => {
    fc.assert(
      fc.property(blindHistory, fc.constantFrom<string | null>(null, ''), (h, missing) => {
        const fast = checkHistory(h, { explain: false, missingValue: missing }).verdict === 'linearizable';
        expect(fast).toBe(bruteForceLinearizable(h, missing));
      }),
      { numRuns: RUNS * 30 },
    );
  });

  it('agrees with brute force on blind writes without cas (unobserved value is the bottom state)', () => {
    const noCas = blindHistory.map((h) => h.filter((r) => r.op !== 'cas'));
    fc.assert(
      fc.property(noCas, fc.constantFrom<string | null>(null, ''), (h, missing) => {
        fc.pre(h.length > 0);
        const fast = checkHistory(h, { explain: false, missingValue: missing }).verdict === 'linearizable';
        expect(fast).toBe(bruteForceLinearizable(h, missing));
      }),
      { numRuns: RUNS * 30 },
    );
  });

  it('the explanation window is small and itself not linearizable', () => {
    fc.assert(
      fc.property(smallHistory, (h) => {
        const r = checkHistory(h);
        fc.pre(r.verdict === 'not-linearizable');
        const ex = r.explanation!;
        expect(ex.window.length).toBeLessThanOrEqual(h.length);
        expect(ex.window.some((o) => o.id === ex.failing.id)).toBe(true);
        // From each state the earlier history allows, the window alone has no linearization.
        for (const s of ex.startStates ?? [null]) {
          const shifted = ex.window.map((o) => ({ ...o }));
          // Express the start state as a put that finishes before everything in the window.
          const t0 = Math.min(...shifted.map((o) => o.invokeUs));
          const pre: OpRecord[] = s === null ? [] : [{ id: -1, client: -1, op: 'put', key: 'k', value: s, invokeUs: 0, completeUs: 0, outcome: 'ok' }];
          const moved = shifted.map((o) => ({ ...o, invokeUs: o.invokeUs - t0 + 1, completeUs: o.completeUs === null ? null : o.completeUs - t0 + 1 }));
          expect(bruteForceLinearizable([...pre, ...moved])).toBe(false);
        }
      }),
      { numRuns: RUNS * 10 },
    );
  });
});
