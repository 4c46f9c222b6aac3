// kvsim bugs [--json]: the planted-bug catalogue.
import type { Command } from 'commander';
import { BUGS, unknownBugs } from '../../bugs/catalogue.js';
import { UserError } from '../errors.js';

/** Rejects unknown `--bug` names with one line listing the known ones. */
export function validateBugFlags(names: readonly string[], flag = '--bug'): void {
  const unknown = unknownBugs(names);
  if (unknown.length > 0) {
    throw new UserError(`${flag}: unknown planted bug "${unknown[0]}"; run \`kvsim bugs\` for the list (${BUGS.length} bugs)`);
  }
}

/**
 * A scenario file, its seed (--seed, else the file's, else 1) and the --bug flags, each checked:
 * what `kvsim run` and `kvsim real` start from.
 */
export async function scenarioRunInputs(file: string, seedText: string | undefined, bugFlags: readonly string[] | undefined) {
  const [{ loadScenarioFile }, { parseSeed }] = await Promise.all([import('../../scenario/load.js'), import('../options.js')]);
  const seedFlag = parseSeed(seedText);
  const loaded = loadScenarioFile(file);
  const seed = seedFlag ?? loaded.scenario.seed ?? 1;
  const bugs = [...(bugFlags ?? [])];
  validateBugFlags(bugs);
  validateBugFlags(loaded.scenario.bugs ?? [], `${file}: bugs`);
  return { loaded, seed, bugs };
}

export function registerBugs(program: Command): void {
  program
    .command('bugs')
    .description('list the planted-bug catalogue (use one with --bug NAME)')
    .option('--json', 'print the catalogue as a JSON array')
    .action((opts: { json?: boolean }) => {
      if (opts.json) {
        process.stdout.write(JSON.stringify(BUGS) + '\n');
        return;
      }
      const lines: string[] = [];
      for (const b of BUGS) {
        lines.push(`${b.name}  [${b.layer}]`);
        lines.push(`    ${b.description}`);
        lines.push(`    breaks: ${b.rule}`);
        lines.push(`    caught by: ${b.caughtBy}`);
        lines.push(`    code: ${b.codePoint}`);
      }
      lines.push('', `${BUGS.length} planted bugs. Switch one on with --bug NAME on run, sweep, shrink, replay or hunt.`);
      process.stdout.write(lines.join('\n') + '\n');
    });
}
