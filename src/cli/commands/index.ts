// One line per command. Keep alphabetical so parallel additions merge cleanly.
import type { Command } from 'commander';
import { registerBench } from './bench.js';
import { registerBugs } from './bugs.js';
import { registerCalibrate } from './calibrate.js';
import { registerCampaign } from './campaign.js';
import { registerCheck } from './check.js';
import { registerCluster } from './cluster.js';
import { registerHunt } from './hunt.js';
import { registerKv } from './kv.js';
import { registerMerge } from './merge.js';
import { registerReal } from './real.js';
import { registerReplay } from './replay.js';
import { registerReport } from './report.js';
import { registerRing } from './ring.js';
import { registerRun } from './run.js';
import { registerServe } from './serve.js';
import { registerSchema } from './schema.js';
import { registerShrink } from './shrink.js';
import { registerSweep } from './sweep.js';

export function registerCommands(program: Command): void {
  registerBench(program);
  registerBugs(program);
  registerCalibrate(program);
  registerCampaign(program);
  registerCheck(program);
  registerCluster(program);
  registerHunt(program);
  registerKv(program);
  registerMerge(program);
  registerReal(program);
  registerReplay(program);
  registerReport(program);
  registerRing(program);
  registerRun(program);
  registerServe(program);
  registerSchema(program);
  registerShrink(program);
  registerSweep(program);
}
