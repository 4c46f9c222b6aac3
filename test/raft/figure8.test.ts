// The Raft paper's Figure 8, built step by step on the test cluster: an entry of an older term
// that is on a majority is not committed, because a later leader may still overwrite it.
import { describe, expect, it } from 'vitest';
import type { RaftCheckName } from '../../src/check/raft-invariants.js';
import { Cluster, OracleError } from './harness.js';

function figure8(bugs: string[], skipChecks: RaftCheckName[] = []): { cluster: Cluster; error: OracleError | null } {
  const c = new Cluster({ ids: ['a', 'b', 'c', 'd', 'e'], bugs, skipChecks, config: { preVote: false, checkQuorum: false, maxEntriesPerMsg: 1 } });
  try {
    // (a) a leads term 1 and replicates index 2 only to b, then crashes.
    c.campaign('a');
    c.settle();
    expect(c.r('a').role).toBe('leader');
    c.partition(['a', 'b'], ['c', 'd', 'e']);
    c.r('a').propose('x');
    c.drain('a');
    c.settle();
    expect(c.r('b').lastIndex).toBe(2);
    c.crash('a');
    c.heal();
    // (b) e leads term 2 with votes from c and d, writes index 2 (term 2) locally, crashes.
    c.partition(['b'], ['c', 'd', 'e']);
    expect(c.elect('e')).toBe(true);
    c.sync('e');
    c.net = c.net.filter((m) => m.from !== 'e');
    expect(c.r('e').termAt(2)).toBe(c.r('e').currentTerm);
    c.crash('e');
    c.heal();
    // (c) a restarts, leads term 3 (votes b, c, d) and gets index 2 (term 1) onto c.
    c.restart('a');
    c.partition(['a', 'b', 'c'], ['d', 'e']);
    expect(c.elect('a')).toBe(true);
    // Stop the moment a learns that c holds index 2 — before its own-term no-op reaches c.
    expect(c.deliverUntil(() => (c.r('a').progressOf('c')?.match ?? 0) >= 2)).toBe(true);
    c.sync('a');
    const committedEarly = c.r('a').commitIndex >= 2 && c.r('c').lastIndex === 2;
    c.crash('a');
    c.net = c.net.filter((m) => m.from !== 'a');
    c.heal();
    // (d) e restarts and, with votes from c and d, leads term 4: it overwrites index 2.
    c.restart('e');
    c.partition(['c', 'd', 'e'], ['a', 'b']);
    expect(c.elect('e')).toBe(true);
    c.settle();
    expect(committedEarly).toBe(bugs.includes('commit-previous-term'));
    return { cluster: c, error: null };
  } catch (e) {
    if (e instanceof OracleError) return { cluster: c, error: e };
    throw e;
  }
}

describe('§5.4.2 Figure 8 on a 5-replica cluster', () => {
  it('without the bug: index 2 is not committed in term 3, e may overwrite it, and the oracle is satisfied', () => {
    const { cluster, error } = figure8([]);
    expect(error).toBe(null);
    expect(cluster.oracle.violation).toBe(null);
    expect(cluster.r('e').role).toBe('leader');
    expect(cluster.r('c').termAt(2)).toBe(2); // e's entry won, and that is fine: it was never committed
  });

  it('with commit-previous-term: the oracle flags the early commit itself (commit rule)', () => {
    const { error } = figure8(['commit-previous-term']);
    expect(error).not.toBe(null);
    expect(error!.violation.check).toBe('commit-rule');
    expect(error!.violation.message).toContain('a, leader of term 3, committed up to index 2 of term 1');
  });

  it('with commit-previous-term and the commit rule unchecked: the overwrite is caught (leader completeness)', () => {
    const { error } = figure8(['commit-previous-term'], ['commit-rule']);
    expect(error).not.toBe(null);
    expect(error!.violation.check).toBe('leader-completeness');
  });
});
