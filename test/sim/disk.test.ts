import { describe, expect, it } from 'vitest';
import { recordingWorld } from './helpers.js';

describe('disk', () => {
  it('makes writes durable after the fsync delay, in issue order', () => {
    const { world, ctx } = recordingWorld(['n1'], { disk: { fsyncMinUs: 100, fsyncMeanUs: 2000 } });
    const done: string[] = [];
    for (const k of ['a', 'b', 'c', 'd']) ctx('n1').disk.write([{ key: k, value: 1 }], () => done.push(k));
    world.run(1_000_000);
    expect(done).toEqual(['a', 'b', 'c', 'd']);
    expect(world.machine('n1').disk.durableKeys('')).toEqual(['a', 'b', 'c', 'd']);
  });

  it('shows pending writes to the machine itself, before they are durable', () => {
    const { world, ctx } = recordingWorld(['n1'], { disk: { fsyncMinUs: 1000, fsyncMeanUs: 1000 } });
    ctx('n1').disk.write([{ key: 'x', value: 'new' }]);
    expect(ctx('n1').disk.get('x')).toBe('new');
    expect(world.machine('n1').disk.durableKeys('')).toEqual([]);
  });

  it('a crash loses unsynced writes and their callbacks; synced writes survive', () => {
    const { world, ctx } = recordingWorld(['n1'], { disk: { fsyncMinUs: 1000, fsyncMeanUs: 1000 } });
    const done: string[] = [];
    ctx('n1').disk.write([{ key: 'synced', value: 1 }], () => done.push('synced'));
    world.run(1500);
    ctx('n1').disk.write([{ key: 'unsynced', value: 2 }], () => done.push('unsynced'));
    world.run(1600);
    world.machine('n1').crash();
    world.run(10_000);
    world.machine('n1').restart();
    expect(done).toEqual(['synced']);
    expect(ctx('n1').disk.get('synced')).toBe(1);
    expect(ctx('n1').disk.get('unsynced')).toBeUndefined();
    expect(world.machine('n1').disk.writesLost).toBe(1);
  });

  it('slow fsync multiplies the delay', () => {
    const { world, ctx } = recordingWorld(['n1'], { disk: { fsyncMinUs: 1000, fsyncMeanUs: 1000 } });
    world.machine('n1').disk.slowFactor = 50;
    const done: number[] = [];
    ctx('n1').disk.write([{ key: 'x', value: 1 }], () => done.push(world.nowUs));
    world.run(1_000_000);
    expect(done).toEqual([50_000]);
  });

  it('deletes keys written with an undefined value', () => {
    const { world, ctx } = recordingWorld(['n1']);
    ctx('n1').disk.write([{ key: 'x', value: 1 }]);
    ctx('n1').disk.write([{ key: 'x', value: undefined }]);
    world.run(1_000_000);
    expect(ctx('n1').disk.get('x')).toBeUndefined();
  });
});
