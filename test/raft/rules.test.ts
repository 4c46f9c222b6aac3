// One replica driven message by message; each test is named after the rule it checks.
import { describe, expect, it } from 'vitest';
import { leaseDurationUs, defaultRaftConfig } from '../../src/raft/config.js';
import type { AppendRequest } from '../../src/raft/messages.js';
import { RaftReplica } from '../../src/raft/replica.js';
import { FixedRng } from './harness.js';
import { base, electLeader, ent, mk, msgs, ofType, storedLog, ticks } from './util.js';

describe('§5.1 terms', () => {
  it('a message with a higher term turns any role into a follower of that term, clearing the vote', () => {
    const r = mk('a');
    electLeader(r);
    expect(r.role).toBe('leader');
    r.step({ ...base('c', 'a', 9), type: 'heartbeat', commit: 0, round: 1 });
    const rd = r.ready();
    expect(r.role).toBe('follower');
    expect(r.currentTerm).toBe(9);
    expect(r.votedFor).toBe(null);
    expect(r.leader).toBe('c');
    expect(rd.persist?.hardState).toEqual({ term: 9, vote: null, commit: 0 });
  });

  it('a request with a stale term is rejected and answered with the current term', () => {
    const r = mk('a', { stored: storedLog([1, 1], 3) });
    r.step({ ...base('b', 'a', 2), type: 'append', prevIndex: 2, prevTerm: 1, entries: [ent(3, 2)], commit: 2 });
    const rd = r.ready();
    expect(r.lastIndex).toBe(2);
    expect(msgs(rd)).toEqual([
      { ...base('a', 'b', 3), type: 'append-resp', success: false, matchIndex: 0, rejectedIndex: 0, hintIndex: 0, hintTerm: 0 },
    ]);
  });

  it('a follower that hears from a second leader in its term asserts (election safety, seen by one replica)', () => {
    const r = mk('a', { stored: storedLog([], 3) });
    r.step({ ...base('b', 'a', 3), type: 'heartbeat', commit: 0, round: 1 });
    expect(r.leader).toBe('b');
    // The same leader again is fine; another one in the same term cannot exist.
    r.step({ ...base('b', 'a', 3), type: 'heartbeat', commit: 0, round: 2 });
    expect(() => r.step({ ...base('c', 'a', 3), type: 'heartbeat', commit: 0, round: 1 })).toThrow(
      /assertion: two leaders in term 3: a follows b and hears from c/,
    );
  });

  it('with accept-stale-term planted, a deposed leader’s heartbeat is handled as current and trips that assertion', () => {
    const r = mk('a', { stored: storedLog([], 3), bugs: ['accept-stale-term'] });
    r.step({ ...base('b', 'a', 3), type: 'heartbeat', commit: 0, round: 1 });
    expect(() => r.step({ ...base('c', 'a', 2), type: 'heartbeat', commit: 0, round: 1 })).toThrow(/two leaders in term 3/);
  });

  it('a stale vote request is refused with our term, for the candidate to update itself (Figure 2)', () => {
    const r = mk('a', { stored: storedLog([], 3), config: { preVote: false } });
    r.step({ ...base('b', 'a', 2), type: 'vote', pre: false, lastIndex: 9, lastTerm: 2, transfer: false });
    const rd = r.ready();
    expect(r.votedFor).toBe(null);
    expect(r.currentTerm).toBe(3);
    expect(ofType(rd, 'vote-resp')).toEqual([{ ...base('a', 'b', 3), type: 'vote-resp', pre: false, granted: false }]);
  });
});

describe('§5.2 leader election', () => {
  it('after the election timeout a follower starts a pre-vote for term+1 without changing its term', () => {
    const r = mk('a');
    const rds = ticks(r, 10);
    expect(rds.slice(0, 9).every((rd) => rd.messages.length === 0)).toBe(true);
    const rd = rds[9]!;
    expect(r.role).toBe('precandidate');
    expect(r.currentTerm).toBe(0);
    expect(rd.persist).toBe(null);
    expect(msgs(rd)).toEqual([
      { ...base('a', 'b', 1), type: 'vote', pre: true, lastIndex: 0, lastTerm: 0, transfer: false },
      { ...base('a', 'c', 1), type: 'vote', pre: true, lastIndex: 0, lastTerm: 0, transfer: false },
    ]);
  });

  it('a won pre-vote starts the real election: term+1, vote for self, persisted before the requests leave', () => {
    const r = mk('a');
    ticks(r, 10);
    r.step({ ...base('b', 'a', 1), type: 'vote-resp', pre: true, granted: true });
    const rd = r.ready();
    expect(r.role).toBe('candidate');
    expect(r.currentTerm).toBe(1);
    expect(r.votedFor).toBe('a');
    expect(rd.persist?.hardState).toEqual({ term: 1, vote: 'a', commit: 0 });
    const id = rd.persist?.id;
    expect(rd.messages.map((m) => [m.msg.type, m.msg.to, m.afterBatch])).toEqual([
      ['vote', 'b', id],
      ['vote', 'c', id],
    ]);
  });

  it('without PreVote the timeout makes a candidate directly', () => {
    const r = mk('a', { config: { preVote: false } });
    ticks(r, 10);
    expect(r.role).toBe('candidate');
    expect(r.currentTerm).toBe(1);
  });

  it('election timeouts are drawn from the host rng in [E, 2E-1]', () => {
    const seen: [number, number][] = [];
    const r = mk('a');
    const rng = { int: (lo: number, hi: number) => (seen.push([lo, hi]), hi) };
    const r2 = new (r.constructor as typeof import('../../src/raft/replica.js').RaftReplica)({
      config: defaultRaftConfig(1, 'a'),
      rng,
      bootstrap: { voters: ['a', 'b', 'c'], learners: [] },
    });
    r2.ready();
    ticks(r2, 18);
    expect(r2.role).toBe('follower');
    ticks(r2, 1);
    expect(r2.role).toBe('precandidate');
    expect(seen[0]).toEqual([10, 19]);
  });

  it('a refused vote request does not restart the election clock; a granted one does (Figure 2)', () => {
    // With FixedRng('lo') the timeout is E = 10 ticks. b's log is behind a's, so a refuses it.
    const timeoutAfter = (lastTerm: number): number => {
      // checkQuorum off: a restarted voter with it keeps quiet for a timeout (lease stickiness).
      const r = mk('a', { stored: storedLog([1, 2], 2), config: { preVote: false, checkQuorum: false } });
      ticks(r, 6);
      r.step({ ...base('b', 'a', 5), type: 'vote', pre: false, lastIndex: 1, lastTerm, transfer: false });
      r.ready();
      expect(r.currentTerm).toBe(5);
      let n = 0;
      while (r.role === 'follower' && n < 40) (r.tick(), r.ready(), n++);
      return 6 + n;
    };
    expect(timeoutAfter(1)).toBe(10); // refused: campaigns on the original schedule
    expect(timeoutAfter(3)).toBe(16); // granted: waits a full timeout after the vote
  });

  it('a candidate refusing a same-term vote to a better-logged candidate backs off its own clock (no lockstep campaigns)', () => {
    // a's log is behind b's; both campaign in term 2. a's vote is spent on itself, but b could win
    // term 3 where a cannot: a waits a full timeout from b's request before campaigning again.
    const campaignsAfter = (askerLastIndex: number): number => {
      const r = mk('a', { stored: storedLog([1], 1), config: { preVote: false, checkQuorum: false } });
      ticks(r, 10); // a's timeout: candidate of term 2
      expect(r.role).toBe('candidate');
      ticks(r, 5);
      r.step({ ...base('b', 'a', r.currentTerm), type: 'vote', pre: false, lastIndex: askerLastIndex, lastTerm: 1, transfer: false });
      expect(ofType(r.ready(), 'vote-resp')[0]?.granted).toBe(false);
      let n = 0;
      const term = r.currentTerm;
      while (r.currentTerm === term && n < 40) (r.tick(), r.ready(), n++);
      return 5 + n;
    };
    expect(campaignsAfter(0)).toBe(10); // asker's log is worse: a keeps its schedule
    expect(campaignsAfter(3)).toBe(25); // asker's log is better: a backs off from tick 5, one extra timeout
  });

  it('each replica grants at most one vote per term (first come, first served), and repeats it', () => {
    const r = mk('a', { config: { preVote: false } });
    r.step({ ...base('b', 'a', 1), type: 'vote', pre: false, lastIndex: 0, lastTerm: 0, transfer: false });
    let rd = r.ready();
    expect(ofType(rd, 'vote-resp')[0]?.granted).toBe(true);
    expect(rd.persist?.hardState).toEqual({ term: 1, vote: 'b', commit: 0 });
    expect(rd.messages[0]?.afterBatch).toBe(rd.persist?.id);
    r.step({ ...base('c', 'a', 1), type: 'vote', pre: false, lastIndex: 0, lastTerm: 0, transfer: false });
    rd = r.ready();
    expect(ofType(rd, 'vote-resp')[0]?.granted).toBe(false);
    r.step({ ...base('b', 'a', 1), type: 'vote', pre: false, lastIndex: 0, lastTerm: 0, transfer: false });
    rd = r.ready();
    expect(ofType(rd, 'vote-resp')[0]?.granted).toBe(true);
  });

  it('Figure 2: the only voter leads its new term only once that term is durable', () => {
    // Leading a term a crash could forget would let it lead the same term twice, differently.
    const r = mk('a', { peers: ['a'], config: { preVote: false } });
    const rd = ticks(r, 10).find((x) => x.persist?.hardState?.term === 1)!;
    expect(rd.persist?.hardState).toMatchObject({ term: 1, vote: 'a' });
    expect(r.role).toBe('candidate');
    r.persisted(rd.persist!.id);
    expect(r.role).toBe('leader');
    expect(r.currentTerm).toBe(1);
  });

  it('a candidate with votes from a majority becomes leader and appends a no-op of its term', () => {
    const r = mk('a', { peers: ['a', 'b', 'c', 'd', 'e'], config: { preVote: false } });
    const campaign = ticks(r, 10).find((rd) => rd.persist?.hardState?.term === 1)!;
    // The vote requests leave once the new term is durable; answers come after that.
    r.persisted(campaign.persist!.id);
    r.step({ ...base('b', 'a', 1), type: 'vote-resp', pre: false, granted: true });
    expect(r.role).toBe('candidate');
    r.step({ ...base('c', 'a', 1), type: 'vote-resp', pre: false, granted: true });
    const rd = r.ready();
    expect(r.role).toBe('leader');
    expect(r.lastIndex).toBe(1);
    expect(rd.persist?.entries).toEqual([{ kind: 'noop', index: 1, term: 1 }]);
    const apps = ofType(rd, 'append');
    expect(apps.map((m) => m.to)).toEqual(['b', 'c', 'd', 'e']);
    // Every follower starts in probe state at the leader's old last index + 1: the probe carries the no-op.
    expect(apps[0]).toEqual({ ...base('a', 'b', 1), type: 'append', prevIndex: 0, prevTerm: 0, entries: [{ kind: 'noop', index: 1, term: 1 }], commit: 0 });
  });

  it('a candidate rejected by a majority returns to follower', () => {
    const r = mk('a', { config: { preVote: false } });
    ticks(r, 10);
    r.step({ ...base('b', 'a', 1), type: 'vote-resp', pre: false, granted: false });
    r.step({ ...base('c', 'a', 1), type: 'vote-resp', pre: false, granted: false });
    expect(r.role).toBe('follower');
    expect(r.currentTerm).toBe(1);
  });

  it('a split vote times out and retries in a new term', () => {
    const r = mk('a', { peers: ['a', 'b', 'c', 'd'], config: { preVote: false } });
    ticks(r, 10);
    r.step({ ...base('b', 'a', 1), type: 'vote-resp', pre: false, granted: true });
    r.step({ ...base('c', 'a', 1), type: 'vote-resp', pre: false, granted: false });
    expect(r.role).toBe('candidate');
    ticks(r, 10);
    expect(r.role).toBe('candidate');
    expect(r.currentTerm).toBe(2);
  });

  it('granting a vote resets the election timer', () => {
    const r = mk('a', { config: { preVote: false } });
    ticks(r, 9);
    r.step({ ...base('b', 'a', 1), type: 'vote', pre: false, lastIndex: 0, lastTerm: 0, transfer: false });
    r.ready();
    ticks(r, 9);
    expect(r.role).toBe('follower');
  });

  it('a candidate that hears AppendEntries from a leader of its term becomes its follower', () => {
    const r = mk('a', { config: { preVote: false } });
    ticks(r, 10);
    r.step({ ...base('b', 'a', 1), type: 'append', prevIndex: 0, prevTerm: 0, entries: [], commit: 0 });
    expect(r.role).toBe('follower');
    expect(r.leader).toBe('b');
  });
});

describe('§5.3 log replication', () => {
  it('the consistency check rejects an append whose prev entry is missing, with a backtracking hint', () => {
    const r = mk('a', { stored: storedLog([1, 1], 2) });
    r.step({ ...base('b', 'a', 2), type: 'append', prevIndex: 5, prevTerm: 2, entries: [ent(6, 2)], commit: 5 });
    const rd = r.ready();
    expect(msgs(rd)).toEqual([
      { ...base('a', 'b', 2), type: 'append-resp', success: false, matchIndex: 0, rejectedIndex: 5, hintIndex: 2, hintTerm: 1 },
    ]);
  });

  it('the hint skips a whole conflicting term (fast backtracking)', () => {
    // Follower has terms [1,2,2,2,2]; the leader asks about (5, term 3).
    const r = mk('a', { stored: storedLog([1, 2, 2, 2, 2], 3) });
    r.step({ ...base('b', 'a', 4), type: 'append', prevIndex: 5, prevTerm: 3, entries: [], commit: 0 });
    const resp = ofType(r.ready(), 'append-resp')[0]!;
    expect([resp.hintIndex, resp.hintTerm]).toEqual([5, 2]);
    // Leader with terms [1,1,3,3,3] finds its last index with term ≤ 2: index 2, and probes at 3.
    const l = mk('b', { stored: storedLog([1, 1, 3, 3, 3], 3) });
    electLeader(l, 'c');
    l.ready();
    l.step({ ...base('a', 'b', 4), type: 'append-resp', success: false, matchIndex: 0, rejectedIndex: 5, hintIndex: 5, hintTerm: 2 });
    const app = ofType(l.ready(), 'append').find((m) => m.to === 'a')!;
    expect([app.prevIndex, app.prevTerm]).toEqual([2, 1]);
  });

  it('a conflicting entry and everything after it is deleted, then new entries appended', () => {
    const r = mk('a', { stored: storedLog([1, 1, 1], 1) });
    r.step({ ...base('b', 'a', 2), type: 'append', prevIndex: 1, prevTerm: 1, entries: [ent(2, 2, 'x')], commit: 1 });
    const rd = r.ready();
    expect(r.lastIndex).toBe(2);
    expect(r.termAt(2)).toBe(2);
    expect(rd.persist?.truncateFrom).toBe(2);
    expect(rd.persist?.entries).toEqual([ent(2, 2, 'x')]);
    expect(msgs(rd)[0]).toMatchObject({ type: 'append-resp', success: true, matchIndex: 2 });
    expect(rd.messages[0]?.afterBatch).toBe(rd.persist?.id);
  });

  it('entries already present are not truncated by a delayed append (no conflict, no cut)', () => {
    const r = mk('a', { stored: storedLog([1, 1, 1], 1) });
    r.step({ ...base('b', 'a', 1), type: 'append', prevIndex: 0, prevTerm: 0, entries: [ent(1, 1)], commit: 0 });
    const rd = r.ready();
    expect(r.lastIndex).toBe(3);
    expect(rd.persist).toBe(null);
    expect(msgs(rd)[0]).toMatchObject({ type: 'append-resp', success: true, matchIndex: 1 });
  });

  it('a follower commits min(leaderCommit, index of last new entry) and applies in order, exactly once', () => {
    const r = mk('a');
    r.step({ ...base('b', 'a', 1), type: 'append', prevIndex: 0, prevTerm: 0, entries: [ent(1, 1), ent(2, 1)], commit: 5 });
    let rd = r.ready();
    expect(r.commitIndex).toBe(2);
    expect(rd.apply.map((a) => (a.kind === 'entry' ? a.entry.index : -1))).toEqual([1, 2]);
    r.step({ ...base('b', 'a', 1), type: 'append', prevIndex: 2, prevTerm: 1, entries: [ent(3, 1)], commit: 3 });
    rd = r.ready();
    expect(rd.apply.map((a) => (a.kind === 'entry' ? a.entry.index : -1))).toEqual([3]);
    r.step({ ...base('b', 'a', 1), type: 'heartbeat', commit: 3, round: 1 });
    rd = r.ready();
    expect(rd.apply).toEqual([]);
    expect(r.appliedIndex).toBe(3);
  });

  it('the leader commits an entry of its term once a majority (itself only after fsync) has it', () => {
    const r = mk('a');
    const rd0 = electLeader(r);
    expect(r.lastIndex).toBe(1);
    r.step({ ...base('b', 'a', r.currentTerm), type: 'append-resp', success: true, matchIndex: 1, rejectedIndex: 0, hintIndex: 0, hintTerm: 0 });
    r.ready();
    expect(r.commitIndex).toBe(0); // a's own copy is not durable yet
    r.persisted(rd0.persist!.id);
    const rd = r.ready();
    expect(r.commitIndex).toBe(1);
    // The new commit index goes out at once to b (c is a paused probe; its heartbeat will carry it).
    expect(ofType(rd, 'append').map((m) => [m.to, m.commit])).toEqual([['b', 1]]);
  });
});

describe('§5.4 safety', () => {
  it('§5.4.1 a vote is refused to a candidate whose last term is older', () => {
    const r = mk('a', { stored: storedLog([1, 2], 2), config: { preVote: false, checkQuorum: false } });
    r.step({ ...base('b', 'a', 3), type: 'vote', pre: false, lastIndex: 5, lastTerm: 1, transfer: false });
    expect(ofType(r.ready(), 'vote-resp')[0]?.granted).toBe(false);
  });

  it('§5.4.1 a vote is refused to a candidate with the same last term but a shorter log', () => {
    const r = mk('a', { stored: storedLog([1, 2, 2], 2), config: { preVote: false, checkQuorum: false } });
    r.step({ ...base('b', 'a', 3), type: 'vote', pre: false, lastIndex: 2, lastTerm: 2, transfer: false });
    expect(ofType(r.ready(), 'vote-resp')[0]?.granted).toBe(false);
    r.step({ ...base('c', 'a', 3), type: 'vote', pre: false, lastIndex: 3, lastTerm: 2, transfer: false });
    expect(ofType(r.ready(), 'vote-resp')[0]?.granted).toBe(true);
  });

  it('§5.4.2 (Figure 8) a leader does not commit an older-term entry by counting replicas', () => {
    // a was leader of term 2 and wrote (2, term 2); now it leads term 4.
    const r = mk('a', { stored: storedLog([1, 2], 3, null, 1) });
    const rd0 = electLeader(r);
    r.persisted(rd0.persist!.id);
    expect(r.lastIndex).toBe(3); // the no-op of term 4
    r.step({ ...base('b', 'a', 4), type: 'append-resp', success: true, matchIndex: 2, rejectedIndex: 0, hintIndex: 0, hintTerm: 0 });
    r.ready();
    expect(r.commitIndex).toBe(1); // (2, term 2) is on a majority but may still be overwritten
    r.step({ ...base('b', 'a', 4), type: 'append-resp', success: true, matchIndex: 3, rejectedIndex: 0, hintIndex: 0, hintTerm: 0 });
    r.ready();
    expect(r.commitIndex).toBe(3); // committing the no-op commits everything before it
  });

  it('§5.4.2 with the commit-previous-term bug the same leader commits index 2 early', () => {
    const r = mk('a', { stored: storedLog([1, 2], 3, null, 1), bugs: ['commit-previous-term'] });
    const rd0 = electLeader(r);
    r.persisted(rd0.persist!.id);
    r.step({ ...base('b', 'a', 4), type: 'append-resp', success: true, matchIndex: 2, rejectedIndex: 0, hintIndex: 0, hintTerm: 0 });
    r.ready();
    expect(r.commitIndex).toBe(2);
  });
});

describe('§6 client reads', () => {
  it('ReadIndex on a follower is refused with a leader hint', () => {
    const r = mk('a');
    r.step({ ...base('b', 'a', 1), type: 'heartbeat', commit: 0, round: 1 });
    r.ready();
    r.read('q1', 'index');
    expect(r.ready().reads).toEqual([{ requestId: 'q1', ok: false, leaderHint: 'b', reason: 'not-leader' }]);
  });

  it('ReadIndex waits until the leader commits an entry of its term, then for a heartbeat quorum', () => {
    const r = mk('a');
    const rd0 = electLeader(r);
    r.read('q1', 'index');
    let rd = r.ready();
    expect(rd.reads).toEqual([]);
    expect(ofType(rd, 'heartbeat')).toEqual([]); // held: no round yet
    r.persisted(rd0.persist!.id);
    r.step({ ...base('b', 'a', r.currentTerm), type: 'append-resp', success: true, matchIndex: 1, rejectedIndex: 0, hintIndex: 0, hintTerm: 0 });
    rd = r.ready();
    expect(r.commitIndex).toBe(1);
    const hbs = ofType(rd, 'heartbeat');
    expect(hbs.map((h) => h.to)).toEqual(['b', 'c']);
    expect(rd.reads).toEqual([]);
    r.step({ ...base('c', 'a', r.currentTerm), type: 'heartbeat-resp', round: hbs[0]!.round });
    expect(r.ready().reads).toEqual([{ requestId: 'q1', ok: true, index: 1, mode: 'index' }]);
  });

  it('ReadIndex: an ack of an older round does not confirm a newer read', () => {
    const r = mk('a');
    const rd0 = electLeader(r);
    r.persisted(rd0.persist!.id);
    r.step({ ...base('b', 'a', r.currentTerm), type: 'append-resp', success: true, matchIndex: 1, rejectedIndex: 0, hintIndex: 0, hintTerm: 0 });
    r.ready();
    r.read('q1', 'index');
    const round = ofType(r.ready(), 'heartbeat')[0]!.round;
    r.step({ ...base('b', 'a', r.currentTerm), type: 'heartbeat-resp', round: round - 1 });
    expect(r.ready().reads).toEqual([]);
    r.step({ ...base('b', 'a', r.currentTerm), type: 'heartbeat-resp', round });
    expect(r.ready().reads.length).toBe(1);
  });

  it('a leader that steps down refuses its pending reads', () => {
    const r = mk('a');
    electLeader(r);
    r.read('q1', 'index');
    r.ready();
    r.step({ ...base('c', 'a', 9), type: 'heartbeat', commit: 0, round: 1 });
    expect(r.ready().reads).toEqual([{ requestId: 'q1', ok: false, leaderHint: 'c', reason: 'leadership-lost' }]);
  });

  it('lease reads are served locally only within electionTimeout − one tick − maxClockDrift of the acked round', () => {
    const r = mk('a');
    const rd0 = electLeader(r);
    r.persisted(rd0.persist!.id);
    r.step({ ...base('b', 'a', r.currentTerm), type: 'append-resp', success: true, matchIndex: 1, rejectedIndex: 0, hintIndex: 0, hintTerm: 0 });
    r.ready();
    const t0 = 1_000_000;
    r.tick(t0);
    r.tick(t0 + 10_000); // heartbeat round sent at t0 + 10 ms
    const hb = ofType(r.ready(), 'heartbeat')[0]!;
    r.step({ ...base('b', 'a', r.currentTerm), type: 'heartbeat-resp', round: hb.round });
    r.ready();
    const lease = leaseDurationUs(defaultRaftConfig(1, 'a'));
    expect(lease).toBe(9 * 10_000 - 10_000);
    r.read('in', 'lease', t0 + 10_000 + lease - 1);
    expect(r.ready().reads).toEqual([{ requestId: 'in', ok: true, index: 1, mode: 'lease' }]);
    r.read('out', 'lease', t0 + 10_000 + lease);
    const rd = r.ready();
    expect(rd.reads).toEqual([]); // falls back to ReadIndex
    expect(ofType(rd, 'heartbeat').length).toBe(2);
  });

  it('lease-ignores-drift makes the lease longer by exactly the drift bound', () => {
    const cfg = defaultRaftConfig(1, 'a');
    const bad = defaultRaftConfig(1, 'a', { bugs: new Set(['lease-ignores-drift']) });
    expect(leaseDurationUs(bad) - leaseDurationUs(cfg)).toBe(cfg.maxClockDriftUs);
  });
});

describe('PreVote and CheckQuorum', () => {
  it('§6.4.1 lease: a voter restarted with a durable term keeps its stickiness promise for an election timeout', () => {
    // It may have acknowledged a leader's heartbeat just before the crash; that leader may still
    // serve lease reads, so the restarted voter must not help elect a successor yet.
    const r = mk('b', { stored: storedLog([1], 1) });
    const ask = () => {
      r.step({ ...base('c', 'b', 2), type: 'vote', pre: true, lastIndex: 1, lastTerm: 1, transfer: false });
      return ofType(r.ready(), 'vote-resp');
    };
    expect(ask()).toEqual([]); // ignored, as a voter in a leader's lease ignores candidates
    ticks(r, 9);
    expect(ask()).toEqual([]);
    ticks(r, 1); // one election timeout (10 ticks) after the restart
    expect(ask()[0]?.granted).toBe(true);
    // A fresh replica (term 0) has promised nothing and answers at once.
    const fresh = mk('b');
    fresh.step({ ...base('c', 'b', 1), type: 'vote', pre: true, lastIndex: 0, lastTerm: 0, transfer: false });
    expect(ofType(fresh.ready(), 'vote-resp')[0]?.granted).toBe(true);
  });

  it('PreVote: a pre-vote request does not change the voter’s term or vote', () => {
    const r = mk('a', { stored: storedLog([1], 1), config: { checkQuorum: false } });
    r.step({ ...base('b', 'a', 2), type: 'vote', pre: true, lastIndex: 1, lastTerm: 1, transfer: false });
    const rd = r.ready();
    expect(ofType(rd, 'vote-resp')).toEqual([{ ...base('a', 'b', 2), type: 'vote-resp', pre: true, granted: true }]);
    expect(r.currentTerm).toBe(1);
    expect(r.votedFor).toBe(null);
    expect(rd.persist).toBe(null);
  });

  it('PreVote: a partitioned replica keeps campaigning without raising its term', () => {
    const r = mk('a', { stored: storedLog([1], 1) });
    ticks(r, 100);
    expect(r.currentTerm).toBe(1);
    expect(r.role).toBe('precandidate');
  });

  it('leader stickiness: a follower that heard from its leader within the timeout ignores (pre-)votes', () => {
    const r = mk('a', { stored: storedLog([1], 1) });
    r.step({ ...base('b', 'a', 1), type: 'heartbeat', commit: 0, round: 1 });
    r.ready();
    r.step({ ...base('c', 'a', 2), type: 'vote', pre: true, lastIndex: 5, lastTerm: 1, transfer: false });
    r.step({ ...base('c', 'a', 2), type: 'vote', pre: false, lastIndex: 5, lastTerm: 1, transfer: false });
    const rd = r.ready();
    expect(rd.messages).toEqual([]);
    expect(r.currentTerm).toBe(1);
    // A transfer campaign may disturb it.
    r.step({ ...base('c', 'a', 2), type: 'vote', pre: false, lastIndex: 5, lastTerm: 1, transfer: true });
    expect(ofType(r.ready(), 'vote-resp')[0]?.granted).toBe(true);
  });

  it('CheckQuorum: a leader that hears from no majority within an election timeout steps down', () => {
    const r = mk('a');
    electLeader(r);
    ticks(r, 9);
    expect(r.role).toBe('leader');
    r.step({ ...base('b', 'a', r.currentTerm), type: 'heartbeat-resp', round: 1 });
    ticks(r, 1); // first check: b was active
    expect(r.role).toBe('leader');
    ticks(r, 10); // second check: nobody
    expect(r.role).toBe('follower');
  });
});

describe('persistence before send', () => {
  it('an append response waits for the batch holding the appended entries', () => {
    const r = mk('a');
    r.step({ ...base('b', 'a', 1), type: 'append', prevIndex: 0, prevTerm: 0, entries: [ent(1, 1)], commit: 0 });
    const rd = r.ready();
    expect(rd.persist?.entries).toEqual([ent(1, 1)]);
    expect(rd.messages.map((m) => m.afterBatch)).toEqual([rd.persist!.id]);
  });

  it('ack-before-persist releases the response at once', () => {
    const r = mk('a', { bugs: ['ack-before-persist'] });
    r.step({ ...base('b', 'a', 1), type: 'append', prevIndex: 0, prevTerm: 0, entries: [ent(1, 1)], commit: 0 });
    expect(r.ready().messages.map((m) => m.afterBatch)).toEqual([0]);
  });

  it('once a batch is durable, later responses with nothing new to persist go at once', () => {
    const r = mk('a');
    r.step({ ...base('b', 'a', 1), type: 'append', prevIndex: 0, prevTerm: 0, entries: [ent(1, 1)], commit: 0 });
    const rd = r.ready();
    r.persisted(rd.persist!.id);
    r.step({ ...base('b', 'a', 1), type: 'heartbeat', commit: 0, round: 3 });
    expect(r.ready().messages.map((m) => m.afterBatch)).toEqual([0]);
  });

  it('a restarted replica keeps its term and vote (and forgets the vote under the planted bug)', () => {
    const stored = storedLog([1], 5, 'c', 1);
    expect(mk('a', { stored }).votedFor).toBe('c');
    const r = mk('a', { stored, config: { preVote: false } });
    r.step({ ...base('b', 'a', 5), type: 'vote', pre: false, lastIndex: 1, lastTerm: 1, transfer: false });
    expect(ofType(r.ready(), 'vote-resp')[0]?.granted).toBe(false);
    const bad = mk('a', { stored, bugs: ['forget-vote-on-restart'], config: { preVote: false } });
    bad.step({ ...base('b', 'a', 5), type: 'vote', pre: false, lastIndex: 1, lastTerm: 1, transfer: false });
    expect(ofType(bad.ready(), 'vote-resp')[0]?.granted).toBe(true);
  });

  it('a restarted replica re-applies committed entries after its snapshot', () => {
    const r = new RaftReplica({ config: defaultRaftConfig(1, 'a'), rng: new FixedRng(), stored: storedLog([1, 1, 1], 1, null, 2) });
    expect(r.appliedIndex).toBe(0);
    // Commit from the hard state is applied in the first ready().
    const rd = r.ready();
    expect(rd.apply.map((a) => (a.kind === 'entry' ? a.entry.index : 0))).toEqual([1, 2]);
    expect(r.appliedIndex).toBe(2);
  });
});

describe('flow control', () => {
  it('replicate state keeps at most maxInflightMsgs appends with entries in flight', () => {
    const r = mk('a', { config: { maxInflightMsgs: 2, maxEntriesPerMsg: 1 } });
    const rd0 = electLeader(r);
    r.persisted(rd0.persist!.id);
    r.step({ ...base('b', 'a', r.currentTerm), type: 'append-resp', success: true, matchIndex: 1, rejectedIndex: 0, hintIndex: 0, hintTerm: 0 });
    r.ready();
    expect(r.progressOf('b')?.state).toBe('replicate');
    for (let i = 0; i < 5; i++) r.propose(`p${i}`);
    const toB = ofType(r.ready(), 'append').filter((m) => m.to === 'b' && m.entries.length > 0);
    expect(toB.map((m) => m.entries.map((e) => e.index))).toEqual([[2], [3]]);
    r.step({ ...base('b', 'a', r.currentTerm), type: 'append-resp', success: true, matchIndex: 2, rejectedIndex: 0, hintIndex: 0, hintTerm: 0 });
    const more = ofType(r.ready(), 'append').filter((m) => m.to === 'b' && m.entries.length > 0);
    expect(more.map((m) => m.entries.map((e) => e.index))).toEqual([[4]]);
  });

  it('probe state sends one append and waits for its answer', () => {
    const r = mk('a');
    const rd0 = electLeader(r);
    expect(r.progressOf('c')?.state).toBe('probe');
    expect(ofType(rd0, 'append').filter((m) => m.to === 'c').length).toBe(1);
    r.propose('x');
    expect(ofType(r.ready(), 'append').filter((m) => m.to === 'c')).toEqual([]);
    r.step({ ...base('c', 'a', r.currentTerm), type: 'heartbeat-resp', round: 0 });
    expect(ofType(r.ready(), 'append').filter((m) => m.to === 'c').length).toBe(1);
  });

  it('a stale rejection (for an older probe) is ignored', () => {
    const r = mk('a', { stored: storedLog([1, 1, 1], 1) });
    electLeader(r);
    r.step({ ...base('c', 'a', r.currentTerm), type: 'append-resp', success: false, matchIndex: 0, rejectedIndex: 1, hintIndex: 0, hintTerm: 0 });
    expect(r.ready().messages).toEqual([]);
  });
});

describe('§7 log compaction and InstallSnapshot', () => {
  it('compact drops the prefix and persists the snapshot', () => {
    const r = mk('a');
    r.step({ ...base('b', 'a', 1), type: 'append', prevIndex: 0, prevTerm: 0, entries: [ent(1, 1), ent(2, 1), ent(3, 1)], commit: 3 });
    r.ready();
    r.compact(2, 'S2');
    const rd = r.ready();
    expect(r.snapshotIndex).toBe(2);
    expect(rd.persist?.snapshot).toMatchObject({ index: 2, term: 1, data: 'S2' });
    expect(r.termAt(3)).toBe(1);
    expect(() => r.compact(3, 'x')).not.toThrow();
  });

  it('a leader sends its snapshot to a follower that needs compacted entries', () => {
    const r = mk('a');
    const rd0 = electLeader(r);
    r.persisted(rd0.persist!.id);
    r.step({ ...base('b', 'a', r.currentTerm), type: 'append-resp', success: true, matchIndex: 1, rejectedIndex: 0, hintIndex: 0, hintTerm: 0 });
    r.propose('x');
    const rd1 = r.ready();
    r.persisted(rd1.persist!.id);
    r.step({ ...base('b', 'a', r.currentTerm), type: 'append-resp', success: true, matchIndex: 2, rejectedIndex: 0, hintIndex: 0, hintTerm: 0 });
    r.ready();
    r.compact(2, 'S');
    r.ready();
    // c answers the first probe: it has nothing.
    r.step({ ...base('c', 'a', r.currentTerm), type: 'append-resp', success: false, matchIndex: 0, rejectedIndex: 0, hintIndex: 0, hintTerm: 0 });
    const snaps = ofType(r.ready(), 'snapshot');
    expect(snaps.map((m) => [m.to, m.snapshot.index, m.snapshot.data])).toEqual([['c', 2, 'S']]);
    expect(r.progressOf('c')?.state).toBe('snapshot');
    r.step({ ...base('c', 'a', r.currentTerm), type: 'append-resp', success: true, matchIndex: 2, rejectedIndex: 0, hintIndex: 0, hintTerm: 0 });
    r.ready();
    expect(r.progressOf('c')?.state).toBe('replicate');
  });

  it('a follower installs a snapshot that is ahead of its log: applies it and persists it', () => {
    const r = mk('c');
    const snapshot = { index: 5, term: 2, hash: 1234, conf: { voters: ['a', 'b', 'c'], learners: [] }, data: 'S5' };
    r.step({ ...base('a', 'c', 2), type: 'snapshot', snapshot });
    const rd = r.ready();
    expect(r.commitIndex).toBe(5);
    expect(r.appliedIndex).toBe(5);
    expect(rd.apply).toEqual([{ kind: 'snapshot', snapshot }]);
    expect(rd.persist?.snapshot).toEqual(snapshot);
    expect(msgs(rd)).toEqual([
      { ...base('c', 'a', 2), type: 'append-resp', success: true, matchIndex: 5, rejectedIndex: 0, hintIndex: 0, hintTerm: 0 },
    ]);
    expect(r.hashAt(5)).toBe(1234);
  });
});

describe('learners and membership (single-server changes)', () => {
  it('a learner receives the log but never campaigns and is not counted for commit', () => {
    const l = mk('d', { learners: ['d'] });
    ticks(l, 100);
    expect(l.role).toBe('follower');
    const r = mk('a', { learners: ['d'] });
    const rd0 = electLeader(r);
    expect(ofType(rd0, 'append').map((m) => m.to)).toEqual(['b', 'c', 'd']);
    r.persisted(rd0.persist!.id);
    r.step({ ...base('d', 'a', r.currentTerm), type: 'append-resp', success: true, matchIndex: 1, rejectedIndex: 0, hintIndex: 0, hintTerm: 0 });
    r.ready();
    expect(r.commitIndex).toBe(0);
  });

  it('add-learner, then promote: each takes effect when appended; one pending change at a time', () => {
    const r = mk('a');
    const rd0 = electLeader(r);
    expect(r.proposeConfChange({ type: 'add-learner', id: 'd' })).toMatchObject({ ok: false, reason: 'no-commit-in-term' });
    r.persisted(rd0.persist!.id);
    r.step({ ...base('b', 'a', r.currentTerm), type: 'append-resp', success: true, matchIndex: 1, rejectedIndex: 0, hintIndex: 0, hintTerm: 0 });
    r.ready();
    expect(r.proposeConfChange({ type: 'add-learner', id: 'd' })).toMatchObject({ ok: true, index: 2 });
    expect(r.membership).toEqual({ voters: ['a', 'b', 'c'], learners: ['d'] });
    expect(r.proposeConfChange({ type: 'promote', id: 'd' })).toMatchObject({ ok: false, reason: 'conf-change-pending' });
    const rd = r.ready();
    expect(ofType(rd, 'append').map((m) => m.to)).toContain('d');
    expect(rd.events.some((e) => e.type === 'raft.conf')).toBe(true);
    r.persisted(rd.persist!.id);
    r.step({ ...base('b', 'a', r.currentTerm), type: 'append-resp', success: true, matchIndex: 2, rejectedIndex: 0, hintIndex: 0, hintTerm: 0 });
    r.ready();
    expect(r.commitIndex).toBe(2);
    // d's log does not hold the entry that added it yet: it would not know it is a voter.
    expect(r.proposeConfChange({ type: 'promote', id: 'd' })).toMatchObject({ ok: false, reason: 'learner-behind-membership' });
    r.step({ ...base('d', 'a', r.currentTerm), type: 'append-resp', success: true, matchIndex: 2, rejectedIndex: 0, hintIndex: 0, hintTerm: 0 });
    r.ready();
    expect(r.proposeConfChange({ type: 'promote', id: 'd' })).toMatchObject({ ok: true, index: 3 });
    expect(r.membership.voters).toEqual(['a', 'b', 'c', 'd']);
    // Four voters: a majority is now three.
    const rd3 = r.ready();
    r.persisted(rd3.persist!.id);
    r.step({ ...base('b', 'a', r.currentTerm), type: 'append-resp', success: true, matchIndex: 3, rejectedIndex: 0, hintIndex: 0, hintTerm: 0 });
    r.ready();
    expect(r.commitIndex).toBe(2);
    r.step({ ...base('d', 'a', r.currentTerm), type: 'append-resp', success: true, matchIndex: 3, rejectedIndex: 0, hintIndex: 0, hintTerm: 0 });
    r.ready();
    expect(r.commitIndex).toBe(3);
  });

  it('replica identity: a replica no membership names (created empty) grants no vote until a leader tells it', () => {
    const r = new RaftReplica({ config: defaultRaftConfig(1, 'd#1'), rng: new FixedRng('lo'), stored: null });
    r.ready();
    const ask = (term: number, pre: boolean) => {
      r.step({ ...base('b', 'd#1', term), type: 'vote', pre, lastIndex: 5, lastTerm: 5, transfer: false });
      return ofType(r.ready(), 'vote-resp')[0]!;
    };
    expect(ask(4, true).granted).toBe(false);
    expect(ask(4, false).granted).toBe(false);
    // It never campaigns either: it is nobody's voter.
    expect(ticks(r, 100).some((rd) => ofType(rd, 'vote').length > 0)).toBe(false);
    // The leader's log names it (as a learner, then a voter): from then on it is a member.
    const conf = { voters: ['a', 'b', 'c'], learners: ['d#1'] };
    r.step({ ...base('a', 'd#1', 5), type: 'append', prevIndex: 0, prevTerm: 0, entries: [{ kind: 'conf', index: 1, term: 5, change: { type: 'add-learner', id: 'd#1' }, conf }], commit: 1 });
    r.ready();
    ticks(r, 12); // past the leader's lease on it (a learner never campaigns)
    expect(ask(6, true).granted).toBe(true);
  });

  it('a replica the membership once named still votes after its removal (its vote may be needed)', () => {
    // a removed d, but only d received the removal before a died: b and c still count d.
    const r = mk('d', { peers: ['a', 'b', 'c', 'd'] });
    const conf = { voters: ['a', 'b', 'c'], learners: [] };
    r.step({ ...base('a', 'd', 1), type: 'append', prevIndex: 0, prevTerm: 0, entries: [{ kind: 'conf', index: 1, term: 1, change: { type: 'remove', id: 'd' }, conf }], commit: 0 });
    r.ready();
    expect(r.membership.voters).not.toContain('d');
    for (let i = 0; i < 25; i++) r.tick(); // a's lease on d runs out
    r.ready();
    r.step({ ...base('b', 'd', 2), type: 'vote', pre: false, lastIndex: 1, lastTerm: 1, transfer: false });
    expect(ofType(r.ready(), 'vote-resp')[0]!.granted).toBe(true);
  });

  it('a follower adopts a conf entry on append and reverts it when the entry is truncated', () => {
    const r = mk('b');
    const conf = { voters: ['a', 'b', 'c'], learners: ['d'] };
    r.step({ ...base('a', 'b', 1), type: 'append', prevIndex: 0, prevTerm: 0, entries: [{ kind: 'conf', index: 1, term: 1, change: { type: 'add-learner', id: 'd' }, conf }], commit: 0 });
    r.ready();
    expect(r.membership).toEqual(conf);
    r.step({ ...base('c', 'b', 2), type: 'append', prevIndex: 0, prevTerm: 0, entries: [ent(1, 2)], commit: 0 });
    r.ready();
    expect(r.membership).toEqual({ voters: ['a', 'b', 'c'], learners: [] });
  });

  it('a leader that removed itself steps down once the removal commits', () => {
    const r = mk('a');
    const rd0 = electLeader(r);
    r.persisted(rd0.persist!.id);
    r.step({ ...base('b', 'a', r.currentTerm), type: 'append-resp', success: true, matchIndex: 1, rejectedIndex: 0, hintIndex: 0, hintTerm: 0 });
    r.ready();
    expect(r.proposeConfChange({ type: 'remove', id: 'a' }).ok).toBe(true);
    r.ready();
    // a no longer counts itself: b alone is not a majority of {b, c}.
    r.step({ ...base('b', 'a', r.currentTerm), type: 'append-resp', success: true, matchIndex: 2, rejectedIndex: 0, hintIndex: 0, hintTerm: 0 });
    r.ready();
    expect(r.role).toBe('leader');
    r.step({ ...base('c', 'a', r.currentTerm), type: 'append-resp', success: true, matchIndex: 2, rejectedIndex: 0, hintIndex: 0, hintTerm: 0 });
    r.ready();
    expect(r.commitIndex).toBe(2);
    expect(r.role).toBe('follower');
    ticks(r, 100);
    expect(r.role).toBe('follower'); // not a voter: never campaigns
  });
});

describe('leadership transfer (thesis §3.10)', () => {
  it('the leader sends TimeoutNow once the target has its whole log, and refuses proposals meanwhile', () => {
    const r = mk('a');
    const rd0 = electLeader(r);
    r.persisted(rd0.persist!.id);
    expect(r.transferLeadership('b')).toBe(true);
    const rd = r.ready();
    expect(ofType(rd, 'timeout-now')).toEqual([]);
    expect(r.propose('x')).toMatchObject({ ok: false, reason: 'transferring' });
    r.step({ ...base('b', 'a', r.currentTerm), type: 'append-resp', success: true, matchIndex: 1, rejectedIndex: 0, hintIndex: 0, hintTerm: 0 });
    expect(ofType(r.ready(), 'timeout-now')).toEqual([{ ...base('a', 'b', r.currentTerm), type: 'timeout-now' }]);
  });

  it('TimeoutNow makes a follower campaign at once, skipping PreVote, with the transfer flag', () => {
    const r = mk('b');
    r.step({ ...base('a', 'b', 1), type: 'heartbeat', commit: 0, round: 1 });
    r.ready();
    r.step({ ...base('a', 'b', 1), type: 'timeout-now' });
    const rd = r.ready();
    expect(r.role).toBe('candidate');
    expect(r.currentTerm).toBe(2);
    expect(ofType(rd, 'vote').every((m) => m.transfer && !m.pre)).toBe(true);
  });

  it('a transfer that does not finish within an election timeout is aborted', () => {
    const r = mk('a', { config: { checkQuorum: false } });
    electLeader(r);
    r.transferLeadership('c');
    r.ready();
    ticks(r, 10);
    expect(r.propose('x').ok).toBe(true);
  });
});

describe('assertions at invariant points', () => {
  it('a follower never truncates a committed entry', () => {
    const r = mk('a');
    r.step({ ...base('b', 'a', 1), type: 'append', prevIndex: 0, prevTerm: 0, entries: [ent(1, 1), ent(2, 1)], commit: 2 });
    r.ready();
    const bad: AppendRequest = { ...base('c', 'a', 2), type: 'append', prevIndex: 2, prevTerm: 1, entries: [], commit: 2 };
    expect(() => r.step(bad)).not.toThrow();
    expect(() => r.step({ ...base('c', 'a', 2), type: 'heartbeat', commit: 7, round: 1 })).toThrow(/assertion: commit 7 beyond last index 2/);
  });

  it('messages addressed elsewhere are refused', () => {
    const r = mk('a');
    expect(() => r.step({ ...base('b', 'c', 1), type: 'timeout-now' })).toThrow(/assertion/);
  });
});
