// Human rendering of a run summary: the same facts as --json, short and coloured.
import chalk from 'chalk';
import { humanDurationUs } from '../base/time.js';
import type { RunSummary } from '../harness/runner.js';
import { CHECK_NAMES, anyUndecided, isUndecided, messageOf } from '../harness/verdicts.js';

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
  lines.push(`  messages  ${m.sent} sent, ${m.delivered} delivered, ${m.dropped} dropped;  faults fired ${summary.faults}`);
  const o = summary.ops;
  lines.push(`  ops       ${o.total} total: ${o.ok} ok, ${o.failed} failed, ${o.indeterminate} indeterminate`);
  lines.push(`  elections ${summary.elections}   stale reads ${summary.staleReads}`);
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
