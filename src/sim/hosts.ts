// The narrow doors between the simulated world and its parts, as `DiskHost` is for a disk: a
// machine and the network each see a handful of methods of the world, never the World itself
// (so neither imports it, and a test can drive either with a small fake).
import type { MessageEvent, TraceEvent } from '../trace/events.js';
import type { Rng } from './random.js';

export type MachineState = 'up' | 'crashed' | 'paused';

/** What every part of the simulation needs: the true clock, the event queue, named randomness, the trace. */
export interface SimHost {
  nowUs(): number;
  /** Schedules `fn` at an absolute true time (never in the past). */
  at(timeUs: number, fn: () => void): void;
  /** The named random stream (the same name always gives the same stream of a seed). */
  stream(name: string): Rng;
  trace(event: TraceEvent): void;
}

/** A machine's view of the world: it also hands messages to the network. */
export interface MachineHost extends SimHost {
  send(from: string, to: string, payload: unknown, label: string): void;
}

/** Where the network delivers: a machine by id. */
export interface Receiver {
  readonly state: MachineState;
  deliver(from: string, payload: unknown): boolean;
}

/** The network's view of the world: it also finds the machine a message is for. */
export interface NetworkHost extends SimHost {
  receiver(id: string): Receiver | undefined;
  /** `trace` for msg.send and msg.deliver (the tracer's fast path). */
  traceMessage(event: MessageEvent): void;
}
