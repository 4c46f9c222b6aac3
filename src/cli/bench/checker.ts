// Checker benchmarks: the 108 reference histories and generated histories up to 1 M operations.
import { performance } from 'node:perf_hooks';
import { benchLinearizability } from '../../check/bench-lin.js';
import type { BenchFigure, BenchSection } from './types.js';

export const checkerSection: BenchSection = {
  name: 'checker',
  run(quick: boolean): BenchFigure[] {
    const r = benchLinearizability('test/fixtures/porcupine', { nowMs: () => performance.now(), heapUsedBytes: () => process.memoryUsage().heapUsed }, { quick });
    const figures: BenchFigure[] = [
      { name: `reference histories with a wrong verdict (of ${r.reference.files})`, value: r.reference.wrong.length, unit: 'files', target: '<= 0' },
      { name: '102 etcd histories, total', value: Math.round(r.reference.etcdTotalMs), unit: 'ms', target: '<= 430', key: 'etcdTotalMs' },
      { name: `slowest etcd history (${r.reference.etcdMaxFile})`, value: Math.round(r.reference.etcdMaxMs * 10) / 10, unit: 'ms' },
    ];
    for (const [file, ms] of Object.entries(r.reference.kvMs)) {
      figures.push({ name: file, value: Math.round(ms), unit: 'ms', ...(file.includes('c50-ok') && { target: '<= 200' }) });
    }
    figures.push({ name: `kv/c50-bad verdict + explanation (window of ${r.reference.c50BadWindowOps} ops)`, value: Math.round(r.reference.c50BadExplainMs), unit: 'ms', target: '<= 1000' });
    figures.push({ name: `store crash-restart-all history (${r.hard.storeCrashVerdict})`, value: Math.round(r.hard.storeCrashMs), unit: 'ms', target: '<= 2000' });
    figures.push({ name: 'kv/c50-bad, every key decided', value: Math.round(r.hard.c50BadAllKeysMs), unit: 'ms' });
    figures.push({ name: 'kv/c50-bad keys left undecided', value: r.hard.c50BadAllKeysUndecided, unit: 'keys', target: '<= 0' });
    for (const g of r.generated) {
      const million = g.ops >= 1_000_000;
      figures.push({ name: `generated ${g.ops.toLocaleString('en-US')} ops, ${g.keys} keys, ${g.clients} clients (${g.verdict})`, value: Math.round(g.ms), unit: 'ms', ...(million && { target: '<= 10000', key: 'lin1MMs' }) });
      figures.push({ name: `  peak heap`, value: g.peakHeapMB, unit: 'MB', ...(million && { target: '<= 1024' }) });
    }
    return figures;
  },
};
