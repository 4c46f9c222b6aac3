import { describe, expect, it } from 'vitest';
import { checkPlacement, checkSpread, placementMessage, type PlacementShardInput } from '../../src/check/placement.js';

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

describe('placement check: read replicas given back, lists that add up', () => {
  const withAutoscale = (coldForUs: number, requiredUs: number | null, remaining: { shard: number; machines: string[] }[]) =>
    checkPlacement({
      shards: [
        shard({
          desiredLearners: remaining.flatMap((r) => r.machines),
          actual: { leader: 'n1', voters: ['n1', 'n2', 'n3'], learners: remaining.flatMap((r) => r.machines) },
          hosts: ['n1', 'n2', 'n3', ...remaining.flatMap((r) => r.machines)],
        }),
      ],
      atUs: 1,
      movesCompleted: 0,
      learnersAdded: 0,
      learnersRemoved: 0,
      learnersInitial: remaining.flatMap((r) => r.machines).length, // (the counts are not what these cases judge)
      autoscale: { coldForUs, requiredUs, remaining },
    });

  it('asks nothing while the cold window is shorter than the rule needs, or when no shard can be cold', () => {
    const early = withAutoscale(5_000_000, 14_400_000, [{ shard: 0, machines: ['n4'] }]);
    expect(early.autoscale).toMatchObject({ ok: true, applied: false });
    expect(withAutoscale(60_000_000, null, [{ shard: 0, machines: ['n4'] }]).autoscale).toMatchObject({ ok: true, applied: false });
  });

  it('fails an autoscaled learner still listed after the window, and passes once they are gone', () => {
    const r = withAutoscale(32_000_000, 28_800_000, [{ shard: 0, machines: ['n4', 'n5'] }]);
    expect(r.ok).toBe(false);
    expect(r.autoscale).toMatchObject({ ok: false, applied: true, remaining: [{ shard: 0, machines: ['n4', 'n5'] }] });
    expect(placementMessage(r)).toBe(
      'shard 0 still has autoscaled read replicas on n4, n5 after 32000000us with no load and no fault (the autoscaler gives them back within 28800000us)',
    );
    const gone = withAutoscale(32_000_000, 28_800_000, []);
    expect(gone.ok).toBe(true);
    expect(gone.autoscale).toMatchObject({ ok: true, applied: true });
  });

  it('wants the directory lists to be the initial ones plus added, minus removed and dropped by a replace', () => {
    const learnerShard = shard({ desiredLearners: ['n4'], actual: { leader: 'n1', voters: ['n1', 'n2', 'n3'], learners: ['n4'] }, hosts: ['n1', 'n2', 'n3', 'n4'] });
    const counts = (added: number, removed: number, initial: number, dropped: number) =>
      checkPlacement({ shards: [learnerShard], atUs: 1, movesCompleted: 0, learnersAdded: added, learnersRemoved: removed, learnersInitial: initial, learnersDroppedByReplace: dropped });
    expect(counts(1, 0, 0, 0).ok).toBe(true);
    expect(counts(2, 1, 0, 0).ok).toBe(true);
    expect(counts(1, 1, 2, 1).ok).toBe(true);
    // Added never counted (the directory lists one the counts do not know of).
    const r = counts(0, 0, 0, 0);
    expect(r.ok).toBe(false);
    expect(r.learnerCounts).toEqual({ initial: 0, added: 0, removed: 0, droppedByReplace: 0, listed: 1 });
    expect(placementMessage(r)).toBe('read replicas: the directory lists 1, but 0 at the start + 0 added - 0 removed - 0 dropped by a replace make 0');
    expect(counts(2, 0, 0, 0).ok).toBe(false); // one given back with no event
  });
});

describe('placement check: zone spread', () => {
  // Two regions, three zones: east-a (n1, n2), east-b (n3), west-a (n4).
  const machines = [
    { machine: 'n1', region: 'east', zone: 'east-a' },
    { machine: 'n2', region: 'east', zone: 'east-a' },
    { machine: 'n3', region: 'east', zone: 'east-b' },
    { machine: 'n4', region: 'west', zone: 'west-a' },
  ];
  const shards = [
    { shard: 0, voters: ['n1', 'n3', 'n4'], leader: 'n1' },
    { shard: 1, voters: ['n2', 'n4', 'n3'], leader: 'n4' },
  ];
  const report = () => ({
    regions: [
      { region: 'east', zones: 2, machines: 3, replicas: 4, leaders: 1 },
      { region: 'west', zones: 1, machines: 1, replicas: 2, leaders: 1 },
    ],
    zones: [
      { zone: 'east-a', region: 'east', machines: 2, replicas: 2, leaders: 1 },
      { zone: 'east-b', region: 'east', machines: 1, replicas: 2, leaders: 0 },
      { zone: 'west-a', region: 'west', machines: 1, replicas: 2, leaders: 1 },
    ],
    shardsWithSharedZone: 0,
    shardsWithSharedRegion: 2,
    zonesPerShardMin: 3,
    regionsPerShardMin: 2,
  });

  it('passes a report that matches the membership and a walk that covers every region and zone it can', () => {
    expect(checkSpread({ reported: report(), machines, shards, quotas: false })).toEqual({ ok: true, problems: [] });
    const r = checkPlacement({ shards: [], atUs: 1, movesCompleted: 0, learnersAdded: 0, learnersRemoved: 0, learnersInitial: 0, driver: false, spread: { reported: report(), machines, shards, quotas: false } });
    expect(r.ok).toBe(true);
  });

  it('fails a report whose counts are not the membership\'s (a zone with no counts, every shard called shared)', () => {
    const broken = report();
    (broken.zones as unknown[])[0] = {};
    const r = checkSpread({ reported: broken, machines, shards, quotas: false });
    expect(r.ok).toBe(false);
    expect(r.problems[0]).toBe('the ring reports a zone undefined no machine is in');
    const shared = { ...report(), shardsWithSharedZone: 2 };
    expect(checkSpread({ reported: shared, machines, shards, quotas: false }).problems).toEqual([
      'the ring reports shards with two replicas in one zone: 2, the membership says 0',
    ]);
    const placement = checkPlacement({ shards: [], atUs: 1, movesCompleted: 0, learnersAdded: 0, learnersRemoved: 0, learnersInitial: 0, spread: { reported: shared, machines, shards, quotas: false } });
    expect(placement.ok).toBe(false);
    expect(placementMessage(placement)).toBe('zone spread: the ring reports shards with two replicas in one zone: 2, the membership says 0');
    expect(checkSpread({ reported: undefined, machines, shards, quotas: false }).ok).toBe(false);
  });

  it('fails voters that leave a region or a zone out that the walk would have covered, unless quotas bend it', () => {
    const bunched = [{ shard: 0, voters: ['n1', 'n2', 'n3'], leader: 'n1' }];
    const rep = {
      regions: [
        { region: 'east', zones: 2, machines: 3, replicas: 3, leaders: 1 },
        { region: 'west', zones: 1, machines: 1, replicas: 0, leaders: 0 },
      ],
      zones: [
        { zone: 'east-a', region: 'east', machines: 2, replicas: 2, leaders: 1 },
        { zone: 'east-b', region: 'east', machines: 1, replicas: 1, leaders: 0 },
        { zone: 'west-a', region: 'west', machines: 1, replicas: 0, leaders: 0 },
      ],
      shardsWithSharedZone: 1,
      shardsWithSharedRegion: 1,
      zonesPerShardMin: 2,
      regionsPerShardMin: 1,
    };
    expect(checkSpread({ reported: rep, machines, shards: bunched, quotas: false }).problems).toEqual(["shard 0's voters [n1, n2, n3] cover 1 regions, not 2"]);
    expect(checkSpread({ reported: rep, machines, shards: bunched, quotas: true }).ok).toBe(true);
    // Both regions, but the same zone twice while a third was free.
    const zoneTwice = [{ shard: 0, voters: ['n1', 'n2', 'n4'], leader: 'n4' }];
    const r = checkSpread({ reported: undefined, machines, shards: zoneTwice, quotas: false });
    expect(r.problems).toContain("shard 0's voters [n1, n2, n4] cover 2 zones, not 3");
    // A voter on a machine with no place is reported as such.
    expect(checkSpread({ reported: undefined, machines, shards: [{ shard: 0, voters: ['n9'], leader: 'n9' }], quotas: true }).problems[0]).toBe(
      "shard 0's voter n9 is not a placed machine of the ring",
    );
  });
});

describe('placement: the driver says it is settled once every shard is placed', () => {
  const placed = {
    shards: [{ shard: 0, desiredVoters: ['n1', 'n2', 'n3'], desiredLearners: [], actual: { leader: 'n1', voters: ['n1', 'n2', 'n3'], learners: [] }, hosts: ['n1', 'n2', 'n3'] }],
    atUs: 9_000_000,
    movesCompleted: 1,
    learnersAdded: 0,
    learnersRemoved: 0,
    learnersInitial: 0,
  };

  it('passes a settled driver, and a run that does not say (no driverSettled)', () => {
    expect(checkPlacement({ ...placed, driverSettled: true }).ok).toBe(true);
    expect(checkPlacement(placed).ok).toBe(true);
  });

  it('fails a driver still waiting while every shard is placed, and says so', () => {
    const r = checkPlacement({ ...placed, driverSettled: false });
    expect(r.ok).toBe(false);
    expect(r.mismatches).toEqual([]);
    expect(r.driverSettled).toBe(false);
    expect(placementMessage(r)).toBe('every shard is placed at 9000000us, but the placement driver still does not say it is settled (it waits for a move, drop or hosting that never completes)');
  });
});
