import { describe, expect, it } from 'vitest';
import { COMPACTION_SLACK, checkLiveness, livenessMessage } from '../../src/check/liveness.js';

const served = [{ shard: 0, writeOkUs: 1_100, readOkUs: 1_200 }];

describe('liveness', () => {
  it('passes probes served within the bound and flags the shards that were not', () => {
    expect(checkLiveness(1_000, 500, served)).toMatchObject({ ok: true, worstUs: 200, stuck: [] });
    const late = checkLiveness(1_000, 100, [...served, { shard: 1, writeOkUs: 1_050, readOkUs: null }]);
    expect(late).toMatchObject({ ok: false, stuck: [0, 1] });
    expect(livenessMessage(late)).toBe('shards 0, 1 did not serve within 100us of healing');
  });

  it('checks compaction: at most COMPACTION_SLACK intervals of applied entries past the snapshot', () => {
    const every = 50;
    const edge = { shard: 2, machine: 'n1', applied: 300, snapshotIndex: 300 - COMPACTION_SLACK * every };
    const ok = checkLiveness(1_000, 500, served, { every, replicas: [edge] });
    expect(ok.ok).toBe(true);
    expect(ok.compaction).toEqual({ every, replicas: 1, uncompacted: [] });
    const over = { ...edge, applied: edge.applied + 1 };
    const bad = checkLiveness(1_000, 500, served, { every, replicas: [edge, over] });
    expect(bad.ok).toBe(false);
    expect(bad.compaction?.uncompacted).toEqual([over]);
    expect(livenessMessage(bad)).toContain('shard 2 on n1 holds 101 applied entries past its snapshot');
  });

  it('reports no compaction figures when they are not known (real processes)', () => {
    expect(checkLiveness(1_000, 500, served, null).compaction).toBeUndefined();
  });

  it('fails when a request held at the heal is still held at the end, and names it', () => {
    const none = checkLiveness(1_000, 500, served, null, { heldAtHeal: 4, left: [] });
    expect(none.ok).toBe(true);
    expect(none.unanswered).toEqual({ heldAtHeal: 4, left: 0, requests: [] });
    const left = { machine: 'n2', shard: 1, kind: 'read-index' };
    const bad = checkLiveness(1_000, 500, served, null, { heldAtHeal: 4, left: [left, left] });
    expect(bad.ok).toBe(false);
    expect(bad.unanswered).toEqual({ heldAtHeal: 4, left: 2, requests: [left, left] });
    expect(livenessMessage(bad)).toBe('2 request(s) held when the faults healed were never answered (first: a read-index wait on n2, shard 1): every request is answered or refused once the store settles');
    expect(checkLiveness(1_000, 500, served).unanswered).toBeUndefined();
  });

  it('fails Raft state left on a disk for a replica no longer hosted, and a settled shard whose leadership churns', () => {
    const clean = checkLiveness(1_000, 500, served, null, null, [], []);
    expect(clean.ok).toBe(true);
    expect(clean.stray).toEqual({ count: 0, keys: [] });
    const leak = checkLiveness(1_000, 500, served, null, null, [{ machine: 'n3', key: 'raft/2@1/hs' }]);
    expect(leak.ok).toBe(false);
    expect(livenessMessage(leak)).toBe('1 disk key(s) of Raft state outlive their replica (first: raft/2@1/hs on n3): a replica dropped or moved away must delete its state');
    const churn = checkLiveness(1_000, 500, served, null, null, null, [{ shard: 1, campaigns: 3, fromUs: 4_000 }]);
    expect(churn.ok).toBe(false);
    expect(livenessMessage(churn)).toBe("shard 1's replicas started 3 elections from 4000us, after it had settled with no fault and no membership change: leadership churns");
    expect(checkLiveness(1_000, 500, served).churn).toBeUndefined();
  });
});
