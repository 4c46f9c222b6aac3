// Chooses the engine a scenario runs on: the store when the scenario has shards or a
// workload, otherwise the kernel's ping demo.
import type { EngineFactory } from './runner.js';
import { defaultEngineFactory } from './runner.js';
import type { Scenario } from '../scenario/schema.js';
import { StoreEngine, settingsOf } from './store-engine.js';

export function isStoreScenario(scenario: Scenario): boolean {
  return scenario.cluster.shards !== undefined || scenario.workload !== undefined;
}

export function engineFactoryFor(scenario: Scenario, bugs: readonly string[]): EngineFactory {
  void bugs;
  if (!isStoreScenario(scenario)) return defaultEngineFactory;
  return (world, s, allBugs, topology) => new StoreEngine(world, settingsOf(s, allBugs, topology));
}
