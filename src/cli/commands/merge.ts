// kvsim merge A.json B.json ... [--json]
// Joins the `--json` summaries of sharded sweeps (kvsim sweep --shard I/N --json > part-I.json).
// Exit 0 no failures, 1 failures or nondeterminism, 2 bad input.
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { EXIT_CHECK_FAILED, EXIT_OK, UserError } from '../errors.js';

/** Checks the fields merging relies on; the value came from JSON.parse (a parse boundary). */
function validPart(file: string, value: unknown): void {
  const fail = (what: string): never => {
    throw new UserError(`${file}: ${what}; expected the --json summary of kvsim sweep`);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('not a JSON object');
  const v = value as Record<string, unknown>;
  if (typeof v.seeds !== 'number') fail('seeds: expected a number');
  if (!Array.isArray(v.failures)) fail('failures: expected an array');
  if (typeof v.seedsPerSec !== 'number') fail('seedsPerSec: expected a number');
  if (!(v.deterministic === null || typeof v.deterministic === 'boolean')) fail('deterministic: expected true, false or null');
  if (typeof v.coverage !== 'object' || v.coverage === null) fail('coverage: expected an object');
}

export function registerMerge(program: Command): void {
  program
    .command('merge')
    .description('join the --json summaries of sharded sweeps into one')
    .argument('<files...>', 'sweep summaries (JSON)')
    .option('--json', 'print the merged summary as one JSON object (default)')
    .action(async (files: string[]) => {
      const { mergeSummaries } = await import('../../explore/sweep.js');
      const parts = files.map((file) => {
        let text: string;
        try {
          text = readFileSync(file, 'utf8');
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          throw new UserError(`${file}: ${code === 'ENOENT' ? 'no such file' : `cannot read (${code ?? 'error'})`}`);
        }
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch (err) {
          throw new UserError(`${file}: invalid JSON (${err instanceof Error ? err.message : String(err)})`);
        }
        validPart(file, value);
        return value as Parameters<typeof mergeSummaries>[0][number];
      });
      const merged = mergeSummaries(parts);
      process.stdout.write(JSON.stringify(merged) + '\n');
      process.exitCode = merged.failures.length === 0 && merged.deterministic !== false ? EXIT_OK : EXIT_CHECK_FAILED;
    });
}
