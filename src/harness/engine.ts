// What the runner needs from whatever is being simulated (the ping demo, the store): the world,
// how to name fault targets, state conditions for `when` triggers, and the run's results.
import type { World } from '../sim/world.js';
import type { Rng } from '../sim/random.js';
import type { FaultAction, StateCondition } from '../scenario/fault.js';
import type { ProtocolEvent } from '../scenario/protocol-events.js';

/** The actions the fault scheduler hands to the engine. */
export type EngineFaultAction = Extract<FaultAction, { kind: 'spike' | 'transfer' | 'join' | 'leave' | 'replace' }>;
import type { OpRecord } from '../history/op.js';
import type { Checks } from './verdicts.js';

export interface EngineResults {
  ops: { total: number; ok: number; failed: number; indeterminate: number };
  elections: number;
  staleReads: number;
  checks: Checks;
  extra?: Record<string, unknown>;
  /** The client history, in completion order (the store engine only). */
  history?: OpRecord[];
}

export interface Engine {
  readonly world: World;
  /** The server machines (fault targets such as random, minority and `rest` pick among these). */
  servers(): string[];
  /** Machines a fault target names right now (n3, random, minority, leader(shard 2), ...). */
  resolveTarget(target: string, rng: Rng): string[];
  /**
   * Client machines a place target (region(...), zone(...)) also covers for network faults: a
   * region cut off takes its clients with it. Undefined or empty for other targets.
   */
  clientsAt?(target: string): string[];
  /** True when a `when` state condition holds. */
  conditionHolds(when: StateCondition): boolean;
  /** Reports every protocol event from now on (faults with `when: { event }`); undefined: none happen. */
  watchProtocol?(report: (e: ProtocolEvent) => void): void;
  /** Fault actions on the system under test (spike, transfer, join, leave, replace); undefined: no effect. */
  applyEngineFault?(action: EngineFaultAction, rng: Rng): { undo?: () => void; detail: string } | undefined;
  /** Called once the simulated duration has passed: stop load, settle, compute results. */
  finish(): EngineResults;
}
