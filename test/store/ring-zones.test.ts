// Zone-aware placement: a shard's replicas cover as many regions, then zones, as the topology
// allows; quotas hold; the preferred leader sits in the leader region; balance stays within the
// target when zones are equal; a ring without places is the plain ring.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Ring } from '../../src/store/ring.js';
import type { Place } from '../../src/base/place.js';

const RUNS = Number(process.env.KVSIM_PROP_RUNS ?? 20);

/** Machines n1..nN placed by a layout: per region, machines per zone. */
function placesOf(layout: number[][]): Map<string, Place> {
  const places = new Map<string, Place>();
  let n = 1;
  layout.forEach((zones, r) =>
    zones.forEach((count, z) => {
      for (let k = 0; k < count; k++) places.set(`n${n++}`, { region: `r${r + 1}`, zone: `r${r + 1}-z${z + 1}` });
    }),
  );
  return places;
}

const layoutArb = fc.array(fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 4 });

describe('zone-aware placement', () => {
  it('covers min(RF, zones) zones and min(RF, regions) regions in every shard', () => {
    fc.assert(
      fc.property(layoutArb, fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 32 }), (layout, rf, shards) => {
        const places = placesOf(layout);
        const machines = [...places.keys()];
        const ring = Ring.build({ machines, shards, rf, vnodes: 8, places });
        const zones = new Set([...places.values()].map((p) => p.zone)).size;
        const regions = new Set([...places.values()].map((p) => p.region)).size;
        const want = Math.min(rf, machines.length);
        for (let s = 0; s < shards; s++) {
          const list = ring.replicasOf(s);
          expect(new Set(list).size).toBe(want);
          expect(new Set(list.map((m) => places.get(m)!.zone)).size).toBe(Math.min(want, zones));
          expect(new Set(list.map((m) => places.get(m)!.region)).size).toBe(Math.min(want, regions));
        }
      }),
      { numRuns: RUNS, seed: 22 },
    );
  });

  it('keeps a region quota', () => {
    const places = placesOf([[2, 2], [2, 2], [2]]);
    const machines = [...places.keys()];
    const ring = Ring.build({ machines, shards: 32, rf: 5, places, replicasPerRegion: { r3: 1 } });
    for (let s = 0; s < 32; s++) {
      const inR3 = ring.replicasOf(s).filter((m) => places.get(m)!.region === 'r3').length;
      expect(inR3).toBeLessThanOrEqual(1);
      expect(ring.replicasOf(s)).toHaveLength(5);
    }
  });

  it('prefers leaders in the leader region', () => {
    const places = placesOf([[1, 1], [1, 1], [1, 1]]);
    const ring = Ring.build({ machines: [...places.keys()], shards: 24, rf: 3, places, leaderRegion: 'r2' });
    for (let s = 0; s < 24; s++) expect(places.get(ring.preferredLeaderOf(s))!.region).toBe('r2');
  });

  // Measured (src/store/README.md): 10 zones 1.003, 2 regions x 5 zones 1.042, 2 x (2,2,1) 1.055;
  // 5 regions of 2 machines 1.146 (above the target: the greedy allocator's model is the plain walk).
  it('balances 10 machines x 256 shards within 1.10 max/mean over zones', () => {
    for (const layout of [[[1, 1, 1, 1, 1, 1, 1, 1, 1, 1]], [[1, 1, 1, 1, 1], [1, 1, 1, 1, 1]], [[2, 2, 1], [2, 2, 1]]]) {
      const places = placesOf(layout);
      const ring = Ring.build({ machines: [...places.keys()], shards: 256, rf: 3, places });
      expect(ring.spread()!.shardsWithSharedZone).toBe(0);
      expect(ring.replicasMaxOverMean()).toBeLessThanOrEqual(1.1);
    }
  });

  it('is the plain ring when every machine shares one place', () => {
    const machines = Array.from({ length: 7 }, (_, i) => `n${i + 1}`);
    const places = new Map(machines.map((m) => [m, { region: 'one', zone: 'one-a' }] as const));
    const plain = Ring.build({ machines, shards: 40, rf: 3 });
    const zoned = Ring.build({ machines, shards: 40, rf: 3, places });
    for (let s = 0; s < 40; s++) expect(zoned.replicasOf(s)).toEqual(plain.replicasOf(s));
    expect(plain.spread()).toBeUndefined();
  });
});
