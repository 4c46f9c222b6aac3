// Chooses the engine a scenario runs on. The store registers here when it exists.
import type { EngineFactory } from '../scenario/runner.js';
import { defaultEngineFactory } from '../scenario/runner.js';
import type { Scenario } from '../scenario/schema.js';

export function engineFactoryFor(scenario: Scenario, bugs: readonly string[]): EngineFactory {
  void scenario;
  void bugs;
  return defaultEngineFactory;
}
