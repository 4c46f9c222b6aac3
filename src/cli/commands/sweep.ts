// kvsim sweep (--swarm [--geo] [--guided] | FILE) --seeds A..B [--workers N] [--shard I/N]
//   [--check-determinism] [--until-covered] [--bug NAME]... [--json]
// Runs many seeds on worker threads. Progress goes to stderr (a bar on a terminal, plain lines
// otherwise); the summary to stdout. Exit 0 no failures, 1 failures (or nondeterminism), 2 bad input.
import type { Command } from 'commander';
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { EXIT_CHECK_FAILED, EXIT_OK, UserError } from '../errors.js';
import { collect, parsePositiveInt, parseSeedRange } from '../options.js';
import type { ScenarioSource } from '../../explore/protocol.js';
import type { GuidedStats } from '../../explore/guided.js';

interface SweepFlags {
  swarm?: boolean;
  geo?: boolean;
  guided?: boolean;
  seeds?: string;
  workers?: string;
  shard?: string;
  checkDeterminism?: boolean;
  untilCovered?: boolean;
  bug?: string[];
  json?: boolean;
}

/** `I/N` with 1 <= I <= N. */
export function parseShard(text: string | undefined): { index: number; count: number } | null {
  if (text === undefined) return null;
  const match = /^(\d+)\/(\d+)$/.exec(text);
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (match === null || count < 1 || index < 1 || index > count) {
    throw new UserError(`--shard: expected I/N with 1 <= I <= N (e.g. 2/4), got "${text}"`);
  }
  return { index, count };
}

const PROGRESS_LINE_EVERY_MS = 2_000;
const BAR_WIDTH = 24;

function formatEta(sec: number): string {
  if (!Number.isFinite(sec)) return '?';
  if (sec < 60) return `${Math.ceil(sec)}s`;
  return `${Math.floor(sec / 60)}m${String(Math.ceil(sec % 60)).padStart(2, '0')}s`;
}

export function registerSweep(program: Command): void {
  program
    .command('sweep')
    .description('run many seeds (of a scenario file, or swarm-generated scenarios) on worker threads')
    .argument('[file]', 'scenario file (YAML); or use --swarm')
    .option('--swarm', 'generate a scenario per seed (swarm testing: random fault kinds switched off)')
    .option('--geo', 'with --swarm: give every scenario a topology (regions, zones, faults by place)')
    .option('--guided', 'with --swarm: coverage-guided, half the seeds mutate earlier scenarios that reached a rare counter (written under reports/guided/)')
    .option('--seeds <A..B>', 'seed range, inclusive (e.g. 1..100)')
    .option('--workers <n>', 'worker threads (default: all cores)')
    .option('--shard <I/N>', 'run only every N-th seed, starting with the I-th (1-based)')
    .option('--check-determinism', 'run every seed twice, the second time on a fresh worker, and compare trace hashes')
    .option('--until-covered', 'stop once every coverage counter has fired')
    .option('--bug <name>', 'switch on a planted bug (repeatable)', collect)
    .option('--json', 'print the summary as one JSON object')
    .action(async (file: string | undefined, opts: SweepFlags) => {
      if (opts.swarm === true && file !== undefined) throw new UserError('sweep: give either --swarm or a scenario FILE, not both');
      if (opts.swarm !== true && file === undefined) throw new UserError('sweep: expected a scenario FILE or --swarm');
      if (opts.geo === true && opts.swarm !== true) throw new UserError('sweep: --geo goes with --swarm (a scenario FILE has its own topology, or none)');
      if (opts.guided === true && opts.swarm !== true) throw new UserError('sweep: --guided goes with --swarm (it mutates generated scenarios)');
      if (opts.guided === true && opts.shard !== undefined) throw new UserError('sweep: --guided cannot be sharded (each generation learns from all the seeds before it)');
      if (opts.seeds === undefined) throw new UserError('sweep: --seeds A..B is required');
      const range = parseSeedRange(opts.seeds);
      const shard = parseShard(opts.shard);
      const workers = opts.workers !== undefined ? parsePositiveInt(opts.workers, '--workers') : availableParallelism();
      const bugs = opts.bug ?? [];
      const [{ validateBugFlags }, { loadScenarioFile }, { WorkerPool }, { sweep }, { Guide }] = await Promise.all([
        import('./bugs.js'),
        import('../../scenario/load.js'),
        import('../../explore/pool.js'),
        import('../../explore/sweep.js'),
        import('../../explore/guided.js'),
      ]);
      validateBugFlags(bugs);
      let source: ScenarioSource = { kind: 'swarm', ...(opts.geo === true && { geo: true }) };
      if (file !== undefined) {
        const loaded = loadScenarioFile(file); // validates here: workers never see a bad file
        validateBugFlags(loaded.scenario.bugs ?? [], `${file}: bugs`);
        source = { kind: 'file', file, text: loaded.text };
      }
      const tty = process.stderr.isTTY === true;
      let lastLineMs = -Infinity;
      const pool = new WorkerPool(workers);
      let summary;
      try {
        summary = await sweep(pool, {
          source,
          range,
          shard,
          bugs,
          checkDeterminism: opts.checkDeterminism === true,
          untilCovered: opts.untilCovered === true,
          reportsDir: 'reports',
          ...(opts.guided === true && { guide: new Guide(bugs, 'reports', { geo: opts.geo === true }) }),
          nowMs: () => performance.now(),
          onProgress: (p) => {
            const text = `${p.done}/${p.total} seeds  ${p.seedsPerSec.toFixed(1)} seeds/s  ${p.failures} failures  ETA ${formatEta(p.etaSec)}`;
            if (tty) {
              const filled = Math.round((BAR_WIDTH * p.done) / Math.max(1, p.total));
              process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${text}\x1b[K`);
              if (p.done === p.total) process.stderr.write('\n');
            } else if (performance.now() - lastLineMs >= PROGRESS_LINE_EVERY_MS || p.done === p.total) {
              lastLineMs = performance.now();
              process.stderr.write(`sweep: ${text}\n`);
            }
          },
          onFailure: (f) => process.stderr.write(`${tty ? '\r\x1b[K' : ''}FAIL seed ${f.seed} ${f.check}: ${f.message.split('\n')[0]}\n  repro: ${f.repro}\n`),
          onDivergence: (d) =>
            process.stderr.write(
              `${tty ? '\r\x1b[K' : ''}NONDETERMINISTIC seed ${d.seed}: trace hashes ${d.hashes[0]} vs ${d.hashes[1]}` +
                (d.index === null ? ' (the reruns agreed)\n' : `; first diverging event #${d.index}:\n  ${d.events?.[0]}\n  ${d.events?.[1]}\n`),
            ),
        });
      } finally {
        await pool.close();
      }
      if (opts.json) {
        process.stdout.write(JSON.stringify(summary) + '\n');
      } else {
        const lines = [
          `${summary.failures.length === 0 && summary.deterministic !== false ? 'PASS' : 'FAIL'} sweep ${summary.source}  ${summary.seeds} seeds  ${summary.seedsPerSec} seeds/s on ${summary.workers} workers`,
          `  failures      ${summary.failures.length}`,
          `  deterministic ${summary.deterministic === null ? 'not checked (--check-determinism)' : summary.deterministic ? 'yes' : 'NO'}`,
          '  coverage      total  seeds',
          ...Object.entries(summary.coverage).map(([name, c]) => `    ${name.padEnd(26)} ${String(c.total).padStart(6)} ${String(c.seeds).padStart(6)}`),
          ...guidedLines(summary.guided),
          ...summary.failures.map((f) => `  seed ${f.seed} ${f.check}: ${f.repro}`),
        ];
        process.stdout.write(lines.join('\n') + '\n');
      }
      process.exitCode = summary.failures.length === 0 && summary.deterministic !== false ? EXIT_OK : EXIT_CHECK_FAILED;
    });
}

/** The text summary's lines on a guided sweep's mutants and corpus. */
function guidedLines(g: GuidedStats | undefined): string[] {
  if (g === undefined) return [];
  const aimed = Object.entries(g.aimed).map(([name, a]) => `    ${name.padEnd(26)} ${String(a.mutants).padStart(6)} ${String(a.reached).padStart(6)} ${String(g.corpus[name as keyof typeof g.corpus] ?? 0).padStart(6)}`);
  return [
    `  guided        ${g.mutants} mutants, ${g.fresh} fresh, ${g.invalid} invalid mutants run fresh; ${g.generations} generations of ${g.generationSize} (mutants under reports/guided/)`,
    '  aimed at      mutants reached corpus',
    ...aimed,
  ];
}
