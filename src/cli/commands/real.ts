// kvsim real FILE [--seed N] [--json] [--trace OUT] [--report DIR] [--bug NAME]... [--dir D]
//   [--keep] [--compare]
// The scenario against real server processes on 127.0.0.1 (src/live/run.ts), with the summary,
// --json object and exit codes of `kvsim run` (plus mode "real"). Every server it starts is
// stopped when it ends — normally, on a failed check, on an error, and on SIGINT/SIGTERM (the
// handlers below SIGKILL what is left, then exit 130/143); servers also stop by themselves when
// this process disappears (--exit-with-parent).
import type { Command } from 'commander';
import { performance } from 'node:perf_hooks';
import { EXIT_CHECK_FAILED, EXIT_OK, EXIT_UNDECIDED, UserError } from '../errors.js';
import { collect, traceForReport } from '../options.js';
import { anyUndecided } from '../../harness/verdicts.js';
import type { LiveServers } from '../../live/servers.js';

export function registerReal(program: Command): void {
  program
    .command('real')
    .description('run a scenario against real server processes on 127.0.0.1 (Jepsen-style) and check it')
    .argument('<file>', 'scenario file (YAML)')
    .option('--seed <n>', "seed (default: the scenario's seed, else 1)")
    .option('--json', 'print the summary as one JSON object')
    .option('--trace <out>', 'write the merged trace of every process as JSON Lines to this file')
    .option('--report <dir>', 'write an HTML report to DIR/index.html (the trace goes to DIR/trace.jsonl unless --trace)')
    .option('--bug <name>', 'servers run with this planted bug (repeatable)', collect)
    .option('--dir <dir>', 'run directory: cluster file, server data and logs (default: a temporary one, removed unless the run fails)')
    .option('--keep', 'keep the temporary run directory')
    .option('--compare', 'also run the scenario in simulation and print both side by side')
    .action(async (file: string, opts: { seed?: string; json?: boolean; trace?: string; report?: string; bug?: string[]; dir?: string; keep?: boolean; compare?: boolean }) => {
      const [{ runReal, refuseForReal }, { scenarioRunInputs }, { renderSummary }] = await Promise.all([
        import('../../live/run.js'),
        import('./bugs.js'),
        import('../summary-text.js'),
      ]);
      const { loaded, seed, bugs } = await scenarioRunInputs(file, opts.seed, opts.bug);
      refuseForReal(loaded);
      opts.trace = traceForReport(opts.report, opts.trace);
      const registry = new Set<LiveServers>();
      const reap = () => {
        for (const s of [...registry]) s.killAllNow();
      };
      const onSignal = (signal: NodeJS.Signals) => {
        reap();
        process.stderr.write(`kvsim real: ${signal}: every server stopped\n`);
        process.exit(signal === 'SIGINT' ? 130 : 143);
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      process.once('exit', reap);
      const log = process.env.KVSIM_DEBUG ? (line: string) => process.stderr.write(`${line}\n`) : undefined;
      const startMs = performance.now();
      const historyPath = opts.trace !== undefined ? opts.trace.replace(/(\.jsonl)?$/, '.history.jsonl') : undefined;
      let comparison: { json: unknown; text: string } | undefined;
      let summary: Awaited<ReturnType<typeof runReal>>;
      try {
        summary = await runReal(loaded, {
          seed,
          bugs,
          registry,
          ...(opts.dir !== undefined && { dir: opts.dir }),
          ...(opts.keep === true && { keep: true }),
          ...(opts.trace !== undefined && { tracePath: opts.trace }),
          ...(historyPath !== undefined && { historyPath }),
          ...(log !== undefined && { log }),
          ...(opts.compare === true && {
            inspect: async (run) => {
              const { compareWithSimulation } = await import('../../live/compare.js');
              comparison = await compareWithSimulation(loaded, seed, bugs, run);
            },
          }),
        });
      } catch (err) {
        // A server that died by itself (an assertion in the store: a found bug) fails the run;
        // --json still prints one object, as kvsim run does for an assertion.
        if (opts.json && err instanceof UserError && err.exitCode === EXIT_CHECK_FAILED) {
          process.stdout.write(JSON.stringify({ scenario: loaded.scenario.name, seed, bugs, mode: 'real', ok: false, assertion: err.message.split('\n')[0], wallMs: Math.round(performance.now() - startMs) }) + '\n');
        }
        throw err;
      }
      const wallMs = Math.round(performance.now() - startMs);
      const out = { ...summary, wallMs, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) };
      if (opts.json) process.stdout.write(JSON.stringify(comparison === undefined ? out : { ...out, compare: comparison.json }) + '\n');
      else {
        process.stdout.write(renderSummary(out) + '\n');
        process.stdout.write(`  real      ${summary.real.servers.length} server processes, ${summary.real.restarts} restarts${summary.real.dir !== null ? `, run directory ${summary.real.dir}` : ''}\n`);
        for (const a of summary.real.approximations) process.stdout.write(`  approx    ${a}\n`);
        if (comparison !== undefined) process.stdout.write(comparison.text + '\n');
      }
      if (opts.report !== undefined && opts.trace !== undefined) {
        const { writeReport } = await import('../../report/report.js');
        const { htmlPath } = await writeReport(opts.trace, opts.report, { scenarioFile: file, bugs });
        if (!opts.json) process.stdout.write(`  report    ${htmlPath}\n`);
      }
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
      const undecided = anyUndecided(summary.checks);
      process.exitCode = !summary.ok ? EXIT_CHECK_FAILED : undecided ? EXIT_UNDECIDED : EXIT_OK;
    });
}
