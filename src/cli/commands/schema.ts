// kvsim schema: the scenario format as JSON Schema, for editor completion and validation.
import type { Command } from 'commander';

export function registerSchema(program: Command): void {
  program
    .command('schema')
    .description('print the scenario file format as JSON Schema (for editors)')
    .action(async () => {
      const { scenarioJsonSchema } = await import('../../scenario/schema.js');
      process.stdout.write(JSON.stringify(scenarioJsonSchema(), null, 2) + '\n');
    });
}
