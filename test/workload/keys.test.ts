import { describe, expect, it } from 'vitest';
import { SeededRng } from '../../src/sim/random.js';
import { keyDistribution, keyName, parseValue, valueFor, type KeyDistributionSpec } from '../../src/workload/keys.js';

function counts(spec: KeyDistributionSpec, draws: number, seed = 'keys-test'): number[] {
  const dist = keyDistribution(spec);
  const rng = new SeededRng(seed);
  const c = new Array<number>(dist.keyCount).fill(0);
  for (let i = 0; i < draws; i++) c[dist.drawIndex(rng)]! += 1;
  return c;
}

describe('uniform', () => {
  it('spreads draws evenly over K keys (chi-square)', () => {
    const keys = 50;
    const draws = 100_000;
    const c = counts({ kind: 'uniform', keys }, draws);
    const expected = draws / keys;
    const chi = c.reduce((acc, x) => acc + (x - expected) ** 2 / expected, 0);
    // 49 degrees of freedom: the 99.9th percentile is about 85.4.
    expect(chi).toBeLessThan(85.4);
    expect(Math.min(...c)).toBeGreaterThan(0);
  });
});

describe('zipfian', () => {
  for (const theta of [0.5, 0.99, 1, 1.2, 2]) {
    it(`rank frequencies follow 1/r^${theta}`, () => {
      const keys = 1000;
      const draws = 200_000;
      const dist = keyDistribution({ kind: 'zipfian', keys, theta });
      const c = counts(dist.spec, draws);
      let h = 0;
      for (let r = 1; r <= keys; r++) h += r ** -theta;
      for (const rank of [1, 2, 10]) {
        const p = rank ** -theta / h;
        expect(dist.probability(rank - 1)).toBeCloseTo(p, 12);
        const sd = Math.sqrt(draws * p * (1 - p));
        // Five standard deviations (plus one draw): generous, yet a wrong exponent fails.
        expect(Math.abs((c[rank - 1] as number) - draws * p)).toBeLessThan(5 * sd + 1);
      }
    });
  }

  it('probabilities sum to one and fall with rank', () => {
    const dist = keyDistribution({ kind: 'zipfian', keys: 500, theta: 0.8 });
    let sum = 0;
    for (let i = 0; i < 500; i++) {
      sum += dist.probability(i);
      if (i > 0) expect(dist.probability(i)).toBeLessThan(dist.probability(i - 1));
    }
    expect(sum).toBeCloseTo(1, 10);
  });

  it('never draws outside 0..K-1, even for u just below 1', () => {
    const dist = keyDistribution({ kind: 'zipfian', keys: 7, theta: 3 });
    const edge = { next: () => 1 - 2 ** -53, int: () => 0, chance: () => false, pick: <T>(xs: readonly T[]) => xs[0] as T, exponential: () => 0 };
    expect(dist.drawIndex(edge)).toBe(6);
  });

  it('rejects theta <= 0', () => {
    expect(() => keyDistribution({ kind: 'zipfian', keys: 10, theta: 0 })).toThrow(/theta/);
  });
});

describe('hotspot', () => {
  it('gives the hot fraction of keys the hot fraction of accesses', () => {
    const keys = 1000;
    const draws = 100_000;
    const c = counts({ kind: 'hotspot', keys, hotKeyFraction: 0.05, hotAccessFraction: 0.8 }, draws);
    const hot = c.slice(0, 50).reduce((a, b) => a + b, 0);
    expect(hot / draws).toBeGreaterThan(0.79);
    expect(hot / draws).toBeLessThan(0.81);
    // Within the cold set, draws stay uniform: no cold key gets hot-key traffic.
    expect(Math.max(...c.slice(50))).toBeLessThan(80);
  });

  it('all keys hot means every access is hot', () => {
    const c = counts({ kind: 'hotspot', keys: 10, hotKeyFraction: 1, hotAccessFraction: 0.3 }, 1000);
    expect(c.reduce((a, b) => a + b, 0)).toBe(1000);
    expect(keyDistribution({ kind: 'hotspot', keys: 10, hotKeyFraction: 1, hotAccessFraction: 0.3 }).probability(3)).toBe(0.1);
  });
});

describe('determinism', () => {
  for (const spec of [
    { kind: 'uniform', keys: 100 },
    { kind: 'zipfian', keys: 100, theta: 0.99 },
    { kind: 'hotspot', keys: 100, hotKeyFraction: 0.1, hotAccessFraction: 0.9 },
  ] as const) {
    it(`${spec.kind}: the same seed draws the same keys, another seed does not`, () => {
      const dist = keyDistribution(spec);
      const a = new SeededRng('s1');
      const b = new SeededRng('s1');
      const c = new SeededRng('s2');
      const xs = Array.from({ length: 200 }, () => dist.draw(a));
      const ys = Array.from({ length: 200 }, () => dist.draw(b));
      const zs = Array.from({ length: 200 }, () => dist.draw(c));
      expect(xs).toEqual(ys);
      expect(xs).not.toEqual(zs);
      expect(xs.every((k) => /^k[0-9]+$/.test(k))).toBe(true);
    });
  }
});

describe('keys and values', () => {
  it('names keys k0..k{K-1}', () => {
    expect(keyName(0)).toBe('k0');
    expect(keyName(41)).toBe('k41');
  });

  it('valueFor is unique per (client, seq) and parses back', () => {
    const seen = new Set<string>();
    for (const client of ['c1', 'c11', 'c1#1', '']) {
      for (let seq = 0; seq < 20; seq++) {
        const v = valueFor(client, seq);
        expect(seen.has(v)).toBe(false);
        seen.add(v);
        expect(parseValue(v)).toEqual({ client, seq });
      }
    }
    expect(parseValue('no-seq')).toBeUndefined();
    expect(parseValue('c1#01')).toBeUndefined();
    expect(() => valueFor('c1', -1)).toThrow();
    expect(() => valueFor('c1', 1.5)).toThrow();
  });
});
