// The two searches (breadth-first over events, depth-first with Lowe's cache) and their
// interleaving agree with each other and with a brute-force checker on small random histories
// full of timed-out writes and cas; the depth-first failing return yields explanation windows
// that are themselves violations. Runs: KVSIM_PROP_RUNS (default 60; the tests multiply it).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkHistory, modelFor, toLinOps } from '../../src/check/linearizability.js';
import { searchLinearizable, type SearchStrategy } from '../../src/check/lin-search.js';
import type { OpRecord } from '../../src/history/op.js';
import { bruteForceLinearizable } from './lin-helpers.js';

const RUNS = Number(process.env.KVSIM_PROP_RUNS ?? 60);
const STRATEGIES: SearchStrategy[] = ['bfs', 'dfs', 'auto'];

// Register operations with every outcome; a third of the writes and cas time out (they may
// take effect at any moment after their call, or never).
const regOp = fc.record({
  client: fc.nat(4),
  op: fc.constantFrom<OpRecord['op']>('put', 'put', 'get', 'get', 'cas', 'cas'),
  value: fc.constantFrom('1', '2', '3'),
  read: fc.constantFrom<string | null>('1', '2', '3', null),
  expect: fc.constantFrom<string | null>('1', '2', null),
  key: fc.constantFrom('k', 'k', 'k', 'j'),
  invokeUs: fc.nat(30),
  len: fc.nat(25),
  outcome: fc.constantFrom<OpRecord['outcome']>('ok', 'ok', 'failed', 'indeterminate', 'indeterminate'),
});
const regHistory = (maxLength: number) =>
  fc.array(regOp, { minLength: 1, maxLength }).map((xs) =>
    xs.map((x, i): OpRecord => {
      const outcome = x.op === 'get' ? (x.outcome === 'indeterminate' ? 'ok' : x.outcome) : x.outcome;
      return {
        id: i,
        client: x.client,
        op: x.op,
        key: x.key,
        value: x.op === 'get' ? x.read : x.value,
        ...(x.op === 'cas' ? { expect: x.expect } : {}),
        invokeUs: x.invokeUs,
        completeUs: outcome === 'indeterminate' ? null : x.invokeUs + x.len,
        outcome,
      };
    }),
  );

function verdictOf(h: OpRecord[], strategy: SearchStrategy): string {
  return checkHistory(h, { explain: false, strategy }).verdict;
}

describe('breadth-first and depth-first searches agree', () => {
  it('with brute force, on small histories with timed-out writes and cas', () => {
    fc.assert(
      fc.property(regHistory(7), (h) => {
        const want = bruteForceLinearizable(h) ? 'linearizable' : 'not-linearizable';
        for (const s of STRATEGIES) expect([s, verdictOf(h, s)]).toEqual([s, want]);
      }),
      { numRuns: RUNS * 30 },
    );
  });

  it('with each other, on larger histories (beyond brute force)', () => {
    fc.assert(
      fc.property(regHistory(40), (h) => {
        const bfs = verdictOf(h, 'bfs');
        expect(verdictOf(h, 'dfs')).toBe(bfs);
        expect(verdictOf(h, 'auto')).toBe(bfs);
      }),
      { numRuns: RUNS * 10 },
    );
  });

  it('the depth-first failing return lies at or after the breadth-first one', () => {
    // Breadth-first prunes dead reads early, so it may stop at an earlier return; depth-first
    // reports the furthest frontier any configuration reached, which no configuration passes.
    const model = modelFor({ model: 'kv' });
    fc.assert(
      fc.property(regHistory(12), (h) => {
        const ops = toLinOps(h).filter((o) => o.input.key === 'k');
        const bfs = searchLinearizable(model, ops, { strategy: 'bfs' });
        const dfs = searchLinearizable(model, ops, { strategy: 'dfs' });
        expect(dfs.verdict).toBe(bfs.verdict);
        if (bfs.verdict !== 'not-linearizable' || dfs.verdict !== 'not-linearizable') return;
        expect(ops[dfs.failOp]!.completeUs).not.toBeNull();
        expect(ops[dfs.failOp]!.completeUs!).toBeGreaterThanOrEqual(ops[bfs.failOp]!.completeUs!);
      }),
      { numRuns: RUNS * 10 },
    );
  });

  it('explanations built from the depth-first verdict are violations themselves', () => {
    fc.assert(
      fc.property(regHistory(7), (h) => {
        const r = checkHistory(h, { strategy: 'dfs' });
        fc.pre(r.verdict === 'not-linearizable');
        const ex = r.explanation!;
        expect(ex.window.some((o) => o.id === ex.failing.id)).toBe(true);
        for (const s of ex.startStates ?? [null]) {
          const t0 = Math.min(...ex.window.map((o) => o.invokeUs));
          const pre: OpRecord[] = s === null ? [] : [{ id: -1, client: -1, op: 'put', key: ex.key, value: s, invokeUs: 0, completeUs: 0, outcome: 'ok' }];
          const moved = ex.window.map((o) => ({ ...o, invokeUs: o.invokeUs - t0 + 1, completeUs: o.completeUs === null ? null : o.completeUs - t0 + 1 }));
          expect(bruteForceLinearizable([...pre, ...moved])).toBe(false);
        }
      }),
      { numRuns: RUNS * 5 },
    );
  });

  it('a configuration budget gives unknown in the depth-first search too', () => {
    // Concurrent puts each read by a concurrent get, then an impossible read: every order of
    // the puts is open, and each order is a different linearized set.
    const h: OpRecord[] = [];
    for (let i = 0; i < 12; i++) {
      h.push({ id: i, client: i, op: 'put', key: 'k', value: `<${i}>`, invokeUs: 0, completeUs: 1000, outcome: 'ok' });
      h.push({ id: 100 + i, client: 100 + i, op: 'get', key: 'k', value: `<${i}>`, invokeUs: 0, completeUs: 1000, outcome: 'ok' });
    }
    h.push({ id: 99, client: 99, op: 'put', key: 'k', value: 'late', invokeUs: 0, completeUs: null, outcome: 'indeterminate' });
    h.push({ id: 98, client: 98, op: 'get', key: 'k', value: 'never', invokeUs: 2000, completeUs: 2001, outcome: 'ok' });
    const ops = toLinOps(h);
    const r = searchLinearizable(modelFor({ model: 'kv' }), ops, { strategy: 'dfs', maxConfigs: 500 });
    expect(r).toMatchObject({ verdict: 'unknown', reason: 'budget' });
    expect(searchLinearizable(modelFor({ model: 'kv' }), ops, { strategy: 'auto', maxConfigs: 500 }).verdict).toBe('unknown');
  });
});
