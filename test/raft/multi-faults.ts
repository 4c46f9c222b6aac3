// Faults for the multi-Raft property tests (coalesced heartbeats, quiescence): crash a machine,
// cut it off, or make the network lossy, each for a while, at a time in ms.
import fc from 'fast-check';
import { linksBetweenSides } from '../../src/sim/network.js';
import type { World } from '../../src/sim/world.js';

export interface MachineFault {
  at: number;
  kind: 'crash' | 'isolate' | 'loss';
  machine: number;
  forMs: number;
}

export function machineFaultArb(atMaxMs: number, forMaxMs: number, machines: number): fc.Arbitrary<MachineFault> {
  return fc.record({
    at: fc.integer({ min: 0, max: atMaxMs }),
    kind: fc.constantFrom<MachineFault['kind']>('crash', 'isolate', 'loss'),
    machine: fc.integer({ min: 0, max: machines - 1 }),
    forMs: fc.integer({ min: 1, max: forMaxMs }),
  });
}

/** Schedules each fault and its end on the world. */
export function scheduleFaults(w: World, machines: readonly string[], faults: readonly MachineFault[]): void {
  for (const f of faults) {
    w.at(f.at * 1000, () => {
      const id = machines[f.machine]!;
      if (f.kind === 'crash') {
        const m = w.machine(id);
        if (m.state === 'crashed') return;
        m.crash();
        w.after(f.forMs * 1000, () => m.restart());
      } else if (f.kind === 'isolate') {
        const links = linksBetweenSides([[id], machines.filter((x) => x !== id)]);
        w.network.cutAll(links, 'isolate');
        w.after(f.forMs * 1000, () => w.network.heal(links));
      } else {
        w.network.setFaultRates(0.2, 0.1, 0);
        w.after(f.forMs * 1000, () => w.network.setFaultRates(0, 0, 0));
      }
    });
  }
}
