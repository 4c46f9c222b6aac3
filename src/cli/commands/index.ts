// One line per command. Keep alphabetical so parallel additions merge cleanly.
import type { Command } from 'commander';

export function registerCommands(program: Command): void {
  void program;
}
