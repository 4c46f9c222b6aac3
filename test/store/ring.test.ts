import { describe, expect, it } from 'vitest';
import { BUG_RING_BOUNDARY_OFF_BY_ONE, DEFAULT_VNODES, Ring, keyPosition, shardPoint } from '../../src/store/ring.js';

const ids = (n: number, prefix = 'n'): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);

describe('key ring: shard ranges and the boundary rule', () => {
  const ring = Ring.build({ machines: ids(3), shards: 10, rf: 3 });
  const buggy = Ring.build({ machines: ids(3), shards: 10, rf: 3, bugs: new Set([BUG_RING_BOUNDARY_OFF_BY_ONE]) });

  it('a position exactly on boundary(i) belongs to shard i; one below belongs to shard i-1', () => {
    for (let i = 0; i < 10; i++) {
      const b = ring.boundaryOf(i);
      expect(b).toBe(Math.floor((i * 2 ** 32) / 10));
      expect(ring.shardOfPosition(b)).toBe(i);
      if (i > 0) expect(ring.shardOfPosition(b - 1)).toBe(i - 1);
      expect(ring.shardOfPosition(b + 1)).toBe(i);
    }
    expect(ring.shardOfPosition(2 ** 32 - 1)).toBe(9);
  });

  it('planted bug ring-boundary-off-by-one: boundary positions go to the previous shard, nothing else moves', () => {
    for (let i = 0; i < 10; i++) {
      const b = ring.boundaryOf(i);
      expect(buggy.shardOfPosition(b)).toBe((i + 9) % 10);
      expect(buggy.shardOfPosition(b + 1)).toBe(i);
      if (i > 0) expect(buggy.shardOfPosition(b - 1)).toBe(i - 1);
    }
  });

  it('on a coarse key ring real keys land on boundaries, and the bug reroutes exactly those', () => {
    const bits = 10;
    const opts = { machines: ids(3), shards: 16, rf: 3, positionBits: bits };
    const good = Ring.build(opts);
    const bad = Ring.build({ ...opts, bugs: new Set([BUG_RING_BOUNDARY_OFF_BY_ONE]) });
    let onBoundary = 0;
    for (let k = 0; k < 2000; k++) {
      const key = `k${k}`;
      const p = good.positionOfKey(key);
      expect(p).toBe(keyPosition(key, bits));
      const isBoundary = p % (2 ** bits / 16) === 0;
      if (isBoundary) {
        onBoundary++;
        expect(bad.shardOfKey(key)).toBe((good.shardOfKey(key) + 15) % 16);
      } else {
        expect(bad.shardOfKey(key)).toBe(good.shardOfKey(key));
      }
    }
    // 16 of 1024 positions are boundaries: about 31 of 2000 keys.
    expect(onBoundary).toBeGreaterThan(10);
  });

  it('keys spread over shards', () => {
    const r = Ring.build({ machines: ids(5), shards: 16, rf: 3 });
    const counts = new Array<number>(16).fill(0);
    for (let k = 0; k < 16_000; k++) counts[r.shardOfKey(`k${k}`)]! += 1;
    expect(Math.min(...counts)).toBeGreaterThan(850);
    expect(Math.max(...counts)).toBeLessThan(1150);
  });
});

describe('machines ring: preference lists', () => {
  it('shard points are evenly spaced', () => {
    expect(shardPoint(0, 4)).toBe(0);
    expect(shardPoint(1, 4)).toBe(2 ** 30);
    expect(shardPoint(3, 4)).toBe(3 * 2 ** 30);
  });

  it('each list is the first RF distinct machines clockwise from the shard point', () => {
    for (const placement of ['balanced', 'hashed'] as const) {
      const ring = Ring.build({ machines: ids(7), shards: 32, rf: 3, vnodes: 5, placement });
      const tokens = ring.tokens;
      for (let s = 0; s < 32; s++) {
        const point = shardPoint(s, 32);
        let t = tokens.findIndex((tok) => tok.position >= point);
        if (t < 0) t = 0;
        const want: string[] = [];
        for (let k = 0; want.length < 3 && k < tokens.length; k++) {
          const m = tokens[(t + k) % tokens.length]!.machine;
          if (!want.includes(m)) want.push(m);
        }
        expect(ring.replicasOf(s)).toEqual(want);
      }
    }
  });

  it('gives every machine exactly V tokens, in clockwise order', () => {
    const ring = Ring.build({ machines: ids(4), shards: 16, rf: 3, vnodes: 6 });
    for (const m of ids(4)) expect(ring.tokens.filter((t) => t.machine === m)).toHaveLength(6);
    for (let i = 1; i < ring.tokens.length; i++) expect(ring.tokens[i]!.position).toBeGreaterThan(ring.tokens[i - 1]!.position);
    expect(Ring.build({ machines: ids(2), shards: 4, rf: 1 }).tokens).toHaveLength(2 * DEFAULT_VNODES);
  });

  it('lists are shorter than RF while there are fewer machines than RF', () => {
    const ring = Ring.build({ machines: ids(2), shards: 8, rf: 3 });
    for (let s = 0; s < 8; s++) expect([...ring.replicasOf(s)].sort()).toEqual(['n1', 'n2']);
  });

  it('is deterministic, and build is the fold of join over the machine list', () => {
    const a = Ring.build({ machines: ids(6), shards: 64, rf: 3 });
    const b = Ring.build({ machines: ids(6), shards: 64, rf: 3 });
    expect(b.tokens).toEqual(a.tokens);
    let c = Ring.build({ machines: ['n1'], shards: 64, rf: 3 });
    for (const m of ids(6).slice(1)) c = c.join(m);
    expect(c.tokens).toEqual(a.tokens);
    expect(c.placement()).toEqual(a.placement());
  });

  it('hashed placement depends only on the set of machines', () => {
    const a = Ring.build({ machines: ids(6), shards: 64, rf: 3, placement: 'hashed' });
    const b = Ring.build({ machines: ids(6).reverse(), shards: 64, rf: 3, placement: 'hashed' });
    for (let s = 0; s < 64; s++) expect(b.replicasOf(s)).toEqual(a.replicasOf(s));
  });

  it('rejects programmer errors', () => {
    expect(() => Ring.build({ machines: [], shards: 4, rf: 1 })).toThrow(/machine/);
    expect(() => Ring.build({ machines: ['a', 'a'], shards: 4, rf: 1 })).toThrow(/twice/);
    expect(() => Ring.build({ machines: ['a'], shards: 0, rf: 1 })).toThrow(/shards/);
    expect(() => Ring.build({ machines: ['a'], shards: 4, rf: 1, vnodes: 1.5 })).toThrow(/vnodes/);
    const r = Ring.build({ machines: ['a'], shards: 4, rf: 1 });
    expect(() => r.replicasOf(4)).toThrow(/shard/);
    expect(() => r.join('a')).toThrow(/already/);
    expect(() => r.leave('a')).toThrow(/last/);
    expect(() => r.shardOfPosition(2 ** 32)).toThrow(/position/);
  });
});

describe('balance', () => {
  const sizes: [number, number, number][] = [];
  for (const n of [3, 5, 10, 27]) for (const s of [16, 64, 256]) for (const rf of [3, 5]) if (rf <= n) sizes.push([n, s, rf]);

  for (const [n, shards, rf] of sizes) {
    it(`${n} machines, ${shards} shards, RF ${rf}: replicas and leaders near the mean`, () => {
      const ring = Ring.build({ machines: ids(n), shards, rf });
      const b = ring.balance();
      expect(b.machines.reduce((acc, m) => acc + m.replicas, 0)).toBe(shards * rf);
      expect(b.machines.reduce((acc, m) => acc + m.leaders, 0)).toBe(shards);
      // Within 10 % of the mean, or two replicas above it where the mean is a handful of
      // replicas and whole numbers dominate.
      expect(b.replicasMax).toBeLessThanOrEqual(Math.max(1.1 * b.replicasMean, Math.ceil(b.replicasMean) + 2));
      // Leader balancing reaches the optimum ceil(S/n) at these sizes.
      expect(b.leadersMax).toBe(Math.ceil(shards / n));
      for (let s = 0; s < shards; s++) expect(ring.replicasOf(s)).toContain(ring.preferredLeaderOf(s));
    });
  }

  it('targets at 10 machines, 256 shards, RF 3, for several machine namings', () => {
    for (const prefix of ['n', 'm', 'node-', 'host']) {
      const ring = Ring.build({ machines: ids(10, prefix), shards: 256, rf: 3 });
      expect(ring.replicasMaxOverMean()).toBeLessThanOrEqual(1.1);
      expect(ring.leadersMaxOverMean()).toBeLessThanOrEqual(1.25);
      const join = ring.movedOnJoin(`${prefix}11`);
      expect(join.ideal).toBeCloseTo((3 * 256) / 11, 9);
      expect(join.replicaMoves).toBeLessThanOrEqual(1.15 * join.ideal);
    }
  });

  it('balanced tokens beat hashed tokens at the same V', () => {
    const balanced = Ring.build({ machines: ids(10), shards: 256, rf: 3, vnodes: 24 });
    const hashed = Ring.build({ machines: ids(10), shards: 256, rf: 3, vnodes: 24, placement: 'hashed' });
    expect(balanced.replicasMaxOverMean()).toBeLessThan(hashed.replicasMaxOverMean());
  });
});
