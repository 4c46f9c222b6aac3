import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Ring, type ShardMoves } from '../../src/store/ring.js';

const ids = (n: number): string[] => Array.from({ length: n }, (_, i) => `n${i + 1}`);

function checkJoin(before: Ring, newcomer: string): ShardMoves {
  const after = before.join(newcomer);
  const moves = before.movedOnJoin(newcomer);
  const moved = new Set(moves.shards);
  for (let s = 0; s < before.shards; s++) {
    if (moved.has(s)) {
      // A join only ever puts the newcomer into a list.
      expect(after.replicasOf(s)).toContain(newcomer);
    } else {
      // Never move a shard whose preference list did not change.
      expect(after.replicasOf(s)).toEqual(before.replicasOf(s));
    }
  }
  for (const a of moves.added) expect(a.machine).toBe(newcomer);
  const load = after.balance().machines.find((m) => m.machine === newcomer)!.replicas;
  expect(moves.replicaMoves).toBe(load);
  expect(moves.shards.length).toBe(load);
  return moves;
}

function checkLeave(before: Ring, leaver: string): ShardMoves {
  const after = before.leave(leaver);
  const moves = before.movedOnLeave(leaver);
  const moved = new Set(moves.shards);
  for (let s = 0; s < before.shards; s++) {
    const had = before.replicasOf(s).includes(leaver);
    expect(moved.has(s)).toBe(had);
    if (!had) expect(after.replicasOf(s)).toEqual(before.replicasOf(s));
    else expect(after.replicasOf(s)).not.toContain(leaver);
  }
  for (const r of moves.removed) expect(r.machine).toBe(leaver);
  return moves;
}

describe('join and leave', () => {
  it('property: a join or leave changes exactly the lists that gain or lose that machine', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 96 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 32 }),
        fc.constantFrom('balanced' as const, 'hashed' as const),
        fc.nat(),
        (n, shards, rf, vnodes, placement, pick) => {
          const ring = Ring.build({ machines: ids(n), shards, rf, vnodes, placement });
          checkJoin(ring, 'newcomer');
          if (n > 1) checkLeave(ring, ids(n)[pick % n]!);
        },
      ),
      { numRuns: 60, seed: 20261124 },
    );
  });

  it('property: with enough shards per machine, a balanced join moves close to RF*S/(n+1)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 12 }), fc.constantFrom(128, 256), fc.constantFrom(3, 5), (n, shards, rf) => {
        fc.pre(rf <= n);
        const moves = checkJoin(Ring.build({ machines: ids(n), shards, rf }), `n${n + 1}`);
        expect(moves.ideal).toBeCloseTo((rf * shards) / (n + 1), 9);
        expect(moves.replicaMoves).toBeLessThanOrEqual(1.15 * moves.ideal);
        expect(moves.replicaMoves).toBeGreaterThanOrEqual(0.85 * moves.ideal);
      }),
      { numRuns: 20, seed: 7 },
    );
  });

  it('a leave moves exactly the leaver replicas; joining the same machine again restores balance', () => {
    const ring = Ring.build({ machines: ids(10), shards: 256, rf: 3 });
    const leave = checkLeave(ring, 'n4');
    const load = ring.balance().machines.find((m) => m.machine === 'n4')!.replicas;
    expect(leave.replicaMoves).toBe(load);
    expect(leave.removed).toHaveLength(load);
    expect(leave.ideal).toBeCloseTo(76.8, 9);
    const back = ring.leave('n4').join('n4');
    expect(back.replicasMaxOverMean()).toBeLessThanOrEqual(1.25);
  });

  it('a sequence of joins and leaves keeps every list of RF distinct machines', () => {
    let ring = Ring.build({ machines: ids(5), shards: 64, rf: 3 });
    const steps: [string, string][] = [
      ['join', 'n6'],
      ['leave', 'n2'],
      ['join', 'n7'],
      ['leave', 'n6'],
      ['join', 'n2'],
    ];
    for (const [op, m] of steps) {
      if (op === 'join') checkJoin(ring, m);
      else checkLeave(ring, m);
      ring = op === 'join' ? ring.join(m) : ring.leave(m);
      for (let s = 0; s < 64; s++) expect(new Set(ring.replicasOf(s)).size).toBe(3);
    }
  });
});
