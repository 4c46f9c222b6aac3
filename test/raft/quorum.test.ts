// Majority math: the quorum value is the largest value a majority of voters have reached.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { majority, quorumValue } from '../../src/raft/quorum.js';

/** The definition, spelled out: sort descending, take the majority-th. */
function reference(values: readonly number[]): number {
  if (values.length === 0) return 0;
  return [...values].sort((a, b) => b - a)[majority(values.length) - 1]!;
}

describe('quorumValue', () => {
  it('is the value a majority has reached, for every voter count (the median-of-three path included)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 9 }), (values) => {
        expect(quorumValue(values)).toBe(reference(values));
      }),
      { numRuns: 2000 },
    );
    expect(quorumValue([5, 1, 3])).toBe(3);
    expect(quorumValue([7, 7, 2])).toBe(7);
    expect(quorumValue([1, 9, 4, 4, 8])).toBe(4);
  });
});
