// One line per command. Keep alphabetical so parallel additions merge cleanly.
import type { Command } from 'commander';
import { registerBench } from './bench.js';
import { registerBugs } from './bugs.js';
import { registerCheck } from './check.js';
import { registerHunt } from './hunt.js';
import { registerMerge } from './merge.js';
import { registerReplay } from './replay.js';
import { registerReport } from './report.js';
import { registerRing } from './ring.js';
import { registerRun } from './run.js';
import { registerSchema } from './schema.js';
import { registerShrink } from './shrink.js';
import { registerSweep } from './sweep.js';

export function registerCommands(program: Command): void {
  registerBench(program);
  registerBugs(program);
  registerCheck(program);
  registerHunt(program);
  registerMerge(program);
  registerReplay(program);
  registerReport(program);
  registerRing(program);
  registerRun(program);
  registerSchema(program);
  registerShrink(program);
  registerSweep(program);
}
