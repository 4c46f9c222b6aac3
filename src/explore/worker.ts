// A sweep worker thread: runs one seed per task message and posts the outcome back. It holds
// no state between tasks except what modules cache (which is exactly what the determinism
// self-check compares against a fresh worker).
import { parentPort } from 'node:worker_threads';
import type { EngineFactory } from '../harness/runner.js';
import type { Scenario } from '../scenario/schema.js';
import { executeScenario, type ExecuteOptions } from './execute.js';
import type { RunTask, TaskResult } from './protocol.js';
import { swarmFileText, swarmName } from './swarm.js';
import { AssertionError } from '../base/assert.js';

type EngineFactoryFor = (scenario: Scenario, bugs: readonly string[]) => EngineFactory;

async function engineOverride(url: string | undefined): Promise<EngineFactoryFor | undefined> {
  if (url === undefined) return undefined;
  const mod = (await import(url)) as { engineFactory?: EngineFactoryFor };
  if (typeof mod.engineFactory !== 'function') throw new Error(`${url} does not export engineFactory`);
  return mod.engineFactory;
}

async function handle(task: RunTask): Promise<TaskResult> {
  try {
    const engineFactory = await engineOverride(task.engineModule);
    const options: ExecuteOptions = { captureEvents: task.captureEvents, ...(engineFactory !== undefined && { engineFactory }) };
    const { file, text } =
      task.source.kind === 'swarm'
        ? { file: `${swarmName(task.seed, task.source)}.yaml`, text: swarmFileText(task.seed, task.bugs, 'reports', task.source) }
        : task.source;
    return { id: task.id, ok: true, outcome: executeScenario(file, text, task.seed, task.bugs, options) };
  } catch (err) {
    return { id: task.id, ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

const port = parentPort;
if (port === null) throw new AssertionError('worker.js runs as a worker thread');
port.on('message', (task: RunTask) => {
  void handle(task).then((result) => port.postMessage(result));
});
