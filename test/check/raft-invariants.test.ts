// The online Raft oracle on hand-written event sequences: each rule fires on the event that
// breaks it and stays quiet on the legal variant next to it.
import { describe, expect, it } from 'vitest';
import { checkRaftEvents, RaftInvariantChecker } from '../../src/check/raft-invariants.js';
import type { RaftEvent } from '../../src/trace/events-raft.js';

const elected = (replica: string, term: number, t = 1): RaftEvent => ({ t, group: 0, replica, type: 'raft.elected', term, lastIndex: 3, commit: 1, digest: [] });
const commit = (replica: string, term: number, from: number, terms: number[], t = 2): RaftEvent => ({
  t,
  group: 0,
  replica,
  type: 'raft.commit',
  term,
  from,
  to: from + terms.length - 1,
  hashes: terms.map((_, i) => 1000 + from + i),
  terms,
});

describe('commit rule (§5.4.2)', () => {
  it('a leader committing up to an entry of its own term is fine, older entries included', () => {
    expect(checkRaftEvents([elected('a', 3), commit('a', 3, 2, [2, 3])])).toBe(null);
  });

  it('a leader committing up to an entry of an older term by counting is a violation', () => {
    const v = checkRaftEvents([elected('a', 3), commit('a', 3, 2, [2, 2])]);
    expect(v?.check).toBe('commit-rule');
    expect(v?.message).toContain('a, leader of term 3, committed up to index 3 of term 2');
    expect(v?.events.map((e) => e.type)).toEqual(['raft.commit', 'raft.elected']);
  });

  it('a follower learning a commit index on an older-term entry is fine', () => {
    expect(checkRaftEvents([elected('a', 3), commit('b', 3, 2, [2, 2])])).toBe(null);
  });

  it('a replica that led an earlier term is judged by the term it commits in', () => {
    // b led term 2; in term 3 (led by a) it is a follower and may learn commits of term-2 entries.
    expect(checkRaftEvents([elected('b', 2), elected('a', 3, 5), commit('b', 3, 2, [2, 2], 6)])).toBe(null);
  });
});

describe('read safety across processes (a clock uncertainty)', () => {
  const readRequest = (t: number): RaftEvent => ({ t, group: 0, replica: 'b', type: 'raft.read-request', requestId: 'b/1', mode: 'index' });
  const read = (t: number, index: number): RaftEvent => ({ t, group: 0, replica: 'b', type: 'raft.read', requestId: 'b/1', ok: true, index, mode: 'index', term: 3 });
  const run = (commitT: number, uncertaintyUs: number) => {
    const oracle = new RaftInvariantChecker({ clockUncertaintyUs: uncertaintyUs });
    for (const e of [elected('a', 3), commit('a', 3, 2, [3, 3], commitT), readRequest(10_000), read(10_050, 1)]) if (oracle.observe(e) !== null) break;
    return oracle.violation;
  };

  it('one clock: a read served below an index committed 300 µs before it was asked is a violation', () => {
    expect(run(9_700, 0)?.check).toBe('read-safety');
  });

  it('host clocks that agree to 1 ms: the same 300 µs are too close to order, 3 ms are not', () => {
    expect(run(9_700, 1_000)).toBe(null);
    const v = run(7_000, 1_000);
    expect(v?.check).toBe('read-safety');
    expect(v?.message).toContain('index 3 was committed before the read was asked');
  });
});
