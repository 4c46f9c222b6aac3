// The body of `kvsim replay`, imported only when the command runs (ink and react are heavy;
// `kvsim --help` should not pay for them). See replay.ts for the command's options.
import { mkdirSync } from 'node:fs';
import { loadScenarioFile } from '../../scenario/load.js';
import { runScenario } from '../../harness/runner.js';
import { Replay } from '../../replay/replay.js';
import { parseTimeUs, TIME_EXPECTED } from '../../replay/time.js';
import { loadTraceFile } from '../../replay/trace-store.js';
import { printFrame } from '../../tui/print.js';
import { runInteractive } from '../../tui/interactive.js';
import { engineFactoryFor } from '../../harness/engines.js';
import { EXIT_BAD_INPUT, EXIT_CHECK_FAILED, EXIT_OK, UserError } from '../errors.js';
import { parsePositiveInt, parseSeed } from '../options.js';
import { validateBugFlags } from './bugs.js';
import { PRINT_COLUMNS_DEFAULT, PRINT_ROWS_DEFAULT } from './replay-defaults.js';
import { isAssertion } from '../../base/assert.js';

const REPORTS_DIR = 'reports';

export interface ReplayOptions {
  seed?: string;
  print?: boolean;
  at?: string;
  width?: string;
  height?: string;
  bug?: string[];
}

/** Runs a scenario for one seed and returns the trace it wrote. */
function recordScenario(file: string, seedText: string | undefined, bugs: string[]): string {
  const loaded = loadScenarioFile(file);
  const seed = parseSeed(seedText) ?? loaded.scenario.seed ?? 1;
  const name = (loaded.scenario.name ?? file.replace(/^.*\//, '').replace(/\.ya?ml$/i, '')).replace(/[^A-Za-z0-9._-]/g, '_');
  mkdirSync(REPORTS_DIR, { recursive: true });
  const tracePath = `${REPORTS_DIR}/replay-${name}-${seed}.jsonl`;
  try {
    const summary = runScenario(loaded, { seed, tracePath, bugs }, engineFactoryFor(loaded.scenario, bugs));
    process.stderr.write(`kvsim: ran ${name} seed ${seed} (${summary.ok ? 'all checks held' : 'a check or expectation failed'}); trace ${tracePath}\n`);
  } catch (err) {
    if (isAssertion(err)) {
      // A found bug: the trace ends at the assertion; replay it to see what led there.
      process.stderr.write(`kvsim: ${file}: seed ${seed}: ${err.message}; the trace ends there: ${tracePath}\n`);
      return tracePath;
    }
    throw err;
  }
  return tracePath;
}

export async function replayAction(source: string, opts: ReplayOptions): Promise<void> {
  validateBugFlags(opts.bug ?? []);
  const columns = opts.width !== undefined ? parsePositiveInt(opts.width, '--width') : undefined;
  const rows = opts.height !== undefined ? parsePositiveInt(opts.height, '--height') : undefined;
  let atUs: number | undefined;
  if (opts.at !== undefined) {
    atUs = parseTimeUs(opts.at);
    if (atUs === undefined) throw new UserError(`--at: expected ${TIME_EXPECTED}, got "${opts.at}"`);
  }
  // Refuse before running anything: an interactive replay needs a terminal to read keys from.
  if (opts.print !== true && (process.stdin.isTTY !== true || process.stdout.isTTY !== true)) {
    throw new UserError('replay: no terminal to run the interactive replay in; use --print [--at TIME] to render one frame', EXIT_BAD_INPUT);
  }
  const isScenario = /\.ya?ml$/i.test(source);
  if (!isScenario && opts.seed !== undefined) throw new UserError('--seed: only for a scenario file (a trace already has its seed)');
  const tracePath = isScenario ? recordScenario(source, opts.seed, opts.bug ?? []) : source;
  const store = loadTraceFile(tracePath);
  if (store.count === 0) throw new UserError(`${tracePath}: empty trace, expected JSON Lines of trace events`);
  const replay = new Replay(store);
  const cursor = atUs === undefined ? 0 : replay.indexAtTime(atUs);
  if (opts.print === true) {
    process.stdout.write(printFrame(replay, cursor, columns ?? PRINT_COLUMNS_DEFAULT, rows ?? PRINT_ROWS_DEFAULT) + '\n');
    process.exitCode = EXIT_OK;
    return;
  }
  await runInteractive(replay, cursor, { columns, rows });
  process.exitCode = EXIT_OK;
}
