// Human rendering of a run summary: the same facts as --json, short and coloured.
import chalk from 'chalk';
import { humanDurationUs } from '../base/time.js';
import type { RunSummary } from '../harness/runner.js';

function verdict(ok: boolean | null, undecided: boolean): string {
  if (undecided) return chalk.yellow('undecided');
  if (ok === null) return chalk.dim('n/a');
  return ok ? chalk.green('ok') : chalk.red('FAILED');
}

export function renderSummary(summary: RunSummary & { wallMs: number }): string {
  const lines: string[] = [];
  const undecided = Object.values(summary.checks).some((v) => v.undecided === true);
  const head = !summary.ok ? chalk.red.bold('FAIL') : undecided ? chalk.yellow.bold('UNDECIDED') : chalk.green.bold('PASS');
  lines.push(`${head} ${chalk.bold(summary.scenario)}  seed ${summary.seed}  trace ${chalk.cyan(summary.traceHash)}`);
  const speed = summary.wallMs > 0 ? `${Math.round(summary.simTimeUs / 1000 / summary.wallMs)}x real time` : '';
  lines.push(
    `  simulated ${humanDurationUs(summary.simTimeUs)} in ${summary.wallMs} ms wall  (${summary.events} events${speed ? `, ${speed}` : ''})`,
  );
  const m = summary.messages;
  lines.push(`  messages  ${m.sent} sent, ${m.delivered} delivered, ${m.dropped} dropped;  faults fired ${summary.faults}`);
  const o = summary.ops;
  lines.push(`  ops       ${o.total} total: ${o.ok} ok, ${o.failed} failed, ${o.indeterminate} indeterminate`);
  lines.push(`  elections ${summary.elections}   stale reads ${summary.staleReads}`);
  const checks = Object.entries(summary.checks)
    .map(([name, v]) => `${name} ${verdict(v.ok, v.undecided === true)}`)
    .join('  ');
  lines.push(`  checks    ${checks}`);
  for (const [name, v] of Object.entries(summary.checks)) {
    if (v.ok === false && typeof v.message === 'string') lines.push(chalk.red(`    ${name}: ${v.message}`));
    if (v.undecided === true && typeof v.message === 'string') lines.push(chalk.yellow(`    ${name}: ${v.message}`));
  }
  if (summary.expectations.failed.length > 0) {
    for (const f of summary.expectations.failed) lines.push(chalk.red(`  expect    ${f}`));
  } else {
    lines.push(`  expect    ${chalk.green('all held')}`);
  }
  return lines.join('\n');
}
