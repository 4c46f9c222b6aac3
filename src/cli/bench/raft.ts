// Raft benchmarks: messages through one replica's step, and commits of a 5-replica group on the kernel.
import { performance } from 'node:perf_hooks';
import { benchRaftStep } from '../../raft/bench.js';
import { benchRaftGroup } from '../../harness/raft-world.js';
import { World } from '../../sim/world.js';
import type { BenchFigure, BenchSection } from './types.js';

export const raftSection: BenchSection = {
  name: 'raft',
  run(quick: boolean): BenchFigure[] {
    const nowMs = () => performance.now();
    benchRaftStep({ nowMs, messages: 20_000 }); // warm-up
    const step = benchRaftStep({ nowMs, messages: quick ? 100_000 : 400_000 });
    const group = benchRaftGroup((seed) => new World({ seed }), { nowMs, simUs: quick ? 2_000_000 : 10_000_000 });
    return [
      { name: 'AppendEntries through one replica step()', value: step.messagesPerSec, unit: 'messages/s', key: 'raftStepPerSec' },
      { name: '5-replica group on the kernel: committed entries', value: group.committedPerSec, unit: 'entries/s', key: 'raftCommitsPerSec' },
    ];
  },
};
