// Reconstruction of the cluster state from trace events: roles, partitions, messages in
// flight, key staleness, and checkpoints agreeing with a replay from the start.
import { describe, expect, it } from 'vitest';
import type { ReplayState } from '../../src/replay/state.js';
import { gridView, keyView, networkView } from '../../src/replay/view.js';
import { formatSides } from '../../src/replay/network.js';
import type { TraceEvent } from '../../src/trace/events.js';
import { elected, leaderIsolatedReplay, replayOf, startEvents } from './helpers.js';

function plain(s: ReplayState): unknown {
  return {
    index: s.index,
    tUs: s.tUs,
    role: [...s.role],
    term: [...s.term],
    leader: [...s.leader],
    commit: [...s.commit],
    applied: [...s.applied],
    lastIndex: [...s.lastIndex],
    learner: [...s.learner],
    crashed: [...s.crashed],
    paused: [...s.paused],
    skewUs: [...s.skewUs],
    diskFactor: [...s.diskFactor],
    cut: [...s.cut].sort((a, b) => a - b),
    clogs: [...s.clogs.entries()].sort((a, b) => a[0] - b[0]),
    rates: s.rates,
    inflight: [...s.inflight.entries()].sort((a, b) => a[0] - b[0]),
  };
}

describe('roles and replicas', () => {
  it('shows who leads which shard, with terms, and steps back when asked', () => {
    const replay = replayOf([...startEvents(2), ...elected(100, 0, 'n3', 1), ...elected(200, 1, 'n1', 1), { t: 300, type: 'raft.role', group: 0, replica: 'n3', role: 'follower', term: 2, leader: 'n2', reason: 'higher-term' }, ...elected(300, 0, 'n2', 2)]);
    const atFirst = gridView(replay, replay.stateAt(replay.indexAtTime(100)));
    expect(atFirst.rows.map((r) => r.cells[0]!.role).join('')).toBe('FFLFF');
    expect(atFirst.rows.map((r) => r.cells[1]!.role).join('')).toBe('FFFFF');
    const end = gridView(replay, replay.stateAt(replay.count - 1));
    expect(end.rows.map((r) => r.cells[0]!.role).join('')).toBe('FLFFF');
    expect(end.rows[2]!.cells[0]!.term).toBe(2);
    expect(end.rows.map((r) => r.cells[1]!.role).join('')).toBe('LFFFF');
    // Backwards: the earlier state again, not the later one.
    expect(gridView(replay, replay.stateAt(replay.indexAtTime(100))).rows[2]!.cells[0]!.role).toBe('L');
  });

  it('marks crashed and paused machines, clock skew and lag behind the leader', () => {
    const replay = replayOf([
      ...startEvents(1),
      ...elected(10, 0, 'n1', 1),
      { t: 20, type: 'raft.commit', group: 0, replica: 'n1', term: 1, from: 1, to: 9, hashes: [], terms: [] },
      { t: 20, type: 'raft.apply', group: 0, replica: 'n1', from: 1, to: 9, hashes: [] },
      { t: 21, type: 'raft.apply', group: 0, replica: 'n2', from: 1, to: 6, hashes: [] },
      { t: 30, type: 'machine.crash', machine: 'n4' },
      { t: 31, type: 'machine.pause', machine: 'n5' },
      { t: 32, type: 'clock.skew', machine: 'n3', skewUs: 50_000, driftPpm: 200 },
    ]);
    const grid = gridView(replay, replay.stateAt(replay.count - 1));
    expect(grid.rows[0]!.cells[0]!.lag).toBe(0);
    expect(grid.rows[1]!.cells[0]!.lag).toBe(3);
    expect(grid.rows[2]!.cells[0]!.lag).toBe(9);
    expect(grid.rows[3]!.crashed).toBe(true);
    expect(grid.rows[4]!.paused).toBe(true);
    expect(grid.rows[2]!.skewUs).toBe(50_000);
  });
});

describe('partitions', () => {
  const cut = (links: [string, string][]): TraceEvent => ({ t: 100, type: 'net.cut', links, description: 'x' });
  const isolateN1: [string, string][] = ['n2', 'n3', 'n4', 'n5'].flatMap((o): [string, string][] => [['n1', o], [o, 'n1']]);

  it('renders cuts that split the servers cleanly as sides', () => {
    const replay = replayOf([...startEvents(1), cut(isolateN1)]);
    const state = replay.stateAt(replay.count - 1);
    const net = networkView(replay, state);
    expect(net.sides).toEqual([['n1'], ['n2', 'n3', 'n4', 'n5']]);
    expect(formatSides(net.sides!)).toBe('n1 cut off from {n2,n3,n4,n5}');
    expect(gridView(replay, state).rows.map((r) => r.cutOff)).toEqual([true, false, false, false, false]);
  });

  it('renders two-and-three sides and heals', () => {
    const links: [string, string][] = [];
    for (const a of ['n1', 'n2']) for (const b of ['n3', 'n4', 'n5']) links.push([a, b], [b, a]);
    const replay = replayOf([...startEvents(1), cut(links), { t: 200, type: 'net.heal', links: 'all' }]);
    const during = networkView(replay, replay.stateAt(replay.indexAtTime(150)));
    expect(formatSides(during.sides!)).toBe('{n1,n2} | {n3,n4,n5}');
    const after = networkView(replay, replay.stateAt(replay.count - 1));
    expect(after.sides).toBeNull();
    expect(after.cutLinks).toEqual([]);
  });

  it('lists one-way cuts as links, not sides', () => {
    const replay = replayOf([...startEvents(1), cut([['n1', 'n2']])]);
    const net = networkView(replay, replay.stateAt(replay.count - 1));
    expect(net.sides).toBeNull();
    expect(net.cutLinks).toEqual(['n1 -> n2']);
  });
});

describe('messages in flight', () => {
  it('counts sends not yet delivered or dropped', () => {
    const msg = (t: number, type: 'msg.send' | 'msg.deliver', id: number, label = 'raft.append'): TraceEvent => ({ t, type, id, from: 'n1', to: 'n2', label });
    const replay = replayOf([
      ...startEvents(1),
      msg(10, 'msg.send', 1),
      msg(11, 'msg.send', 2),
      msg(12, 'msg.send', 3, 'get.follower'),
      msg(20, 'msg.deliver', 1),
      { t: 21, type: 'msg.drop', id: 2, from: 'n1', to: 'n2', label: 'raft.append', reason: 'partition' },
    ]);
    const at = (t: number) => networkView(replay, replay.stateAt(replay.indexAtTime(t)));
    expect(at(12).inflight).toBe(3);
    expect(at(12).inflightRaft).toBe(2);
    expect(at(12).inflightClient).toBe(1);
    expect(at(20).inflight).toBe(2);
    expect(at(21).inflight).toBe(1);
    expect(at(21).oldestInflightUs).toBe(9);
  });
});

describe('key inspector', () => {
  it('shows each replica against the latest committed value', () => {
    const apply = (t: number, machine: string, index: number, value: string): TraceEvent => ({ t, type: 'store.apply', machine, shard: 0, index, key: 'k1', value, op: index });
    const replay = replayOf([
      ...startEvents(1, ['n1', 'n2', 'n3']),
      ...elected(5, 0, 'n1', 1),
      apply(10, 'n1', 2, 'a'),
      apply(11, 'n2', 2, 'a'),
      apply(12, 'n3', 2, 'a'),
      apply(20, 'n1', 3, 'b'),
      apply(21, 'n2', 3, 'b'),
      apply(30, 'n1', 4, 'c'),
      { t: 31, type: 'store.read', machine: 'n3', shard: 0, key: 'k1', level: 'follower', version: 2, stale: true, behind: 2 },
    ]);
    const cursor = replay.count - 1;
    const view = keyView(replay, replay.stateAt(cursor), 'k1', cursor, 4)!;
    expect(view.committed).toEqual({ value: 'c', index: 4 });
    expect(view.versions).toBe(3);
    expect(view.replicas.map((r) => [r.machine, r.value, r.behind])).toEqual([
      ['n1', 'c', 0],
      ['n2', 'b', 1],
      ['n3', 'a', 2],
    ]);
    expect(view.reads[0]).toMatchObject({ machine: 'n3', stale: true, behind: 2 });
    // Earlier, before the second write, everyone was up to date.
    const early = replay.indexAtTime(12);
    expect(keyView(replay, replay.stateAt(early), 'k1', early, 4)!.replicas.every((r) => r.behind === 0)).toBe(true);
    expect(replay.defaultKey(cursor)).toBe('k1');
  });
});

describe('checkpoints', () => {
  it('give the same state as a replay from the start, forwards and backwards', () => {
    const replay = leaderIsolatedReplay(1000);
    const n = replay.count;
    expect(replay.checkpointCount).toBe(Math.ceil(n / 1000));
    const targets = [0, 1, 999, 1000, 1001, Math.floor(n / 2), n - 1, 24_400, 24_399, 5_000, 4_999, 81_700];
    for (const i of targets) expect(plain(replay.stateAt(i)), `event ${i}`).toEqual(plain(replay.stateAtLinear(i)));
  });

  it('step backwards one event at a time across a checkpoint boundary', () => {
    const replay = leaderIsolatedReplay(500);
    for (let i = 2003; i >= 1997; i--) expect(plain(replay.stateAt(i))).toEqual(plain(replay.stateAtLinear(i)));
  });
});
