import { describe, expect, it } from 'vitest';
import { RandomStreams } from '../../src/sim/random.js';

const draw = (streams: RandomStreams, name: string, n: number) => Array.from({ length: n }, () => streams.stream(name).next());

describe('named random streams', () => {
  it('give the same draws for the same seed and name', () => {
    expect(draw(new RandomStreams(42), 'link/n1>n2', 5)).toEqual(draw(new RandomStreams(42), 'link/n1>n2', 5));
  });

  it('differ across seeds and across names', () => {
    expect(draw(new RandomStreams(42), 'a', 5)).not.toEqual(draw(new RandomStreams(43), 'a', 5));
    expect(draw(new RandomStreams(42), 'a', 5)).not.toEqual(draw(new RandomStreams(42), 'b', 5));
  });

  it('do not shift when another consumer is added or removed', () => {
    const alone = new RandomStreams(9);
    const a1 = draw(alone, 'client/1', 10);
    const crowded = new RandomStreams(9);
    draw(crowded, 'client/0', 50); // a new consumer drawing first and often
    const a2 = draw(crowded, 'client/1', 10);
    expect(a2).toEqual(a1);
  });

  it('int, chance and pick stay in range', () => {
    const rng = new RandomStreams(1).stream('x');
    for (let i = 0; i < 1000; i++) {
      const v = rng.int(3, 5);
      expect(v === 3 || v === 4 || v === 5).toBe(true);
      expect(['a', 'b']).toContain(rng.pick(['a', 'b']));
      expect(rng.exponential(10)).toBeGreaterThanOrEqual(0);
    }
    expect(rng.chance(0)).toBe(false);
    expect(rng.chance(1)).toBe(true);
    expect(() => rng.int(5, 3)).toThrow(/assertion/);
  });
});
