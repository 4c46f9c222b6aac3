// kvsim run FILE [--seed N] [--json] [--trace OUT.jsonl] [--report DIR] [--bug NAME]...
// The simulation itself is imported when the command runs, so `kvsim --help` starts fast.
import type { Command } from 'commander';
import { performance } from 'node:perf_hooks';
import { EXIT_CHECK_FAILED, EXIT_OK, EXIT_UNDECIDED, UserError } from '../errors.js';
import { collect, traceForReport } from '../options.js';
import { isAssertion } from '../../base/assert.js';
import { anyUndecided } from '../../harness/verdicts.js';

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run a scenario file for one seed and check it')
    .argument('<file>', 'scenario file (YAML)')
    .option('--seed <n>', 'seed (default: the scenario\'s seed, else 1)')
    .option('--json', 'print the summary as one JSON object')
    .option('--trace <out>', 'write the trace as JSON Lines to this file')
    .option('--report <dir>', 'write an HTML report to DIR/index.html (the trace goes to DIR/trace.jsonl unless --trace)')
    .option('--bug <name>', 'switch on a planted bug (repeatable)', collect)
    .action(async (file: string, opts: { seed?: string; json?: boolean; trace?: string; report?: string; bug?: string[] }) => {
      const [{ runScenario }, { engineFactoryFor }, { scenarioRunInputs }, { renderSummary }] = await Promise.all([
        import('../../harness/runner.js'),
        import('../../harness/engines.js'),
        import('./bugs.js'),
        import('../summary-text.js'),
      ]);
      const { loaded, seed, bugs } = await scenarioRunInputs(file, opts.seed, opts.bug);
      // A report is drawn from the trace, so --report needs one even without --trace.
      opts.trace = traceForReport(opts.report, opts.trace);
      const startMs = performance.now();
      let summary;
      try {
        // The history goes next to the trace: t.jsonl -> t.history.jsonl.
        const historyPath = opts.trace !== undefined ? opts.trace.replace(/(\.jsonl)?$/, '.history.jsonl') : undefined;
        summary = runScenario(loaded, { seed, tracePath: opts.trace, historyPath, bugs }, engineFactoryFor(loaded.scenario, bugs));
      } catch (err) {
        if (err instanceof UserError) throw err;
        if (err instanceof Error) {
          // An assertion (or any exception) inside a simulation is a found bug: one line with
          // its seed; the stack only on request.
          if (process.env.KVSIM_DEBUG) process.stderr.write(`${err.stack ?? err.message}\n`);
          const kind = isAssertion(err) ? '' : 'internal error: ';
          // --json still prints one object, so a tool reading stdout sees the failure too.
          if (opts.json) {
            const failed = { scenario: loaded.scenario.name, seed, bugs, ok: false, assertion: `${kind}${err.message}`, wallMs: Math.round(performance.now() - startMs) };
            process.stdout.write(JSON.stringify(failed) + '\n');
          }
          // The trace ends at the assertion; a report shows what led up to it.
          if (opts.report !== undefined && opts.trace !== undefined) {
            const { writeReport } = await import('../../report/report.js');
            const { htmlPath } = await writeReport(opts.trace, opts.report, { scenarioFile: file, bugs });
            if (!opts.json) process.stdout.write(`  report    ${htmlPath}\n`);
          }
          throw new UserError(`${file}: seed ${seed}: ${kind}${err.message}${process.env.KVSIM_DEBUG ? '' : ' (KVSIM_DEBUG=1 shows the stack)'}`, EXIT_CHECK_FAILED);
        }
        throw err;
      }
      const wallMs = Math.round(performance.now() - startMs);
      const out = { ...summary, wallMs, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) };
      if (opts.json) process.stdout.write(JSON.stringify(out) + '\n');
      else process.stdout.write(renderSummary(out) + '\n');
      if (opts.report !== undefined && opts.trace !== undefined) {
        const { writeReport } = await import('../../report/report.js');
        const { htmlPath } = await writeReport(opts.trace, opts.report, { scenarioFile: file, bugs });
        if (!opts.json) process.stdout.write(`  report    ${htmlPath}\n`);
      }
      // 0 all held, 1 a check or expectation failed, 3 nothing failed but a check is undecided.
      const undecided = anyUndecided(summary.checks);
      process.exitCode = !summary.ok ? EXIT_CHECK_FAILED : undecided ? EXIT_UNDECIDED : EXIT_OK;
    });
}
