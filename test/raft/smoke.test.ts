import { describe, expect, it } from 'vitest';
import { Cluster, randomSchedule } from './harness.js';

describe('smoke', () => {
  it('elects and commits', () => {
    const c = new Cluster({ ids: ['a', 'b', 'c'] });
    c.runUntil(() => c.leader() !== null);
    const l = c.leader() as string;
    const p = c.r(l).propose('x');
    c.drain(l);
    expect(p.ok).toBe(true);
    c.runUntil(() => [...c.nodes.values()].every((n) => n.applied.some((e) => e.kind === 'normal')));
    console.log(c.events.length, c.elections());
  });
  it('random', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const c = new Cluster({ ids: ['a', 'b', 'c', 'd', 'e'], seed, strict: false });
      const v = randomSchedule(c, seed, { steps: 3000, crash: 0.01, partition: 0.01, drop: 0.05, duplicate: 0.05, compact: 0.01 });
      expect(v).toBe(null);
      console.log(seed, c.elections(), Math.max(...[...c.nodes.values()].map((n) => n.replica?.commitIndex ?? 0)));
    }
  });
});
