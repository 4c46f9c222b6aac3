// kvsim shrink FILE --seed N [--out FILE] [--bug NAME]... [--runs-max N] [--json]
// Reduces a failing run to a smaller scenario that fails the same check with the same seed and
// writes it as a commented scenario file (default reports/shrunk-<name>-<seed>.yaml).
// Exit 1 when a failure was shrunk (the written file fails), 0 when the run passes (nothing to
// shrink), 2 bad input.
import type { Command } from 'commander';
import { basename, extname } from 'node:path';
import { EXIT_CHECK_FAILED, EXIT_OK, UserError } from '../errors.js';
import { collect, parsePositiveInt, parseSeed } from '../options.js';
import { isAssertion } from '../../base/assert.js';

interface ShrinkFlags {
  seed?: string;
  out?: string;
  bug?: string[];
  runsMax?: string;
  json?: boolean;
}

export function registerShrink(program: Command): void {
  program
    .command('shrink')
    .description('reduce a failing scenario to a smaller one that fails the same check (same seed)')
    .argument('<file>', 'scenario file (YAML)')
    .option('--seed <n>', "seed (default: the scenario's seed, else 1)")
    .option('--out <file>', 'where to write the shrunk scenario (default reports/shrunk-<name>-<seed>.yaml)')
    .option('--bug <name>', 'switch on a planted bug (repeatable)', collect)
    .option('--runs-max <n>', 'bound on scenario runs (default 300)')
    .option('--json', 'print the result as one JSON object')
    .action(async (file: string, opts: ShrinkFlags) => {
      const [{ loadScenarioFile }, { validateBugFlags }, { parse }, shrinkMod, shrinkFile] = await Promise.all([
        import('../../scenario/load.js'),
        import('./bugs.js'),
        import('yaml'),
        import('../../explore/shrink.js'),
        import('../../explore/shrink-file.js'),
      ]);
      const seedFlag = parseSeed(opts.seed);
      const runsMax = opts.runsMax !== undefined ? parsePositiveInt(opts.runsMax, '--runs-max') : shrinkMod.SHRINK_RUNS_MAX;
      const loaded = loadScenarioFile(file);
      const seed = seedFlag ?? loaded.scenario.seed ?? 1;
      const bugs = opts.bug ?? [];
      validateBugFlags(bugs);
      validateBugFlags(loaded.scenario.bugs ?? [], `${file}: bugs`);
      // The file is valid (loadScenarioFile checked it), so its plain YAML value is a scenario input.
      const original = parse(loaded.text) as import('../../explore/arbitraries.js').ScenarioInput;
      const name = loaded.scenario.name ?? basename(file, extname(file));
      const shrunkName = `shrunk-${name.replace(/^shrunk-/, '').replace(/-\d+$/, '')}-${seed}`;
      const out = opts.out ?? `reports/${shrunkName}.yaml`;
      const isTty = process.stderr.isTTY === true;
      let shrunk;
      try {
        shrunk = shrinkFile.shrinkToFile({
          origin: file,
          original,
          name: shrunkName,
          seed,
          bugs,
          out,
          runsMax,
          onProgress: ({ runs, size, pass }) =>
            process.stderr.write(`${isTty ? '\r\x1b[K' : ''}shrink: run ${runs}/${runsMax}  faults ${size.faults}  ops ${size.ops}  (${pass})${isTty ? '' : '\n'}`),
        });
      } catch (err) {
        if (isAssertion(err)) throw new UserError(err.what, EXIT_CHECK_FAILED);
        throw err;
      }
      if (isTty) process.stderr.write('\r\x1b[K');
      if (shrunk === null) {
        const msg = `${file} seed ${seed}: every check passes; nothing to shrink`;
        if (opts.json) process.stdout.write(JSON.stringify({ file, seed, bugs, check: null, message: msg }) + '\n');
        else process.stdout.write(`${msg}\n`);
        process.exitCode = EXIT_OK;
        return;
      }
      const result = shrunk;
      const size = shrinkFile.sizeText;
      const reproCmd = result.repro;
      const summary = {
        file,
        seed,
        bugs,
        check: result.check,
        message: result.message,
        out,
        repro: reproCmd,
        before: result.before,
        after: result.after,
        runs: result.runs,
        runsMax: result.runsMax,
        steps: result.steps,
        decided: result.decided,
        undecidedSkipped: result.undecidedSkipped,
      };
      if (opts.json) {
        process.stdout.write(JSON.stringify(summary) + '\n');
      } else {
        process.stdout.write(
          [
            `shrunk ${file} seed ${seed}: ${result.check} still fails`,
            `  before  ${size(result.before)}`,
            `  after   ${size(result.after)}`,
            `  runs    ${summary.runs} (bound ${result.runsMax})`,
            `  failure ${result.message.split('\n')[0]}`,
            `  decided ${result.decided ? (bugs.length > 0 ? 'yes: with the planted bugs off it passes, every check decided' : 'yes: every other check decided') : 'NO: no candidate near the end was decided; this is the smallest'}${result.undecidedSkipped > 0 ? ` (${result.undecidedSkipped} smaller candidate(s) passed over)` : ''}`,
            `  wrote   ${out}`,
            `  reproduce: ${reproCmd}`,
          ].join('\n') + '\n',
        );
      }
      process.exitCode = EXIT_CHECK_FAILED;
    });
}
