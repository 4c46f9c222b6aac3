#!/usr/bin/env node
// kvsim command line. Each command lives in commands/<name>.ts and registers itself on the
// program; this file only wires them up and turns user errors into one line and an exit code.
import { Command, CommanderError } from 'commander';
import { UserError, EXIT_BAD_INPUT } from './errors.js';
import { registerCommands } from './commands/index.js';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('kvsim')
    .description('Deterministic simulation testbed for a read-heavy replicated key-value store')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeErr: (s) => process.stderr.write(s),
    });
  registerCommands(program);
  for (const cmd of program.commands) cmd.exitOverride();
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof UserError) {
      process.stderr.write(`kvsim: ${err.message}\n`);
      return err.exitCode;
    }
    if (err instanceof CommanderError) {
      // --help and --version end with code 0; every usage error is bad input.
      if (err.exitCode === 0 || err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 0;
      return EXIT_BAD_INPUT;
    }
    throw err;
  }
}

// `kvsim ... | head` closes the pipe early: that is the reader's choice, not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

const code = await main(process.argv.slice(2));
process.exitCode = code;
