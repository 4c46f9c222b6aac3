// Kernel benchmarks: raw event-queue throughput and message deliveries per second under a
// ping-pong load, with the trace only hashed (no file) and with a JSON Lines file.
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { EventQueue } from '../../sim/queue.js';
import { World } from '../../sim/world.js';
import { Tracer } from '../../trace/tracer.js';
import { TraceWriter } from '../../trace/writer.js';
import type { BenchFigure, BenchSection } from './types.js';
import { AssertionError } from '../../base/assert.js';

function queueOpsPerSec(entries: number, ops: number): number {
  const q = new EventQueue<number>();
  let t = 0;
  for (let i = 0; i < entries; i++) q.push((i * 7919) % 100_000, i);
  const start = performance.now();
  for (let i = 0; i < ops; i++) {
    t = q.peekTimeUs();
    q.pop();
    q.push(t + ((i * 7919) % 1000), i);
  }
  const ms = performance.now() - start;
  return Math.round(ops / (ms / 1000));
}

/** Machines bounce `inflight` messages each to a ring neighbour forever; counts deliveries. */
export function pingPong(options: { machines: number; inflight: number; simUs: number; tracePath?: string }): {
  deliveries: number;
  events: number;
  wallMs: number;
  hash: string;
} {
  const tracer = new Tracer(options.tracePath !== undefined ? new TraceWriter(options.tracePath) : undefined);
  const world = new World({ seed: 1, tracer, link: { tailProbability: 0.01 } });
  const ids = Array.from({ length: options.machines }, (_, i) => `n${i + 1}`);
  for (let m = 0; m < ids.length; m++) {
    const next = ids[(m + 1) % ids.length]!;
    world.addMachine(ids[m]!, (ctx) => {
      for (let k = 0; k < options.inflight; k++) ctx.send(next, k, 'ping');
      return { onMessage: (_from, payload) => ctx.send(next, payload, 'ping') };
    });
  }
  const start = performance.now();
  world.run(options.simUs);
  const wallMs = performance.now() - start;
  tracer.close();
  return { deliveries: world.network.stats.delivered, events: tracer.events, wallMs, hash: tracer.hash() };
}

export const kernelSection: BenchSection = {
  name: 'kernel',
  run(quick: boolean): BenchFigure[] {
    const figures: BenchFigure[] = [];
    figures.push({
      name: 'event queue pop+push at 10k entries',
      value: queueOpsPerSec(10_000, quick ? 1_000_000 : 5_000_000),
      unit: 'ops/s',
    });
    // 8 machines pass 64 messages each around a ring; long enough (about 0.5-2 s of wall
    // time) that JIT warm-up does not dominate.
    const simUs = quick ? 20_000_000 : 80_000_000;
    pingPong({ machines: 8, inflight: 64, simUs: 2_000_000 }); // warm-up (JIT)
    const off = pingPong({ machines: 8, inflight: 64, simUs });
    figures.push({
      name: 'ping-pong deliveries, trace hashed only',
      value: Math.round(off.deliveries / (off.wallMs / 1000)),
      unit: 'deliveries/s',
      target: '>= 2000000',
      key: 'deliveriesPerSec',
    });
    mkdirSync('reports/.bench', { recursive: true });
    const path = 'reports/.bench/ping-pong.jsonl';
    const on = pingPong({ machines: 8, inflight: 64, simUs, tracePath: path });
    const sizeBytes = statSync(path).size;
    rmSync(path, { force: true });
    if (on.hash !== off.hash) throw new AssertionError('writing a trace file changed the trace hash');
    figures.push({
      name: 'ping-pong deliveries, trace written to a file',
      value: Math.round(on.deliveries / (on.wallMs / 1000)),
      unit: 'deliveries/s',
      key: 'deliveriesPerSecTraced',
    });
    figures.push({
      name: 'kernel events/s, trace hashed only',
      value: Math.round(off.events / (off.wallMs / 1000)),
      unit: 'events/s',
      key: 'kernelEventsPerSec',
    });
    figures.push({ name: 'trace file size per event', value: Math.round(sizeBytes / on.events), unit: 'bytes' });
    return figures;
  },
};
