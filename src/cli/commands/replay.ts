// kvsim replay (TRACE | FILE.yaml --seed N) [--print] [--at TIME] [--width N] [--height N] [--bug NAME]...
// A scenario file is run first (its trace goes to reports/replay-<name>-<seed>.jsonl), then the
// trace is replayed: interactively in a terminal, or as one frame on stdout with --print.
// The implementation (ink, react, the replay engine) is imported only when the command runs.
import type { Command } from 'commander';
import { collect } from '../options.js';
import { PRINT_COLUMNS_DEFAULT, PRINT_ROWS_DEFAULT } from './replay-defaults.js';

export function registerReplay(program: Command): void {
  program
    .command('replay')
    .description('watch a trace (or a scenario run) in the terminal; --print renders one frame')
    .argument('<source>', 'trace file (.jsonl) or scenario file (.yaml, run first)')
    .option('--seed <n>', 'seed for a scenario file (default: its seed, else 1)')
    .option('--print', 'render one frame to stdout and exit')
    .option('--at <time>', 'position: a simulated time such as 12.5s or 300ms (default: start)')
    .option('--width <n>', `frame width for --print (default ${PRINT_COLUMNS_DEFAULT}; else the terminal's)`)
    .option('--height <n>', `frame height for --print (default ${PRINT_ROWS_DEFAULT}; else the terminal's)`)
    .option('--bug <name>', 'switch on a planted bug when running a scenario (repeatable)', collect)
    .action(async (source: string, opts: { seed?: string; print?: boolean; at?: string; width?: string; height?: string; bug?: string[] }) => {
      const { replayAction } = await import('./replay-action.js');
      await replayAction(source, opts);
    });
}
