import { describe, expect, it } from 'vitest';
import { World } from '../../src/sim/world.js';

describe('runaway runs', () => {
  it('a message storm (every message answered twice) ends with an assertion, not a hang', () => {
    const world = new World({ seed: 1 });
    for (const [id, peer] of [['n1', 'n2'], ['n2', 'n1']] as const) {
      world.addMachine(id, (ctx) => {
        if (id === 'n1') ctx.setTimer(1, () => ctx.send(peer, 0, 'storm'));
        return {
          onMessage: () => {
            ctx.send(peer, 0, 'storm');
            ctx.send(peer, 0, 'storm');
          },
        };
      });
    }
    expect(() => world.run(10_000_000)).toThrow(/assertion: runaway run/);
  });

  it('steady heavy traffic is not a storm', () => {
    const world = new World({ seed: 1 });
    for (const [id, peer] of [['n1', 'n2'], ['n2', 'n1']] as const) {
      world.addMachine(id, (ctx) => {
        ctx.setTimer(1, () => { for (let i = 0; i < 64; i++) ctx.send(peer, 0, 'steady'); });
        return { onMessage: () => ctx.send(peer, 0, 'steady') };
      });
    }
    expect(() => world.run(5_000_000)).not.toThrow();
  });
});
