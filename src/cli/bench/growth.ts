// Growth tables: how wall time and memory grow with simulated duration, shards, machines and
// clients. Each case is a generated scenario run by a child `kvsim run --json`, so its peak
// memory is its own. CLI start-up is timed the same way.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { BenchFigure, BenchSection } from './types.js';
import { AssertionError } from '../../base/assert.js';

interface Case {
  label: string;
  durationS: number;
  machines: number;
  shards: number;
  clients: number;
  rate: number;
}

const BASE: Case = { label: 'base', durationS: 5, machines: 5, shards: 8, clients: 8, rate: 500 };

function scenarioText(c: Case): string {
  return [
    `# bench growth case: ${c.label}`,
    `duration: ${c.durationS}s`,
    `cluster: { machines: ${c.machines}, shards: ${c.shards}, replication: 3 }`,
    `workload: { clients: ${c.clients}, rate: ${c.rate}, readRatio: 0.95, keys: 1000, distribution: zipfian }`,
    'faults:',
    `  - { at: ${Math.max(1, Math.floor(c.durationS / 3))}s, for: 1s, crash: random }`,
    '',
  ].join('\n');
}

function runCase(c: Case): { wallMs: number; peakRssMb: number; events: number } {
  mkdirSync('reports/.bench', { recursive: true });
  const file = `reports/.bench/growth-${c.label.replace(/[^a-z0-9]+/gi, '-')}.yaml`;
  writeFileSync(file, scenarioText(c));
  const r = spawnSync(process.execPath, ['dist/src/cli/main.js', 'run', file, '--json'], { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  if (r.status !== 0 && r.status !== 1) throw new AssertionError(`growth case ${c.label} exited ${r.status}: ${r.stderr.trim()}`);
  const summary = JSON.parse(r.stdout) as { wallMs: number; peakRssMb: number; events: number };
  return { wallMs: summary.wallMs, peakRssMb: summary.peakRssMb, events: summary.events };
}

export function growthCases(quick: boolean): { dimension: string; cases: Case[] }[] {
  const x = (over: Partial<Case>, label: string): Case => ({ ...BASE, ...over, label });
  const tables = [
    { dimension: 'simulated duration', cases: [x({}, 'duration x1 (5 s)'), x({ durationS: 50 }, 'duration x10 (50 s)')] },
    { dimension: 'shards', cases: [x({}, 'shards x1 (8)'), x({ shards: 80 }, 'shards x10 (80)')] },
    { dimension: 'machines', cases: [x({ machines: 3 }, 'machines 3'), x({ machines: 9 }, 'machines 9'), x({ machines: 27 }, 'machines 27')] },
    { dimension: 'clients', cases: [x({}, 'clients x1 (8, 500 ops/s)'), x({ clients: 80, rate: 5000 }, 'clients x10 (80, 5000 ops/s)')] },
  ];
  if (!quick) return tables;
  // Quick: the x1 rows only, and a smaller x10 duration.
  return [{ dimension: 'simulated duration', cases: [x({}, 'duration x1 (5 s)'), x({ durationS: 20 }, 'duration x4 (20 s)')] }];
}

export const growthSection: BenchSection = {
  name: 'growth',
  run(quick: boolean): BenchFigure[] {
    const figures: BenchFigure[] = [];
    const startup: number[] = [];
    for (let i = 0; i < (quick ? 3 : 7); i++) {
      const t0 = performance.now();
      spawnSync(process.execPath, ['dist/src/cli/main.js', '--version'], { encoding: 'utf8' });
      startup.push(performance.now() - t0);
    }
    startup.sort((a, b) => a - b);
    figures.push({ name: 'CLI start-up (kvsim --version, median)', value: Math.round(startup[startup.length >> 1]!), unit: 'ms', key: 'cliStartupMs' });
    for (const table of growthCases(quick)) {
      for (const c of table.cases) {
        const r = runCase(c);
        figures.push({ name: `${table.dimension}: ${c.label} — wall (run + checks)`, value: r.wallMs, unit: 'ms' });
        figures.push({ name: `${table.dimension}: ${c.label} — peak RSS`, value: r.peakRssMb, unit: 'MB' });
      }
    }
    return figures;
  },
};
