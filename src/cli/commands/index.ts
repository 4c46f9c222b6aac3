// One line per command. Keep alphabetical so parallel additions merge cleanly.
import type { Command } from 'commander';
import { registerBench } from './bench.js';
import { registerBugs } from './bugs.js';
import { registerCheck } from './check.js';
import { registerReplay } from './replay.js';
import { registerReport } from './report.js';
import { registerRing } from './ring.js';
import { registerRun } from './run.js';
import { registerSchema } from './schema.js';

export function registerCommands(program: Command): void {
  registerBench(program);
  registerBugs(program);
  registerCheck(program);
  registerReplay(program);
  registerReport(program);
  registerRing(program);
  registerRun(program);
  registerSchema(program);
}
