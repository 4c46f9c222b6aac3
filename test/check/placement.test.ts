import { describe, expect, it } from 'vitest';
import { checkPlacement, placementMessage, type PlacementShardInput } from '../../src/check/placement.js';

const shard = (over: Partial<PlacementShardInput> = {}): PlacementShardInput => ({
  shard: 0,
  desiredVoters: ['n1', 'n2', 'n3'],
  desiredLearners: [],
  actual: { leader: 'n1', voters: ['n3', 'n1', 'n2'], learners: [] },
  hosts: ['n1', 'n2', 'n3'],
  ...over,
});
const run = (shards: PlacementShardInput[], learnersAdded = 0, learnersRemoved = 0, learnersInitial = 0) =>
  checkPlacement({ shards, atUs: 7_000_000, movesCompleted: 1, learnersAdded, learnersRemoved, learnersInitial });

describe('placement convergence check', () => {
  it('passes when voters sit on the desired machines, in any order', () => {
    const r = run([shard()]);
    expect(r.ok).toBe(true);
    expect(placementMessage(r)).toBeUndefined();
  });

  it('fails a join that never completed (a desired machine holds no voter)', () => {
    const r = run([shard({ desiredVoters: ['n1', 'n2', 'n4'], hosts: ['n1', 'n2', 'n3'] })]);
    expect(r.ok).toBe(false);
    expect(r.mismatches[0]).toMatchObject({ problem: 'voters', expected: ['n1', 'n2', 'n4'], actual: ['n1', 'n2', 'n3'] });
    expect(placementMessage(r)).toMatch(/^shard 0 has voters \[n1, n2, n3\], the placement wants \[n1, n2, n4\]/);
  });

  it('fails a shard left with no leader, and a learner still waiting for promotion', () => {
    expect(run([shard({ actual: null })]).mismatches[0]?.problem).toBe('no leader');
    const r = run([shard({ actual: { leader: 'n1', voters: ['n1', 'n2', 'n3'], learners: ['n4'] }, hosts: ['n1', 'n2', 'n3', 'n4'] })]);
    expect(r.mismatches[0]?.problem).toBe('learners');
  });

  it('wants read replicas as learners (a desired voter listed as one is not a learner)', () => {
    const ok = run([shard({ desiredLearners: ['n4', 'n2'], actual: { leader: 'n1', voters: ['n1', 'n2', 'n3'], learners: ['n4'] }, hosts: ['n1', 'n2', 'n3', 'n4'] })], 1);
    expect(ok.ok).toBe(true);
    expect(run([shard({ desiredLearners: ['n4'] })], 1).mismatches[0]).toMatchObject({ problem: 'learners', expected: ['n4'], actual: [] });
  });

  it('fails a replica still hosted outside the membership (a removal that never dropped it)', () => {
    const r = run([shard({ hosts: ['n1', 'n2', 'n3', 'n5'] })]);
    expect(r.mismatches[0]?.problem).toBe('orphan');
    expect(placementMessage(r)).toMatch(/still hosted on n5 outside its membership/);
  });

  it('fails a member whose machine no longer hosts its replica (a stale drop that deleted a re-hosted one)', () => {
    const r = run([shard({ hosts: ['n1', 'n3'] })]);
    expect(r.ok).toBe(false);
    expect(r.mismatches[0]).toMatchObject({ problem: 'missing', expected: ['n1', 'n2', 'n3'], actual: ['n1', 'n3'] });
    expect(placementMessage(r)).toMatch(/^shard 0 counts n2 in its membership, but no replica of it is hosted there/);
    const learner = run([shard({ desiredLearners: ['n4'], actual: { leader: 'n1', voters: ['n1', 'n2', 'n3'], learners: ['n4'] } })], 1);
    expect(learner.mismatches[0]?.problem).toBe('missing');
  });

  it('fails impossible read-replica counts, and reports at most five mismatches', () => {
    const r = run([shard()], 1, 2);
    expect(r.ok).toBe(false);
    expect(r.learnerCounts).toEqual({ initial: 0, added: 1, removed: 2 });
    expect(placementMessage(r)).toBe('read replicas: 2 removed but 0 at the start and 1 added');
    expect(run([shard()], 1, 2, 1).ok).toBe(true); // a zone read replica the directory started with
    expect(run([shard()], 0, -1).ok).toBe(false);
    const moves = checkPlacement({ shards: [shard()], atUs: 1, movesCompleted: -1, learnersAdded: 0, learnersRemoved: 0, learnersInitial: 0 });
    expect(moves.ok).toBe(false);
    expect(placementMessage(moves)).toBe('the placement driver counts -1 moves completed');
    const many = run(Array.from({ length: 8 }, (_, i) => shard({ shard: i, actual: null })));
    expect(many.mismatches).toHaveLength(5);
    expect(placementMessage(many)).toMatch(/\(and 4 more\)$/);
  });
});
