// The real runtime's codec carries exactly what the store produces. The simulator passes
// messages and disk values by reference, so a field set to undefined, a NaN or a Map would
// survive there and silently change on a real wire or disk. This runs the store in simulation —
// servers, clients at every read level, the placement driver moving replicas onto a joining
// machine, snapshots, a crash and restart — and checks every message sent and every value
// written: JSON gives it back deep-strictly equal, and checkPlain accepts it.
import { describe, expect, it } from 'vitest';
import { isDeepStrictEqual } from 'node:util';
import { World } from '../../src/sim/world.js';
import type { BootFn, MachineContext } from '../../src/sim/machine.js';
import type { DiskOp } from '../../src/sim/disk.js';
import { StoreCluster } from '../../src/store/cluster.js';
import { Ring } from '../../src/store/ring.js';
import { DEFAULT_PLACEMENT } from '../../src/store/placement.js';
import { DEFAULT_CLIENT, type StoreClient } from '../../src/store/client.js';
import { defaultRaftConfig } from '../../src/raft/config.js';
import type { ReadLevel } from '../../src/history/op.js';
import { checkPlain, decodeValue, encodeValue } from '../../src/real/codec.js';
import { useRealTestLimits } from './helpers.js';

useRealTestLimits();

interface Seen {
  messages: number;
  writes: number;
  labels: Set<string>;
  problems: string[];
}

function roundTrips(what: string, value: unknown, seen: Seen): void {
  if (seen.problems.length >= 5) return;
  const back = decodeValue(encodeValue(value));
  if (!isDeepStrictEqual(back, value)) seen.problems.push(`${what}: ${encodeValue(value)?.slice(0, 300)}`);
  try {
    checkPlain(value, what);
  } catch (err) {
    seen.problems.push((err as Error).message);
  }
}

/** Wraps every booted process's context so sends and disk writes are checked on their way. */
function checking(world: World, seen: Seen): void {
  const add = world.addMachine.bind(world);
  world.addMachine = (id: string, boot: BootFn, options?: { start?: boolean }) =>
    add(
      id,
      (ctx) => {
        const write = ctx.disk.write.bind(ctx.disk);
        ctx.disk.write = (ops: DiskOp[], onDurable?: () => void) => {
          seen.writes++;
          for (const op of ops) if (op.value !== undefined) roundTrips(`disk ${id} ${op.key}`, op.value, seen);
          write(ops, onDurable);
        };
        const wrapped: MachineContext = {
          ...ctx,
          id: ctx.id,
          disk: ctx.disk,
          send: (to, payload, label) => {
            seen.messages++;
            seen.labels.add(label.split('.')[0]!);
            roundTrips(`message ${id} -> ${to} (${label})`, payload, seen);
            ctx.send(to, payload, label);
          },
        };
        return boot(wrapped);
      },
      options,
    );
}

describe('codec fidelity', () => {
  it('round-trips every message and disk value of a simulated store run exactly', () => {
    const seen: Seen = { messages: 0, writes: 0, labels: new Set(), problems: [] };
    const world = new World({ seed: 11 });
    checking(world, seen);
    const machines = ['n1', 'n2', 'n3'];
    const cluster = new StoreCluster(world, {
      machines,
      ring: Ring.build({ machines, shards: 4, rf: 3 }),
      raft: (g, id) => defaultRaftConfig(g, id),
      snapshotEvery: 10,
      bugs: new Set(),
      placement: { ...DEFAULT_PLACEMENT, roundUs: 50_000 },
      readServiceUs: 0,
    });
    let client!: StoreClient;
    cluster.addClient('c1', DEFAULT_CLIENT, (c) => (client = c));
    cluster.startPlacement();
    world.run(1_000_000);
    const levels: (ReadLevel | undefined)[] = ['linearizable', 'lease', 'follower', 'session', 'bounded'];
    let op = 1;
    let done = 0;
    for (let round = 0; round < 40; round++) {
      for (let k = 0; k < 5; k++) {
        client.execute(op++, 0, { op: 'put', key: `key-${k}`, value: `v${round} "quoted" ☃` }, () => done++);
        client.execute(op++, 0, { op: 'get', key: `key-${k}`, ...(levels[k] !== undefined && { level: levels[k] }) }, () => done++);
      }
      if (round === 10) cluster.join('n4');
      if (round === 20) world.machine('n2').crash();
      if (round === 25) world.machine('n2').restart();
      world.run(world.nowUs + 100_000);
    }
    world.run(world.nowUs + 3_000_000);
    expect(seen.problems).toEqual([]);
    expect(done).toBe(400);
    expect(seen.messages).toBeGreaterThan(1000);
    expect(seen.writes).toBeGreaterThan(100);
    for (const kind of ['raft', 'put', 'get', 'reply', 'admin', 'admin-reply']) expect(seen.labels, kind).toContain(kind);
  });
});
