// kvsim bench [--quick] [--json]: every performance figure kvsim promises, next to its target.
// A full run writes reports/bench.json and reports/BENCH.md; --quick writes reports/bench-quick.json.
import type { Command } from 'commander';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { meetsTarget, type BenchFigure, type BenchSection } from '../bench/types.js';
import { UserError } from '../errors.js';

/** Section names in run order; each section module is imported only when the bench runs. */
export const SECTION_NAMES = ['kernel', 'raft', 'store', 'checker', 'tui', 'explore', 'growth', 'real', 'live'] as const;

async function loadSections(): Promise<BenchSection[]> {
  const [k, r, s, c, t, e, g, real, live] = await Promise.all([
    import('../bench/kernel.js'),
    import('../bench/raft.js'),
    import('../bench/store.js'),
    import('../bench/checker.js'),
    import('../bench/tui.js'),
    import('../bench/explore.js'),
    import('../bench/growth.js'),
    import('../bench/real.js'),
    import('../bench/live.js'),
  ]);
  return [k.kernelSection, r.raftSection, s.storeSection, c.checkerSection, t.tuiSection, e.exploreSection, g.growthSection, real.realSection, live.liveSection];
}

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('measure kvsim: kernel, Raft, store, checkers (figures next to their targets)')
    .option('--quick', 'shorter runs (under a minute)')
    .option('--json', 'print the figures as one JSON object')
    .option('--only <sections>', 'comma-separated section names')
    .action(async (opts: { quick?: boolean; json?: boolean; only?: string }) => {
      const quick = opts.quick === true;
      const wanted = opts.only?.split(',').map((s) => s.trim());
      for (const name of wanted ?? []) {
        if (!(SECTION_NAMES as readonly string[]).includes(name)) {
          throw new UserError(`--only: unknown section "${name}"; expected one of ${SECTION_NAMES.join(', ')}`);
        }
      }
      const SECTIONS = await loadSections();
      const results: { section: string; figures: BenchFigure[] }[] = [];
      for (const section of SECTIONS) {
        if (wanted !== undefined && !wanted.includes(section.name)) continue;
        if (!opts.json) process.stderr.write(`bench: ${section.name}...\n`);
        results.push({ section: section.name, figures: await section.run(quick) });
      }
      // The share of the kernel's speed the store keeps: both measured in this same run.
      const kernel = results.find((r) => r.section === 'kernel')?.figures.find((f) => f.key === 'kernelEventsPerSec');
      const store = results.find((r) => r.section === 'store')?.figures.find((f) => f.key === 'eventsPerSec');
      if (kernel !== undefined && store !== undefined && kernel.value > 0) {
        results.find((r) => r.section === 'store')!.figures.push({
          name: 'bench-steady events/s ÷ kernel events/s (same run)',
          value: Math.round((1000 * store.value) / kernel.value) / 1000,
          unit: 'ratio',
          key: 'storeToKernelRatio',
        });
      }
      const machine = `${cpus().length} x ${cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB`;
      const flat: Record<string, number> = {};
      for (const r of results) for (const f of r.figures) if (f.key !== undefined) flat[f.key] = f.value;
      const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
      const report = {
        date: new Date().toISOString(),
        machine,
        node: process.version,
        quick,
        ...flat,
        peakRssMb,
        sections: results.map((r) => ({ ...r, figures: r.figures.map((f) => ({ ...f, meets: meetsTarget(f) })) })),
      };
      mkdirSync('reports', { recursive: true });
      if (quick) writeFileSync('reports/bench-quick.json', JSON.stringify(report, null, 2) + '\n');
      else if (wanted === undefined) {
        writeFileSync('reports/bench.json', JSON.stringify(report, null, 2) + '\n');
        writeFileSync('reports/BENCH.md', renderMarkdown(report.date, machine, results, peakRssMb));
      }
      if (opts.json) process.stdout.write(JSON.stringify(report) + '\n');
      else process.stdout.write(renderTable(results) + `\npeak memory (RSS) ${peakRssMb} MB\n`);
    });
}

function mark(f: BenchFigure): string {
  const met = meetsTarget(f);
  return met === null ? '' : met ? 'met' : 'MISSED';
}

function renderTable(results: { section: string; figures: BenchFigure[] }[]): string {
  const lines: string[] = [];
  for (const r of results) {
    lines.push(`${r.section}`);
    for (const f of r.figures) {
      lines.push(`  ${f.name.padEnd(52)} ${f.value.toLocaleString('en-US').padStart(14)} ${f.unit.padEnd(14)} ${(f.target ?? '').padEnd(12)} ${mark(f)}`);
    }
  }
  return lines.join('\n');
}

function renderMarkdown(date: string, machine: string, results: { section: string; figures: BenchFigure[] }[], peakRssMb: number): string {
  const lines = [
    '# kvsim benchmark figures',
    '',
    `Written by \`kvsim bench\` (full run) on ${date.slice(0, 10)}; machine: ${machine}; Node ${process.version}.`,
    'Re-run with `npm run bench`. Targets come from the issues; "MISSED" means below target.',
    '',
  ];
  for (const r of results) {
    lines.push(`## ${r.section}`, '', '| figure | value | unit | target | |', '|---|---:|---|---|---|');
    for (const f of r.figures) lines.push(`| ${f.name} | ${f.value.toLocaleString('en-US')} | ${f.unit} | ${f.target ?? ''} | ${mark(f)} |`);
    lines.push('');
  }
  lines.push(`Peak memory (RSS) of the whole bench process: ${peakRssMb} MB.`, '');
  // The planted-bug hunt table takes about 20 minutes to measure (scripts/hunt-table.mjs), so it
  // is kept in its own file and carried into BENCH.md.
  if (existsSync('reports/hunts.md')) lines.push(readFileSync('reports/hunts.md', 'utf8'));
  return lines.join('\n');
}
