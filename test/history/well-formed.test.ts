// The checkers' entry assertion: a history built wrongly (by the engine, a parser, a test) is a
// found bug, reported as an AssertionError before any verdict is drawn from it.
import { describe, expect, it } from 'vitest';
import { assertHistoryWellFormed, type OpRecord } from '../../src/history/op.js';
import { checkHistory } from '../../src/check/linearizability.js';
import { checkEventual } from '../../src/check/eventual.js';
import { AssertionError } from '../../src/base/assert.js';

const put = (id: number, invokeUs: number, completeUs: number | null, outcome: OpRecord['outcome'] = 'ok'): OpRecord => ({
  id,
  client: id,
  op: 'put',
  key: 'k',
  value: `v${id}`,
  invokeUs,
  completeUs,
  outcome,
});

describe('assertHistoryWellFormed', () => {
  it('accepts a well-formed history, pending operations included', () => {
    expect(() => assertHistoryWellFormed([put(1, 0, 5), put(2, 3, null, 'indeterminate'), put(3, 6, 6)])).not.toThrow();
  });

  it('refuses a repeated id, a completion before the invocation, an ok without completion', () => {
    expect(() => assertHistoryWellFormed([put(1, 0, 5), put(1, 6, 9)])).toThrow(/id 1 appears twice/);
    expect(() => assertHistoryWellFormed([put(1, 5, 4)])).toThrow(/completes \(4us\) before it is invoked \(5us\)/);
    expect(() => assertHistoryWellFormed([put(1, 5, null, 'ok')])).toThrow(/ok but has no completion/);
    expect(() => assertHistoryWellFormed([put(1, 5, 4)])).toThrow(AssertionError);
  });

  it('guards both history checkers', () => {
    const bad = [put(1, 5, 4)];
    expect(() => checkHistory(bad)).toThrow(AssertionError);
    expect(() => checkEventual({ history: bad, committed: [] })).toThrow(AssertionError);
  });
});
