// Typed trace events. Every event has `t` (simulated microseconds) and `type`; the union is
// discriminated on `type`, so adding a kind breaks every `switch` that must handle it.
// Each layer defines its events in its own file here (trace/ sits below every layer).
import type { RaftEvent } from './events-raft.js';
import type { StoreEvent } from './events-store.js';

/** Events of the simulation kernel itself. */
export type SimEvent =
  /**
   * `mode: 'real'`: a run of real processes, merged from their traces (src/real/merge.ts); its
   * times are the host's clocks as recorded. Absent for a simulated run (never written there,
   * so simulated traces and their hashes are unchanged).
   */
  | {
      t: number;
      type: 'run.start';
      seed: number;
      scenario: string;
      machines: string[];
      mode?: 'real';
      /** Where machines are, when the scenario has a topology (a replacement takes the replaced one's place). */
      places?: Record<string, { region: string; zone: string }>;
    }
  | { t: number; type: 'run.end'; events: number }
  /** The run's verdicts, written just before run.end so a trace alone can be reported on. */
  | { t: number; type: 'run.summary'; scenario: string; seed: number; bugs: string[]; summary: Record<string, unknown> }
  | MessageEvent
  | { t: number; type: 'msg.drop'; id: number; from: string; to: string; label: string; reason: DropReason }
  | { t: number; type: 'machine.crash'; machine: string }
  | { t: number; type: 'machine.restart'; machine: string }
  | { t: number; type: 'machine.pause'; machine: string }
  | { t: number; type: 'machine.resume'; machine: string; held: number }
  | { t: number; type: 'clock.skew'; machine: string; skewUs: number; driftPpm: number }
  | { t: number; type: 'net.cut'; links: [string, string][]; description: string }
  | { t: number; type: 'net.heal'; links: [string, string][] | 'all' }
  | { t: number; type: 'net.clog'; from: string; to: string; untilUs: number }
  | { t: number; type: 'net.rates'; drop: number; duplicate: number; delayExtraUs: number }
  | { t: number; type: 'net.delay'; links: [string, string][]; extraUs: number }
  /** `messages`: the message classes the garbling is aimed at (absent: every message). */
  | { t: number; type: 'net.garble'; rate: number; messages?: string[] }
  /** A message sent garbled: `path` names the value given the wrong type (src/sim/garble.ts). */
  | { t: number; type: 'msg.garble'; id: number; from: string; to: string; label: string; path: string }
  | { t: number; type: 'disk.slow'; machine: string; factor: number }
  | { t: number; type: 'disk.durable'; machine: string; writes: number }
  | { t: number; type: 'disk.lost'; machine: string; writes: number }
  | { t: number; type: 'fault'; action: string; detail: string }
  | { t: number; type: 'demo.ping'; from: string; to: string; seq: number }
  | { t: number; type: 'demo.pong'; from: string; to: string; seq: number; rttUs: number };

export type DropReason = 'partition' | 'random' | 'crashed' | 'unknown-machine';

export type TraceEvent = SimEvent | RaftEvent | StoreEvent;
export type TraceEventType = TraceEvent['type'];

/** A message sent or delivered: two thirds of a store run's events, so the tracer has a fast path for them. */
export interface MessageEvent {
  t: number;
  type: 'msg.send' | 'msg.deliver';
  id: number;
  from: string;
  to: string;
  label: string;
}
