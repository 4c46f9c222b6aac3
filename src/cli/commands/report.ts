// kvsim report TRACE --out DIR [--format html|perfetto] [--window FROM..TO]
// Writes DIR/index.html (a self-contained report) or DIR/trace.perfetto.json (Chrome trace
// events for ui.perfetto.dev). The implementation is imported only when the command runs.
import type { Command } from 'commander';
import { UserError } from '../errors.js';

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('write an HTML report of a trace (or export it for Perfetto)')
    .argument('<trace>', 'trace file (.jsonl, from kvsim run --trace)')
    .requiredOption('--out <dir>', 'output directory')
    .option('--format <format>', 'html (DIR/index.html) or perfetto (DIR/trace.perfetto.json)', 'html')
    .option('--window <from..to>', 'space-time diagram window, e.g. 2.1s..2.15s (default: around the first violation, else the first election after a fault)')
    .option('--scenario <file>', 'scenario file named in the reproduce command (default: scenarios/<name>.yaml)')
    .action(async (trace: string, opts: { out: string; format: string; window?: string; scenario?: string }) => {
      if (opts.format !== 'html' && opts.format !== 'perfetto') throw new UserError(`--format: expected html or perfetto, got "${opts.format}"`);
      if (opts.format === 'perfetto') {
        if (opts.window !== undefined) throw new UserError('--window: applies to --format html only (Perfetto gets the whole trace)');
        const { writePerfetto } = await import('../../report/perfetto.js');
        const { path, events } = await writePerfetto(trace, opts.out);
        process.stdout.write(`${path}  (${events} trace events; open it in https://ui.perfetto.dev)\n`);
        return;
      }
      const [{ writeReport }, { parseWindow }] = await Promise.all([import('../../report/report.js'), import('../../report/window.js')]);
      const window = opts.window !== undefined ? parseWindow(opts.window) : undefined;
      const { htmlPath } = await writeReport(trace, opts.out, { ...(window !== undefined && { window }), ...(opts.scenario !== undefined && { scenarioFile: opts.scenario }) });
      process.stdout.write(`${htmlPath}\n`);
    });
}
