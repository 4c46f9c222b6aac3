import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { benchRaftStep } from '../../src/raft/bench.js';
import { World } from '../../src/sim/world.js';
import { benchRaftGroup } from '../../src/harness/raft-world.js';

describe('raft benchmarks (smoke: they run and report; timing targets live in npm run bench)', () => {
  it('benchRaftStep reports messages per second', () => {
    const r = benchRaftStep({ nowMs: () => performance.now(), messages: 20_000 });
    console.log(`benchRaftStep: ${r.messagesPerSec} msg/s`);
    expect(r.messagesPerSec).toBeGreaterThan(0);
  });
  it('benchRaftGroup reports committed entries per second', () => {
    const r = benchRaftGroup((seed) => new World({ seed }), { nowMs: () => performance.now(), simUs: 2_000_000 });
    console.log(`benchRaftGroup: ${r.committedPerSec} committed/s (${r.committed} in ${r.wallMs.toFixed(0)} ms)`);
    expect(r.committed).toBeGreaterThan(1000);
  });
});
