// kvsim schema: the scenario format as JSON Schema, for editor completion and validation.
import type { Command } from 'commander';
import { scenarioJsonSchema } from '../../scenario/schema.js';

export function registerSchema(program: Command): void {
  program
    .command('schema')
    .description('print the scenario file format as JSON Schema (for editors)')
    .action(() => {
      process.stdout.write(JSON.stringify(scenarioJsonSchema(), null, 2) + '\n');
    });
}
