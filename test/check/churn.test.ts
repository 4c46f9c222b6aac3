import { describe, expect, it } from 'vitest';
import { ChurnWatch, CHURN_CAMPAIGNS } from '../../src/check/churn.js';
import type { TraceEvent } from '../../src/trace/events.js';

const role = (t: number, replica: string, r: 'candidate' | 'precandidate' | 'leader', reason: string, group = 0): TraceEvent =>
  ({ t, type: 'raft.role', group, replica, role: r, term: 1, leader: r === 'leader' ? replica : null, reason }) as TraceEvent;
const conf = (t: number, replica: string, voters: string[], group = 0): TraceEvent => ({ t, type: 'raft.conf', group, replica, index: 1, voters, learners: [] }) as TraceEvent;

function watch(events: TraceEvent[]): ChurnWatch {
  const w = new ChurnWatch();
  for (const e of events) w.observe(e);
  return w;
}

describe('leadership churn watch', () => {
  it('counts elections after a timeout (with or without a pre-vote) in the window, from two up', () => {
    expect(CHURN_CAMPAIGNS).toBe(2);
    const w = watch([role(100, 'n1', 'leader', 'elected'), role(1_000, 'n2', 'candidate', 'won-prevote'), role(1_500, 'n3', 'candidate', 'election-timeout')]);
    expect(w.churned([{ shard: 0, settledUs: 500 }], 100, 0)).toEqual([{ shard: 0, campaigns: 2, fromUs: 600 }]);
    // One election is not churn; nor are elections before the window.
    expect(w.churned([{ shard: 0, settledUs: 500 }], 100, 1_200)).toEqual([]);
    expect(w.churned([{ shard: 0, settledUs: 1_100 }], 100, 0)).toEqual([]);
    // A shard that never settled is liveness's to fail.
    expect(w.churned([{ shard: 0, settledUs: null }], 100, 0)).toEqual([]);
  });

  it('leaves out pre-candidacies that won nothing, transfers, and other groups', () => {
    const w = watch([
      role(1_000, 'n2', 'precandidate', 'election-timeout'),
      role(1_100, 'n2', 'precandidate', 'election-timeout'),
      role(1_200, 'n3', 'candidate', 'timeout-now'),
      role(1_300, 'n2', 'candidate', 'election-timeout', 1),
    ]);
    expect(w.churned([{ shard: 0, settledUs: 0 }], 0, 0)).toEqual([]);
  });

  it('restarts the window at a membership change, and ignores a replica the leader no longer counts', () => {
    const w = watch([
      role(100, 'n1', 'leader', 'elected'),
      conf(200, 'n1', ['n1', 'n2', 'n3']),
      role(1_000, 'n2', 'candidate', 'election-timeout'),
      role(1_100, 'n3', 'candidate', 'election-timeout'),
      conf(1_200, 'n1', ['n1', 'n2', 'n4']),
      role(1_300, 'n3', 'candidate', 'election-timeout'),
      role(1_400, 'n3', 'candidate', 'election-timeout'),
    ]);
    expect(w.churned([{ shard: 0, settledUs: 0 }], 0, 0)).toEqual([]);
    const before = watch([role(100, 'n1', 'leader', 'elected'), conf(200, 'n1', ['n1', 'n2', 'n3']), role(1_000, 'n2', 'candidate', 'election-timeout'), role(1_100, 'n3', 'candidate', 'election-timeout')]);
    expect(before.churned([{ shard: 0, settledUs: 0 }], 0, 0)).toEqual([{ shard: 0, campaigns: 2, fromUs: 200 }]);
  });
});
