// Replay figures for `kvsim bench`: how long a trace takes to open (load, index, checkpoints)
// and how long seeking to a position takes. The clock is passed in: src/replay never reads
// the wall clock itself.
import { Replay } from './replay.js';
import { loadTraceFile } from './trace-store.js';

export interface ReplayBench {
  loadMs: number;
  seekMsMax: number;
  seekMsMean: number;
  events: number;
}

/** Seek targets spread over the trace, in an order that jumps back and forth. */
const SEEKS = 64;

export function benchReplay(tracePath: string, clock: () => number): ReplayBench {
  const startMs = clock();
  const replay = new Replay(loadTraceFile(tracePath));
  const loadMs = clock() - startMs;
  const n = replay.count;
  let maxMs = 0;
  let totalMs = 0;
  for (let s = 0; s < SEEKS; s++) {
    // Golden-ratio stride: positions spread evenly, visited out of order (backwards jumps too).
    const target = Math.floor(((s * 0.6180339887) % 1) * n);
    const t0 = clock();
    replay.stateAt(target);
    replay.stateAt(Math.max(0, target - 1));
    const ms = clock() - t0;
    maxMs = Math.max(maxMs, ms);
    totalMs += ms;
  }
  return { loadMs, seekMsMax: maxMs, seekMsMean: totalMs / SEEKS, events: n };
}
