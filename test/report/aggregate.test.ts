// The first pass's bookkeeping on small hand-written traces: role time and spans across a
// crash, fault periods paired by index, staleness from store.read/store.apply, bucket merging,
// and the default space-time window.
import { describe, expect, it } from 'vitest';
import { ReportAggregator } from '../../src/report/aggregate.js';
import { BUCKETS_MAX, BucketSeries } from '../../src/report/series.js';
import { defaultWindow, parseWindow } from '../../src/report/window.js';
import type { TraceEvent } from '../../src/trace/events.js';

function aggregate(events: TraceEvent[]) {
  const agg = new ReportAggregator();
  for (const e of events) agg.add(e);
  return agg.finish();
}

const start: TraceEvent = { t: 0, type: 'run.start', seed: 3, scenario: 's', machines: ['n1', 'n2'] };

describe('ReportAggregator', () => {
  it('splits role time per machine, ends a leader span at a crash and keeps non-follower spans', () => {
    const m = aggregate([
      start,
      { t: 0, type: 'raft.role', group: 0, replica: 'n1', role: 'follower', term: 0, leader: null, reason: 'start' },
      { t: 100, type: 'raft.role', group: 0, replica: 'n1', role: 'candidate', term: 1, leader: null, reason: 'election-timeout' },
      { t: 150, type: 'raft.role', group: 0, replica: 'n1', role: 'leader', term: 1, leader: 'n1', reason: 'elected' },
      { t: 150, type: 'raft.elected', group: 0, replica: 'n1', term: 1, lastIndex: 0, commit: 0, digest: [] },
      { t: 400, type: 'machine.crash', machine: 'n1' },
      { t: 700, type: 'raft.role', group: 0, replica: 'n1', role: 'follower', term: 1, leader: null, reason: 'start' },
      { t: 1000, type: 'run.end', events: 8 },
    ]);
    expect(m.machineStats.get('n1')!.roleUs).toEqual({ follower: 400, precandidate: 0, candidate: 50, leader: 250, down: 300 });
    expect(m.roleSpans.map((s) => [s.role, s.startUs, s.endUs])).toEqual([
      ['candidate', 100, 150],
      ['leader', 150, 400],
      ['down', 400, 700],
    ]);
    expect(m.elections).toEqual([{ tUs: 150, group: 0, replica: 'n1', term: 1 }]);
    expect(m.runEndEvents).toBe(m.events);
    expect(m.seed).toBe(3);
  });

  it('pairs a fault with its end by index; a lasting fault without one lasts until the store settles; others are instants', () => {
    const m = aggregate([
      start,
      { t: 100, type: 'fault', action: 'partition', detail: '#0 {n1} | {n2}' },
      { t: 200, type: 'fault', action: 'crash', detail: '#1 n2' },
      { t: 300, type: 'fault', action: 'end-partition', detail: '#0' },
      { t: 400, type: 'fault', action: 'heal', detail: '#2 all links healed' },
      { t: 900, type: 'store.settle', quiet: true },
      { t: 1000, type: 'run.end', events: 7 },
    ]);
    expect(m.faults.map((f) => [f.action, f.startUs, f.endUs])).toEqual([
      ['partition', 100, 300],
      ['crash', 200, 900],
      ['heal', 400, null],
    ]);
  });

  it('stale reads: versions behind, time behind since the oldest missed write, P(fresh) by time since the latest', () => {
    const apply = (t: number, index: number, machine = 'n1'): TraceEvent => ({ t, type: 'store.apply', machine, shard: 0, index, key: 'k', value: `v${index}`, op: index });
    const read = (t: number, stale: boolean, behind: number): TraceEvent => ({ t, type: 'store.read', machine: 'n2', shard: 0, key: 'k', level: 'follower', version: 0, stale, behind });
    const m = aggregate([start, apply(1_000, 5), apply(1_500, 5, 'n2'), apply(3_000, 9), read(3_500, true, 2), read(10_000, false, 0)]);
    const l = m.staleness.get('follower')!;
    expect(l.reads).toBe(2);
    expect(l.stale).toBe(1);
    expect([...l.versionsBehind]).toEqual([[2, 1]]);
    // Two versions behind: it missed index 5 (first applied at 1000us) and index 9.
    expect(l.timeBehindUs).toEqual([2_500]);
    expect(l.visibility).toEqual([
      { upToUs: 1_000, reads: 1, fresh: 0 },
      { upToUs: 10_000, reads: 1, fresh: 1 },
    ]);
  });

  it('the recomputed trace hash changes when any event does', () => {
    const a = aggregate([start, { t: 5, type: 'fault', action: 'heal', detail: '#0' }]);
    const b = aggregate([start, { t: 5, type: 'fault', action: 'heal', detail: '#1' }]);
    expect(a.traceHash).toMatch(/^[0-9a-f]{16}$/);
    expect(a.traceHash).not.toBe(b.traceHash);
  });
});

describe('BucketSeries', () => {
  it('merges pairs of buckets when the run outgrows them, keeping counts, sums and maxima', () => {
    const s = new BucketSeries();
    const w0 = s.widthUs;
    s.add(0, 'x', 5);
    s.add(w0, 'x', 7);
    s.add(w0 * BUCKETS_MAX, 'x', 1);
    expect(s.widthUs).toBe(2 * w0);
    const st = s.get('x');
    expect(st.count.length).toBeLessThanOrEqual(BUCKETS_MAX);
    expect([st.count[0], st.sum[0], st.max[0]]).toEqual([2, 12, 7]);
    expect(st.count.reduce((a, b) => a + b, 0)).toBe(3);
  });
});

describe('space-time window', () => {
  it('parses FROM..TO and rejects the rest', () => {
    expect(parseWindow('2.1s..2150ms')).toEqual({ fromUs: 2_100_000, toUs: 2_150_000 });
    expect(parseWindow('2..3')).toEqual({ fromUs: 2_000_000, toUs: 3_000_000 });
    expect(() => parseWindow('2s')).toThrow(/expected a window like/);
    expect(() => parseWindow('3s..2s')).toThrow(/is empty/);
  });

  it('defaults to the first election after the first fault', () => {
    const m = aggregate([
      start,
      { t: 100_000, type: 'raft.elected', group: 0, replica: 'n1', term: 1, lastIndex: 0, commit: 0, digest: [] },
      { t: 2_000_000, type: 'fault', action: 'partition', detail: '#0 x' },
      { t: 2_300_000, type: 'raft.elected', group: 0, replica: 'n2', term: 2, lastIndex: 0, commit: 0, digest: [] },
    ]);
    const w = defaultWindow(m);
    expect(w.fromUs).toBeLessThan(2_300_000);
    expect(w.toUs).toBeGreaterThan(2_300_000);
    expect(w.reason).toContain('n2 in term 2');
  });
});
