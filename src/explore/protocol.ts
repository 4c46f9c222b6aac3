// Messages between a sweep and its worker threads. Plain JSON-like objects (structured clone).
import type { RunOutcome } from './execute.js';

/** Where a seed's scenario comes from: swarm mode builds it from the seed, else a file's text. */
/** `geo`: swarm scenarios with a topology (`--geo`). */
export type ScenarioSource = { kind: 'swarm'; geo?: boolean } | { kind: 'file'; file: string; text: string };

export interface RunTask {
  id: number;
  seed: number;
  source: ScenarioSource;
  bugs: string[];
  captureEvents: boolean;
  /**
   * A module (file URL) exporting `engineFactory(scenario, bugs)`, used instead of the engine
   * `kvsim run` picks. Only tests set it, to plant a process on purpose.
   */
  engineModule?: string;
}

export type TaskResult = { id: number; ok: true; outcome: RunOutcome } | { id: number; ok: false; error: string };
