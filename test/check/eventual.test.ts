import { describe, expect, it } from 'vitest';
import { checkEventual, checkConvergence, type CommittedWrite } from '../../src/check/eventual.js';
import { checkDurability } from '../../src/check/durability.js';
import { checkLiveness } from '../../src/check/liveness.js';
import type { OpRecord } from '../../src/history/op.js';

let nextId = 1;
const put = (client: number, key: string, value: string, invokeUs: number, completeUs: number | null, index?: number, outcome: OpRecord['outcome'] = 'ok'): OpRecord => ({
  id: nextId++, client, op: 'put', key, value, invokeUs, completeUs, outcome, shard: 0, ...(index !== undefined && { index }),
});
const get = (client: number, key: string, value: string | null, invokeUs: number, completeUs: number, level: OpRecord['level'] = 'follower'): OpRecord => ({
  id: nextId++, client, op: 'get', key, value, level, invokeUs, completeUs, outcome: 'ok', shard: 0,
});
const committedOf = (...writes: [string, string, number][]) => new Map<string, CommittedWrite>(writes.map(([value, key, index]) => [value, { key, shard: 0, index }]));

describe('eventual consistency checker', () => {
  it('accepts fresh and stale-but-real values, and measures staleness', () => {
    const history = [put(1, 'k', 'a', 0, 10, 5), put(1, 'k', 'b', 20, 30, 6), get(2, 'k', 'a', 100, 110), get(3, 'k', 'b', 100, 110)];
    const r = checkEventual({ history, committed: committedOf(['a', 'k', 5], ['b', 'k', 6]), boundedStalenessUs: 1000 });
    expect(r.ok).toBe(true);
    expect(r.staleness.reads).toBe(2);
    expect(r.staleness.stale).toBe(1);
    expect(r.staleness.versionsBehind.max).toBe(1);
    expect(r.staleness.timeBehindUs.max).toBe(70); // b acknowledged at 30, read at 100
  });

  it('flags a value never written', () => {
    const r = checkEventual({ history: [get(1, 'k', 'ghost', 0, 5)], committed: new Map(), boundedStalenessUs: 0 });
    expect(r.ok).toBe(false);
    expect(r.violations[0]!.kind).toBe('never-written');
  });

  it('flags a value from a write invoked after the read completed', () => {
    const history = [get(1, 'k', 'a', 0, 5), put(2, 'k', 'a', 10, 20, 3)];
    const r = checkEventual({ history, committed: committedOf(['a', 'k', 3]), boundedStalenessUs: 0 });
    expect(r.violations.map((v) => v.kind)).toEqual(['from-the-future']);
  });

  it('flags a value of a write that definitely failed, and an uncommitted value', () => {
    const failed = put(1, 'k', 'f', 0, 5, undefined, 'failed');
    const lost = put(1, 'k', 'u', 10, null, undefined, 'indeterminate');
    const history = [failed, lost, get(2, 'k', 'f', 20, 30), get(2, 'k', 'u', 40, 50)];
    const r = checkEventual({ history, committed: new Map(), boundedStalenessUs: 0 });
    expect(r.violations.map((v) => v.kind)).toEqual(['failed-write', 'uncommitted']);
  });

  it('session reads: read-your-writes and monotonic reads', () => {
    const h1 = [put(1, 'k', 'a', 0, 10, 5), put(1, 'k', 'b', 20, 30, 6), get(1, 'k', 'a', 40, 50, 'session')];
    const r1 = checkEventual({ history: h1, committed: committedOf(['a', 'k', 5], ['b', 'k', 6]), boundedStalenessUs: 0 });
    expect(r1.violations.map((v) => v.kind)).toEqual(['read-your-writes']);
    const h2 = [put(9, 'k', 'a', 0, 10, 5), put(9, 'k', 'b', 20, 30, 6), get(1, 'k', 'b', 40, 50, 'session'), get(1, 'k', 'a', 60, 70, 'session')];
    const r2 = checkEventual({ history: h2, committed: committedOf(['a', 'k', 5], ['b', 'k', 6]), boundedStalenessUs: 0 });
    expect(r2.violations.map((v) => v.kind)).toEqual(['monotonic-reads']);
    // The same reads at follower level are merely stale, not violations.
    const h3 = h2.map((o) => (o.op === 'get' ? { ...o, level: 'follower' as const } : o));
    expect(checkEventual({ history: h3, committed: committedOf(['a', 'k', 5], ['b', 'k', 6]), boundedStalenessUs: 0 }).ok).toBe(true);
  });

  it('bounded reads may lag by less than the bound, never more', () => {
    const base = [put(1, 'k', 'a', 0, 10, 5), put(1, 'k', 'b', 20, 1000, 6)];
    const committed = committedOf(['a', 'k', 5], ['b', 'k', 6]);
    const within = checkEventual({ history: [...base, get(2, 'k', 'a', 1500, 1600, 'bounded')], committed, boundedStalenessUs: 1000 });
    expect(within.ok).toBe(true);
    const beyond = checkEventual({ history: [...base, get(2, 'k', 'a', 2500, 2600, 'bounded')], committed, boundedStalenessUs: 1000 });
    expect(beyond.violations.map((v) => v.kind)).toEqual(['bounded-staleness']);
  });

  it('builds the visibility curve: fresh share by time since the latest write', () => {
    const history = [put(1, 'k', 'a', 0, 10, 5), get(2, 'k', 'a', 500, 510), get(3, 'k', null, 300, 310)];
    const r = checkEventual({ history, committed: committedOf(['a', 'k', 5]), boundedStalenessUs: 0 });
    expect(r.staleness.visibility).toEqual([{ upToUs: 1000, reads: 2, fresh: 1 }]);
  });
});

describe('convergence, durability, liveness', () => {
  it('convergence names the replicas that differ', () => {
    const r = checkConvergence({
      shards: [{ shard: 0, expected: 'x', replicas: [{ machine: 'n1', digest: 'x', appliedIndex: 9 }, { machine: 'n2', digest: 'y', appliedIndex: 7 }] }],
    });
    expect(r).toEqual({ ok: false, diverged: [{ shard: 0, machine: 'n2', appliedIndex: 7 }] });
  });

  it('durability: an acknowledged put missing or moved on a replica is lost', () => {
    const p = put(1, 'k', 'a', 0, 10, 5);
    const replica = (machine: string, at: number | undefined, appliedIndex = 10) => ({ machine, shard: 0, appliedIndex, appliedAt: () => at });
    expect(checkDurability([p], [replica('n1', 5), replica('n2', 5)]).ok).toBe(true);
    const r = checkDurability([p], [replica('n1', 5), replica('n2', undefined), replica('n3', undefined, 3)]);
    expect(r.ok).toBe(false);
    expect(r.lost).toEqual([{ op: p.id, key: 'k', index: 5, machine: 'n2', foundAt: null }]);
  });

  it('liveness: every shard must serve a write and a read within the bound after healing', () => {
    expect(checkLiveness(1000, 500, [{ shard: 0, writeOkUs: 1200, readOkUs: 1300 }]).ok).toBe(true);
    const late = checkLiveness(1000, 500, [{ shard: 0, writeOkUs: 1200, readOkUs: 1600 }, { shard: 1, writeOkUs: null, readOkUs: 1100 }]);
    expect(late).toMatchObject({ ok: false, stuck: [0, 1], worstUs: 600 });
  });
});
