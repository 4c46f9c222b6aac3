// Human rendering of a run summary: the same facts as --json, short and coloured.
import chalk from 'chalk';
import { humanDurationUs } from '../base/time.js';
import type { RunSummary } from '../harness/runner.js';
import { CHECK_NAMES, anyUndecided, isUndecided, messageOf } from '../harness/verdicts.js';
import type { RegionFigures } from '../harness/geo.js';

function ms(us: number): string {
  return us >= 10_000 ? `${Math.round(us / 1000)}ms` : `${(us / 1000).toFixed(1)}ms`;
}

/** One line per client region (a run with a topology): p50 latency by level, follower staleness. */
function regionLines(byRegion: unknown): string[] {
  if (byRegion === null || typeof byRegion !== 'object') return [];
  const out: string[] = [];
  for (const [region, f] of Object.entries(byRegion as Record<string, RegionFigures>)) {
    const parts = [`put ${ms(f.put.p50Us)}`];
    for (const [level, r] of Object.entries(f.reads)) parts.push(`${level} ${ms(r.p50Us)}${r.stale > 0 ? ` (${Math.round(r.staleShare * 100)}% stale)` : ''}`);
    out.push(`  ${out.length === 0 ? 'p50 by    ' : '          '}${region.padEnd(10)} ${parts.join('  ')}`);
  }
  return out;
}

function verdict(ok: boolean | null, undecided: boolean): string {
  if (undecided) return chalk.yellow('undecided');
  if (ok === null) return chalk.dim('n/a');
  return ok ? chalk.green('ok') : chalk.red('FAILED');
}

export function renderSummary(summary: RunSummary & { wallMs: number }): string {
  const lines: string[] = [];
  const undecided = anyUndecided(summary.checks);
  const head = !summary.ok ? chalk.red.bold('FAIL') : undecided ? chalk.yellow.bold('UNDECIDED') : chalk.green.bold('PASS');
  const real = summary.mode === 'real' ? `  ${chalk.magenta('real processes')}` : '';
  lines.push(`${head} ${chalk.bold(summary.scenario)}  seed ${summary.seed}  trace ${chalk.cyan(summary.traceHash)}${real}`);
  if (summary.mode === 'real') {
    // A real run's time is real time: the run and its settle, then start-up, merge and checks.
    lines.push(`  real run  ${humanDurationUs(summary.simTimeUs)} of load and settle, ${summary.wallMs} ms wall in all  (${summary.events} events merged from every process)`);
  } else {
    const speed = summary.wallMs > 0 ? `${Math.round(summary.simTimeUs / 1000 / summary.wallMs)}x real time` : '';
    lines.push(
      `  simulated ${humanDurationUs(summary.simTimeUs)} in ${summary.wallMs} ms wall  (${summary.events} events${speed ? `, ${speed}` : ''})`,
    );
  }
  const m = summary.messages;
  const garbled = m.garbled !== undefined ? `, ${m.garbled} garbled` : '';
  lines.push(`  messages  ${m.sent} sent, ${m.delivered} delivered, ${m.dropped} dropped${garbled};  faults fired ${summary.faults}`);
  const o = summary.ops;
  lines.push(`  ops       ${o.total} total: ${o.ok} ok, ${o.failed} failed, ${o.indeterminate} indeterminate`);
  lines.push(`  elections ${summary.elections}   stale reads ${summary.staleReads}`);
  lines.push(...regionLines(summary['byRegion']));
  const checks = CHECK_NAMES.map((name) => `${name} ${verdict(summary.checks[name].ok, isUndecided(summary.checks[name]))}`).join('  ');
  lines.push(`  checks    ${checks}`);
  for (const name of CHECK_NAMES) {
    const v = summary.checks[name];
    const message = messageOf(v);
    if (message === undefined) continue;
    if (v.ok === false) lines.push(chalk.red(`    ${name}: ${message}`));
    if (isUndecided(v)) lines.push(chalk.yellow(`    ${name}: ${message}`));
  }
  if (summary.expectations.failed.length > 0) {
    for (const f of summary.expectations.failed) lines.push(chalk.red(`  expect    ${f}`));
  } else {
    lines.push(`  expect    ${chalk.green('all held')}`);
  }
  return lines.join('\n');
}
