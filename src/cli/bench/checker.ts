// Checker benchmarks: the 108 reference histories, generated histories up to 1 M operations,
// the register-timeouts set against the Go reference's recorded times, Knossos's EDN files,
// a sweep of the share of timed-out writes, and reading a 100 MB Jepsen history.
import { performance } from 'node:perf_hooks';
import { benchLinearizability, LIN_TARGETS } from '../../check/bench-lin.js';
import type { BenchFigure, BenchSection } from './types.js';

/** Where `kvsim bench` finds the register-timeouts set (shared project data, outside the repo). */
const REGISTER_TIMEOUTS_DIR = '../shared/data/register-timeouts';

export const checkerSection: BenchSection = {
  name: 'checker',
  run(quick: boolean): BenchFigure[] {
    const r = benchLinearizability(
      'test/fixtures/porcupine',
      { nowMs: () => performance.now(), heapUsedBytes: () => process.memoryUsage().heapUsed },
      { quick, registerTimeoutsDir: REGISTER_TIMEOUTS_DIR, jepsenEdnDir: 'test/fixtures/jepsen-edn' },
    );
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

    const rt = r.registerTimeouts;
    if (rt) {
      const ratio = Math.round((rt.totalMs / rt.referenceTotalMs) * 100) / 100;
      figures.push({ name: `register-timeouts with a wrong verdict (of ${rt.files})`, value: rt.wrong.length, unit: 'files', target: '<= 0' });
      figures.push({ name: `register-timeouts, total (best of ${rt.passes} per file)`, value: Math.round(rt.totalMs), unit: 'ms', key: 'registerTimeoutsTotalMs' });
      figures.push({ name: `  ratio to the reference's ${Math.round(rt.referenceTotalMs)} ms`, value: ratio, unit: 'x', target: `<= ${LIN_TARGETS.registerTimeoutsRatio}`, key: 'registerTimeoutsRatio' });
      figures.push({ name: `  slowest (${rt.slowestFile}, reference ${rt.slowestReferenceMs} ms)`, value: rt.slowestMs, unit: 'ms' });
      figures.push({ name: `  files slower than ${LIN_TARGETS.registerTimeoutsPerFileFactor}x reference + ${LIN_TARGETS.registerTimeoutsPerFileSlackMs} ms`, value: rt.overLimit.length, unit: 'files', target: '<= 0' });
      figures.push({ name: `  closest to its limit (${rt.worstFile})`, value: rt.worstShareOfLimit, unit: 'x limit', target: '<= 1' });
    }
    const je = r.jepsenEdn;
    if (je) {
      figures.push({ name: `jepsen-edn (Knossos) with a wrong verdict (of ${je.files})`, value: je.wrong.length, unit: 'files', target: '<= 0' });
      figures.push({ name: `  all ${je.files}, total (slowest ${je.maxFile}: ${je.maxMs} ms)`, value: Math.round(je.totalMs * 10) / 10, unit: 'ms' });
    }
    // Cost against the share of timed-out writes and cas: at most linear, never exponential.
    const base = r.indeterminateShare[0]?.ms ?? 0;
    for (const f of r.indeterminateShare) {
      const times = f.sharePct > 0 && base > 0 ? `; ${Math.round((f.ms / base) * 10) / 10}x the 0 % time` : '';
      figures.push({ name: `register ${f.ops.toLocaleString('en-US')} ops, ${f.keys} keys, ${f.sharePct} % writes/cas timed out (${f.indeterminate} ops; ${f.verdict}${times})`, value: Math.round(f.ms), unit: 'ms' });
    }
    figures.push({ name: `read a ${r.ednParse.sizeMB} MB Jepsen history.edn (${r.ednParse.records.toLocaleString('en-US')} ops)`, value: Math.round(r.ednParse.ms), unit: 'ms', ...(!quick && { target: `<= ${LIN_TARGETS.ednParse100MBMs}`, key: 'ednParse100MBMs' }) });
    return figures;
  },
};
