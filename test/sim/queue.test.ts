import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EventQueue } from '../../src/sim/queue.js';

describe('event queue', () => {
  it('pops in time order', () => {
    const q = new EventQueue<string>();
    q.push(30, 'c');
    q.push(10, 'a');
    q.push(20, 'b');
    expect([q.pop(), q.pop(), q.pop(), q.pop()]).toEqual(['a', 'b', 'c', undefined]);
  });

  it('keeps insertion order among equal-time events', () => {
    const q = new EventQueue<number>();
    for (let i = 0; i < 100; i++) q.push(5, i);
    q.push(1, -1);
    const out: number[] = [];
    while (q.size > 0) out.push(q.pop()!);
    expect(out).toEqual([-1, ...Array.from({ length: 100 }, (_, i) => i)]);
  });

  it('matches a stable sort on (time, insertion) for any interleaving of pushes and pops', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer({ min: 0, max: 20 }), fc.constant(-1)), { maxLength: 300 }), (ops) => {
        const q = new EventQueue<number>();
        const model: { t: number; seq: number }[] = [];
        let seq = 0;
        for (const op of ops) {
          if (op === -1) {
            model.sort((a, b) => a.t - b.t || a.seq - b.seq);
            const want = model.shift();
            expect(q.pop()).toBe(want?.seq);
          } else {
            q.push(op, seq);
            model.push({ t: op, seq });
            seq++;
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it('reports the earliest time and Infinity when empty', () => {
    const q = new EventQueue<string>();
    expect(q.peekTimeUs()).toBe(Infinity);
    q.push(7, 'x');
    q.push(3, 'y');
    expect(q.peekTimeUs()).toBe(3);
  });
});
