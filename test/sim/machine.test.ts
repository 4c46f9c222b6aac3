import { describe, expect, it } from 'vitest';
import { recordingWorld } from './helpers.js';

describe('machines', () => {
  it('fire timers on the local clock and drop them on a crash', () => {
    const { world, ctx } = recordingWorld(['n1']);
    const fired: number[] = [];
    ctx('n1').setTimer(1000, () => fired.push(world.nowUs));
    ctx('n1').setTimer(5000, () => fired.push(world.nowUs));
    world.run(2000);
    world.machine('n1').crash();
    world.run(10_000);
    expect(fired).toEqual([1000]);
  });

  it('cancelled timers do not fire', () => {
    const { world, ctx } = recordingWorld(['n1']);
    const fired: string[] = [];
    const id = ctx('n1').setTimer(1000, () => fired.push('cancelled'));
    ctx('n1').setTimer(1000, () => fired.push('kept'));
    ctx('n1').cancelTimer(id);
    world.run(5000);
    expect(fired).toEqual(['kept']);
  });

  it('a crashed machine receives nothing; a restart boots a fresh process', () => {
    const { world, received, ctx, boots } = recordingWorld(['n1', 'n2']);
    world.machine('n2').crash();
    ctx('n1').send('n2', 'to the dead', 'test');
    world.run(10_000);
    expect(received).toHaveLength(0);
    world.machine('n2').restart();
    expect(boots.get('n2')).toBe(2);
    ctx('n1').send('n2', 'alive again', 'test');
    world.run(20_000);
    expect(received.map((r) => r.payload)).toEqual(['alive again']);
  });

  it('a paused machine delivers late: held messages and timers run on resume, in order', () => {
    const { world, received, ctx } = recordingWorld(['n1', 'n2']);
    const fired: number[] = [];
    ctx('n2').setTimer(2000, () => fired.push(world.nowUs));
    world.machine('n2').pause();
    ctx('n1').send('n2', 'first', 'test');
    ctx('n1').send('n2', 'second', 'test');
    world.run(50_000);
    expect(received).toHaveLength(0);
    expect(fired).toEqual([]);
    world.machine('n2').resume();
    expect(received.map((r) => [r.payload, r.atUs])).toEqual([
      ['first', 50_000],
      ['second', 50_000],
    ]);
    expect(fired).toEqual([50_000]);
  });

  it('a crash while paused forgets the held work', () => {
    const { world, received, ctx } = recordingWorld(['n1', 'n2']);
    world.machine('n2').pause();
    ctx('n1').send('n2', 'held', 'test');
    world.run(10_000);
    world.machine('n2').crash();
    world.machine('n2').restart();
    world.machine('n2').resume();
    world.run(20_000);
    expect(received).toHaveLength(0);
  });

  it('clock skew shifts local time; drift changes the rate of local timers', () => {
    const { world, ctx } = recordingWorld(['n1']);
    world.run(1_000_000);
    expect(ctx('n1').localNowUs()).toBe(1_000_000);
    world.machine('n1').skew(50_000, 0);
    expect(ctx('n1').localNowUs()).toBe(1_050_000);
    world.machine('n1').skew(0, 100_000); // 10% fast
    world.run(2_000_000);
    expect(ctx('n1').localNowUs()).toBe(1_050_000 + 1_100_000);
    // A 110 ms local timer on a clock running 10% fast takes 100 ms of true time.
    const fired: number[] = [];
    ctx('n1').setTimer(110_000, () => fired.push(world.nowUs));
    world.run(3_000_000);
    expect(fired).toEqual([2_100_000]);
  });
});

describe('retired machines', () => {
  it('a retired machine stays down whatever restarts it is asked for', () => {
    const { world, boots } = recordingWorld(['n1']);
    world.machine('n1').retire();
    world.machine('n1').restart();
    expect(world.machine('n1').state).toBe('crashed');
    expect(boots.get('n1')).toBe(1);
  });
});
