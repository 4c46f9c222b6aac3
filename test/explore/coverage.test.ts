// Sometimes-assertion counters: each one fires on the situation it names and not on its
// near-miss, and real runs reach them.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { COVERAGE_NAMES, CoverageObserver, addToTable, allCovered, emptyTable } from '../../src/explore/coverage.js';
import { executeScenario } from '../../src/explore/execute.js';
import type { TraceEvent } from '../../src/trace/events.js';

function countsOf(events: TraceEvent[]) {
  const o = new CoverageObserver();
  for (const e of events) o.observe(e);
  o.observe({ t: 1e9, type: 'run.end', events: events.length + 1 });
  return o.counts();
}

const elected = (t: number, group: number, replica: string, term: number): TraceEvent => ({ t, type: 'raft.elected', group, replica, term, lastIndex: 0, commit: 0, digest: [] });
const role = (t: number, group: number, replica: string, r: 'candidate' | 'follower' | 'leader', term: number, reason: 'election-timeout' | 'check-quorum' = 'election-timeout'): TraceEvent => ({ t, type: 'raft.role', group, replica, role: r, term, leader: null, reason });
const invoke = (t: number, op: number, kind: 'put' | 'get', shard: number, level: 'session' | 'follower' | null = null): TraceEvent => ({ t, type: 'client.invoke', client: 1, op, kind, key: 'k1', level, shard });
const complete = (t: number, op: number, outcome: 'ok' | 'indeterminate'): TraceEvent => ({ t, type: 'client.complete', client: 1, op, outcome, value: null, servedBy: null, index: null, attempts: 1 });
const deliver = (t: number, id: number, to: string, label: string): TraceEvent => ({ t, type: 'msg.deliver', id, from: 'c1', to, label });
const read = (t: number, machine: string, level: 'session' | 'follower', stale: boolean): TraceEvent => ({ t, type: 'store.read', machine, shard: 0, key: 'k1', level, version: 1, stale, behind: stale ? 1 : 0 });
const apply = (t: number, op: number): TraceEvent => ({ t, type: 'store.apply', machine: 'n1', shard: 0, index: 1, key: 'k1', value: 'v', op });

describe('coverage counters', () => {
  it('leader change during a read: a re-election in the shard of a pending get, not the first election', () => {
    expect(countsOf([invoke(1, 7, 'get', 0), elected(2, 0, 'n1', 1), complete(3, 7, 'ok')]).leaderChangeDuringRead).toBe(0);
    expect(countsOf([elected(1, 0, 'n1', 1), invoke(2, 7, 'get', 0), elected(3, 0, 'n2', 2), complete(4, 7, 'ok')]).leaderChangeDuringRead).toBe(1);
    expect(countsOf([elected(1, 0, 'n1', 1), invoke(2, 7, 'get', 1), elected(3, 0, 'n2', 2)]).leaderChangeDuringRead).toBe(0);
    expect(countsOf([elected(1, 0, 'n1', 1), invoke(2, 7, 'get', 0), complete(3, 7, 'ok'), elected(4, 0, 'n2', 2)]).leaderChangeDuringRead).toBe(0);
  });

  it('write timed out but committed: an indeterminate put whose op is applied, before or after', () => {
    expect(countsOf([invoke(1, 5, 'put', 0), complete(2, 5, 'indeterminate'), apply(3, 5)]).writeTimedOutButCommitted).toBe(1);
    expect(countsOf([invoke(1, 5, 'put', 0), apply(2, 5), complete(3, 5, 'indeterminate')]).writeTimedOutButCommitted).toBe(1);
    expect(countsOf([invoke(1, 5, 'put', 0), complete(2, 5, 'indeterminate'), apply(3, 6)]).writeTimedOutButCommitted).toBe(0);
    expect(countsOf([invoke(1, 5, 'put', 0), complete(2, 5, 'ok'), apply(3, 5)]).writeTimedOutButCommitted).toBe(0);
  });

  it('vote split: two candidates in a term nobody won', () => {
    expect(countsOf([role(1, 0, 'n1', 'candidate', 2), role(1, 0, 'n2', 'candidate', 2)]).voteSplit).toBe(1);
    expect(countsOf([role(1, 0, 'n1', 'candidate', 2), role(1, 0, 'n2', 'candidate', 2), elected(2, 0, 'n1', 2)]).voteSplit).toBe(0);
    expect(countsOf([role(1, 0, 'n1', 'candidate', 2)]).voteSplit).toBe(0);
  });

  it('partition cutting a leader: only while it leads', () => {
    const cut = (t: number): TraceEvent => ({ t, type: 'net.cut', links: [['n1', 'n2']], description: '' });
    expect(countsOf([elected(1, 0, 'n1', 1), cut(2)]).partitionCutLeader).toBe(1);
    expect(countsOf([elected(1, 0, 'n3', 1), cut(2)]).partitionCutLeader).toBe(0);
    expect(countsOf([elected(1, 0, 'n1', 1), role(2, 0, 'n1', 'follower', 2), cut(3)]).partitionCutLeader).toBe(0);
  });

  it('session read that waited: served other than right after its own request was delivered', () => {
    expect(countsOf([deliver(1, 1, 'n1', 'get.session'), read(1, 'n1', 'session', false)]).sessionReadWaited).toBe(0);
    expect(countsOf([deliver(1, 1, 'n1', 'get.session'), deliver(2, 2, 'n1', 'raft.append'), read(2, 'n1', 'session', false)]).sessionReadWaited).toBe(1);
    expect(countsOf([deliver(1, 1, 'n1', 'get.session'), read(1, 'n1', 'session', false), read(1, 'n1', 'session', false)]).sessionReadWaited).toBe(1);
  });

  it('stale reads, duplicates, snapshots, lost writes, transfers, truncations, step-downs', () => {
    const c = countsOf([
      read(1, 'n1', 'follower', true),
      read(1, 'n1', 'follower', false),
      deliver(2, 9, 'n2', 'x'),
      deliver(3, 9, 'n2', 'x'),
      { t: 4, type: 'raft.snapshot', group: 0, replica: 'n1', index: 5, term: 1, hash: 0, installed: true },
      { t: 4, type: 'raft.snapshot', group: 0, replica: 'n2', index: 5, term: 1, hash: 0, installed: false },
      { t: 5, type: 'disk.lost', machine: 'n1', writes: 3 },
      { t: 6, type: 'raft.transfer', group: 0, replica: 'n1', term: 1, to: 'n2', phase: 'timeout-now' },
      { t: 7, type: 'raft.append', group: 0, replica: 'n1', from: 3, to: 4, term: 2, hash: 1, truncatedFrom: 3 },
      role(8, 0, 'n1', 'follower', 2, 'check-quorum'),
    ]);
    expect(c).toMatchObject({ staleRead: 1, duplicateDelivered: 1, snapshotInstalled: 1, unsyncedWritesLost: 1, leadershipTransfer: 1, logTruncated: 1, checkQuorumStepDown: 1 });
  });

  it('a real run reaches stale reads and a leader cut off by a partition', () => {
    const file = 'scenarios/leader-isolated.yaml';
    const out = executeScenario(file, readFileSync(file, 'utf8'), 3, []);
    expect(out.coverage.staleRead).toBeGreaterThan(0);
    expect(out.coverage.partitionCutLeader).toBeGreaterThan(0);
    expect(out.coverage.checkQuorumStepDown).toBeGreaterThan(0);
  });

  it('a put committed twice: once per op; around a write only when another put to the key applied between', () => {
    const put = (t: number, machine: string, index: number, op: number, key = 'k1'): TraceEvent => ({ t, type: 'store.apply', machine, shard: 0, index, key, value: `v${op}`, op });
    const dup = (t: number, machine: string, index: number, firstIndex: number, op: number): TraceEvent => ({ t, type: 'store.duplicate', machine, shard: 0, index, firstIndex, key: 'k1', op });
    const plain = countsOf([put(1, 'n1', 3, 5), dup(2, 'n1', 4, 3, 5), put(1, 'n2', 3, 5), dup(2, 'n2', 4, 3, 5)]);
    expect(plain).toMatchObject({ putCommittedTwice: 1, putTwiceAroundWrite: 0 });
    const otherKey = countsOf([put(1, 'n1', 3, 5), put(2, 'n1', 4, 6, 'k2'), dup(3, 'n1', 5, 3, 5)]);
    expect(otherKey).toMatchObject({ putCommittedTwice: 1, putTwiceAroundWrite: 0 });
    const around = countsOf([put(1, 'n1', 3, 5), put(2, 'n1', 4, 6), dup(3, 'n1', 5, 3, 5), put(1, 'n2', 3, 5), put(2, 'n2', 4, 6), dup(3, 'n2', 5, 3, 5)]);
    expect(around).toMatchObject({ putCommittedTwice: 1, putTwiceAroundWrite: 1 });
  });

  it('a crash after a truncation: only before the disk made writes durable; its restart counted after', () => {
    const trunc: TraceEvent = { t: 1, type: 'raft.append', group: 2, replica: 'n3#1', from: 4, to: 5, term: 3, hash: 1, truncatedFrom: 4 };
    const crash = (t: number): TraceEvent => ({ t, type: 'machine.crash', machine: 'n3' });
    const restart: TraceEvent = { t: 9, type: 'machine.restart', machine: 'n3' };
    const durable: TraceEvent = { t: 2, type: 'disk.durable', machine: 'n3', writes: 2 };
    expect(countsOf([trunc, crash(3), restart])).toMatchObject({ crashAfterTruncate: 1, restartAfterTruncateCrash: 1 });
    expect(countsOf([trunc, crash(3)])).toMatchObject({ crashAfterTruncate: 1, restartAfterTruncateCrash: 0 });
    expect(countsOf([trunc, durable, crash(3), restart])).toMatchObject({ crashAfterTruncate: 0, restartAfterTruncateCrash: 0 });
    expect(countsOf([trunc, { t: 3, type: 'machine.crash', machine: 'n2' }, restart])).toMatchObject({ crashAfterTruncate: 0, restartAfterTruncateCrash: 0 });
  });

  it('a snapshot over appended entries, and reads served from a snapshot until an entry applies', () => {
    const append = (t: number, to: number): TraceEvent => ({ t, type: 'raft.append', group: 0, replica: 'n2', from: to, to, term: 1, hash: 1, truncatedFrom: null });
    const commit = (t: number, to: number): TraceEvent => ({ t, type: 'raft.commit', group: 0, replica: 'n2', term: 1, from: 1, to, hashes: [], terms: [] });
    const snap = (t: number): TraceEvent => ({ t, type: 'raft.snapshot', group: 0, replica: 'n2', index: 9, term: 1, hash: 0, installed: true });
    const applied: TraceEvent = { t: 6, type: 'raft.apply', group: 0, replica: 'n2', from: 10, to: 10, hashes: [1] };
    const readN2 = (t: number): TraceEvent => ({ t, type: 'store.read', machine: 'n2', shard: 0, key: 'k1', level: 'follower', version: 1, stale: false, behind: 0 });
    expect(countsOf([append(1, 3), commit(2, 2), snap(3)]).snapshotOverEntries).toBe(1);
    expect(countsOf([append(1, 3), commit(2, 3), snap(3)]).snapshotOverEntries).toBe(0);
    expect(countsOf([append(1, 3), commit(2, 2), snap(3), snap(4)]).snapshotOverEntries).toBe(1);
    expect(countsOf([snap(3), readN2(4), readN2(5), applied, readN2(7)]).readFromSnapshot).toBe(2);
    expect(countsOf([readN2(1), snap(3), applied, readN2(7)]).readFromSnapshot).toBe(0);
  });

  it('a transfer during a membership change: started while the leader had not committed its conf entry', () => {
    const conf: TraceEvent = { t: 1, type: 'raft.conf', group: 1, replica: 'n1', index: 7, voters: ['n1', 'n2', 'n4'], learners: [] };
    const commit = (to: number): TraceEvent => ({ t: 2, type: 'raft.commit', group: 1, replica: 'n1', term: 2, from: 1, to, hashes: [], terms: [] });
    const start: TraceEvent = { t: 3, type: 'raft.transfer', group: 1, replica: 'n1', term: 2, to: 'n2', phase: 'start' };
    expect(countsOf([conf, commit(6), start]).transferDuringConfChange).toBe(1);
    expect(countsOf([conf, commit(7), start]).transferDuringConfChange).toBe(0);
    expect(countsOf([conf, commit(6), { ...start, group: 0 }]).transferDuringConfChange).toBe(0);
  });

  it('delivered after a restart: a message sent to a machine before its crash, arriving after it', () => {
    const send = (t: number, id: number, to = 'n2'): TraceEvent => ({ t, type: 'msg.send', id, from: 'n1', to, label: 'x' });
    const crash = (machine = 'n2'): TraceEvent => ({ t: 2, type: 'machine.crash', machine });
    expect(countsOf([send(1, 9), crash(), deliver(3, 9, 'n2', 'x')]).deliveredAfterRestart).toBe(1);
    expect(countsOf([send(1, 9), deliver(2, 9, 'n2', 'x'), crash(), deliver(3, 9, 'n2', 'x')])).toMatchObject({ duplicateDelivered: 1, deliveredAfterRestart: 1 });
    expect(countsOf([crash(), send(3, 9), deliver(4, 9, 'n2', 'x')]).deliveredAfterRestart).toBe(0);
    expect(countsOf([send(1, 9), crash('n3'), deliver(3, 9, 'n2', 'x')]).deliveredAfterRestart).toBe(0);
  });

  it('a crash at a truncation, drawn as a protocol-event fault, reaches the compound counters in a real run', () => {
    const text = [
      'name: crash-at-truncate',
      'cluster: { machines: 3, shards: 1, replication: 3 }',
      'duration: 4s',
      'workload: { clients: 2, rate: 200, readRatio: 0.2, keys: 4 }',
      'faults:',
      '  - every: 700ms',
      '    for: 300ms',
      '    isolate: leader(shard 0)',
      '  - when: { event: truncated }',
      '    for: 200ms',
      '    crash: involved',
      'checks: { settle: 3s }',
    ].join('\n');
    const out = executeScenario('crash-at-truncate.yaml', text, 1, []);
    expect(out.failing).toEqual([]);
    expect(out.coverage.logTruncated).toBeGreaterThan(0);
    expect(out.coverage.crashAfterTruncate).toBeGreaterThan(0);
    expect(out.coverage.restartAfterTruncateCrash).toBeGreaterThan(0);
  });

  it('sweep tables add totals and count seeds; all covered once each has fired', () => {
    const table = emptyTable();
    expect(Object.keys(table)).toEqual([...COVERAGE_NAMES]);
    const one = Object.fromEntries(COVERAGE_NAMES.map((n) => [n, 2]));
    addToTable(table, { staleRead: 3 });
    expect(table.staleRead).toEqual({ total: 3, seeds: 1 });
    expect(allCovered(table)).toBe(false);
    addToTable(table, one);
    expect(table.staleRead).toEqual({ total: 5, seeds: 2 });
    expect(allCovered(table)).toBe(true);
  });
});
