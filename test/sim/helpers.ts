import type { MachineContext, Process } from '../../src/sim/machine.js';
import { World, type WorldOptions } from '../../src/sim/world.js';
import type { TraceEvent } from '../../src/trace/events.js';

export interface Received {
  atUs: number;
  at: string;
  from: string;
  payload: unknown;
}

/** A world of machines whose processes just record what they receive. */
export function recordingWorld(machines: string[], options: Partial<WorldOptions> = {}) {
  const world = new World({ seed: 1, ...options, link: { jitterUs: 0, tailProbability: 0, ...options.link } });
  const received: Received[] = [];
  const contexts = new Map<string, MachineContext>();
  const boots = new Map<string, number>();
  for (const id of machines) {
    world.addMachine(id, (ctx): Process => {
      contexts.set(id, ctx);
      boots.set(id, (boots.get(id) ?? 0) + 1);
      return { onMessage: (from, payload) => received.push({ atUs: world.nowUs, at: id, from, payload }) };
    });
  }
  const events: TraceEvent[] = [];
  world.tracer.listen((e) => events.push(e));
  return { world, received, ctx: (id: string) => contexts.get(id)!, boots, events };
}
