import { describe, expect, it } from 'vitest';
import { isolateLinks, linksBetweenSides, oneWayLinks } from '../../src/sim/network.js';
import { recordingWorld } from './helpers.js';

describe('network', () => {
  it('delivers after the latency model (no jitter: exactly the mean)', () => {
    const { world, received, ctx } = recordingWorld(['n1', 'n2'], { link: { meanUs: 1000, minUs: 100 } });
    ctx('n1').send('n2', 'hello', 'test');
    world.run(999);
    expect(received).toHaveLength(0);
    world.run(1000);
    expect(received).toEqual([{ atUs: 1000, at: 'n2', from: 'n1', payload: 'hello' }]);
  });

  it('never goes below the minimum latency and adds long-tail spikes', () => {
    const { world, received, ctx } = recordingWorld(['n1', 'n2'], {
      link: { meanUs: 1000, minUs: 900, jitterUs: 800, tailProbability: 0.2, tailFactor: 10, reorder: true },
    });
    for (let i = 0; i < 500; i++) ctx('n1').send('n2', i, 'test');
    world.run(100_000_000);
    const latencies = received.map((r) => r.atUs);
    expect(Math.min(...latencies)).toBeGreaterThanOrEqual(900);
    expect(latencies.filter((l) => l >= 9000).length).toBeGreaterThan(50); // ~20% in the tail
  });

  it('keeps each link FIFO unless reordering is on', () => {
    const run = (reorder: boolean) => {
      const { world, received, ctx } = recordingWorld(['n1', 'n2'], { link: { jitterUs: 900, meanUs: 1000, reorder } });
      for (let i = 0; i < 200; i++) ctx('n1').send('n2', i, 'test');
      world.run(1_000_000);
      return received.map((r) => r.payload as number);
    };
    const fifo = run(false);
    expect(fifo).toEqual([...fifo].sort((a, b) => a - b));
    const reordered = run(true);
    expect(reordered).toHaveLength(200);
    expect(reordered).not.toEqual([...reordered].sort((a, b) => a - b));
  });

  it('drops messages across a partition and delivers again after heal', () => {
    const { world, received, ctx } = recordingWorld(['n1', 'n2', 'n3']);
    world.network.cutAll(linksBetweenSides([['n1'], ['n2', 'n3']]), 'test');
    ctx('n1').send('n2', 'lost', 'test');
    ctx('n2').send('n1', 'lost too', 'test');
    ctx('n2').send('n3', 'same side', 'test');
    world.run(10_000);
    expect(received.map((r) => r.payload)).toEqual(['same side']);
    world.network.heal('all');
    ctx('n1').send('n2', 'after heal', 'test');
    world.run(20_000);
    expect(received.map((r) => r.payload)).toEqual(['same side', 'after heal']);
    expect(world.network.stats.dropped).toBe(2);
  });

  it('loses a message in flight when the link is cut before it arrives', () => {
    const { world, received, ctx } = recordingWorld(['n1', 'n2']);
    ctx('n1').send('n2', 'in flight', 'test');
    world.run(500);
    world.network.cutAll([['n1', 'n2']], 'test');
    world.run(10_000);
    expect(received).toHaveLength(0);
  });

  it('one-way partitions cut one direction only', () => {
    const { world, received, ctx } = recordingWorld(['n1', 'n2']);
    world.network.cutAll(oneWayLinks(['n1'], ['n2']), 'one way');
    ctx('n1').send('n2', 'a->b', 'test');
    ctx('n2').send('n1', 'b->a', 'test');
    world.run(10_000);
    expect(received.map((r) => r.payload)).toEqual(['b->a']);
  });

  it('isolating a machine cuts it from everyone, both ways', () => {
    const links = isolateLinks('n2', ['n1', 'n2', 'n3']);
    expect(links).toEqual([
      ['n2', 'n1'],
      ['n2', 'n3'],
      ['n1', 'n2'],
      ['n3', 'n2'],
    ]);
  });

  it('delivers duplicates when the duplicate rate is 1', () => {
    const { world, received, ctx } = recordingWorld(['n1', 'n2'], { link: { duplicate: 1 } });
    ctx('n1').send('n2', 'twice', 'test');
    world.run(100_000);
    expect(received.map((r) => r.payload)).toEqual(['twice', 'twice']);
  });

  it('drops everything at drop rate 1 and nothing at 0', () => {
    const { world, received, ctx } = recordingWorld(['n1', 'n2'], { link: { drop: 1 } });
    for (let i = 0; i < 10; i++) ctx('n1').send('n2', i, 'test');
    world.run(100_000);
    expect(received).toHaveLength(0);
    expect(world.network.stats.dropped).toBe(10);
  });

  it('a clogged link holds messages until the clog ends, then delivers them in order', () => {
    const { world, received, ctx } = recordingWorld(['n1', 'n2']);
    world.network.clog('n1', 'n2', 50_000);
    ctx('n1').send('n2', 1, 'test');
    ctx('n1').send('n2', 2, 'test');
    world.run(49_999);
    expect(received).toHaveLength(0);
    world.run(60_000);
    expect(received.map((r) => [r.payload, r.atUs])).toEqual([
      [1, 50_000],
      [2, 50_000],
    ]);
  });

  it('a later clog extends an earlier one; messages sent after it ends are not held', () => {
    const { world, received, ctx } = recordingWorld(['n1', 'n2']);
    world.network.clog('n1', 'n2', 50_000);
    world.network.clog('n1', 'n2', 80_000);
    ctx('n1').send('n2', 1, 'test');
    world.run(79_999);
    expect(received).toHaveLength(0);
    world.run(80_000);
    ctx('n1').send('n2', 2, 'test');
    world.run(200_000);
    expect(received.map((r) => r.payload)).toEqual([1, 2]);
    expect(received[0]!.atUs).toBe(80_000);
    expect(received[1]!.atUs).toBeGreaterThan(80_000);
  });

  it('healing everything ends every clog at once: held messages arrive then, later ones flow freely', () => {
    const { world, received, ctx } = recordingWorld(['n1', 'n2']);
    world.network.clog('n1', 'n2', 1_000_000);
    ctx('n1').send('n2', 1, 'test');
    ctx('n1').send('n2', 2, 'test');
    world.run(30_000);
    world.network.heal('all');
    ctx('n1').send('n2', 3, 'test');
    world.run(100_000);
    expect(received.map((r) => r.payload)).toEqual([1, 2, 3]);
    expect(received[0]!.atUs).toBe(30_000);
    expect(received[2]!.atUs).toBeLessThan(100_000);
    // The release scheduled for the clog's old end is void: nothing arrives twice.
    world.run(2_000_000);
    expect(received).toHaveLength(3);
  });
});
