// The ping demo: the engine `kvsim run` drives when a scenario has no store sections.
// Every machine pings a random peer every `pingEvery` (its local clock), persists a counter of
// the pongs it received, and answers pings. It exercises every part of the kernel — timers,
// clocks, network faults, disks, crashes — end to end, with nothing of Raft or keys.
import type { MachineContext, Process } from '../sim/machine.js';
import type { Rng } from '../sim/random.js';
import type { World } from '../sim/world.js';
import type { Engine, EngineResults } from './engine.js';
import { NOT_APPLICABLE } from './verdicts.js';
import type { StateCondition } from '../scenario/fault.js';
import { AssertionError } from '../base/assert.js';
import { parseTarget, type Target } from '../scenario/target.js';
import { assertNever } from '../base/assert.js';
import { serversAt } from './places.js';
import type { Topology } from '../scenario/topology.js';

type DemoMessage = { kind: 'ping'; seq: number; sentLocalUs: number } | { kind: 'pong'; seq: number; sentLocalUs: number };

interface DemoCounters {
  pings: number;
  pongs: number;
}

class Pinger implements Process {
  private seq = 0;

  constructor(
    private readonly ctx: MachineContext,
    private readonly peers: readonly string[],
    private readonly pingEveryUs: number,
    private readonly counters: DemoCounters,
  ) {
    // A restarted machine resumes its sequence from disk, so pings after a restart are new.
    const saved = ctx.disk.get('demo/seq');
    if (typeof saved === 'number') this.seq = saved;
    this.schedule();
  }

  private schedule(): void {
    const rng = this.ctx.rng('ping');
    // Spread the first ping so machines do not all fire in the same microsecond.
    this.ctx.setTimer(this.pingEveryUs + rng.int(0, this.pingEveryUs >> 2), () => this.ping());
  }

  private ping(): void {
    const others = this.peers.filter((p) => p !== this.ctx.id);
    if (others.length > 0) {
      const to = this.ctx.rng('ping').pick(others);
      this.seq++;
      this.counters.pings++;
      this.ctx.emit({ t: 0, type: 'demo.ping', from: this.ctx.id, to, seq: this.seq });
      const message: DemoMessage = { kind: 'ping', seq: this.seq, sentLocalUs: this.ctx.localNowUs() };
      this.ctx.send(to, message, 'ping');
      if (this.seq % 16 === 0) this.ctx.disk.write([{ key: 'demo/seq', value: this.seq }]);
    }
    this.schedule();
  }

  onMessage(from: string, payload: unknown): void {
    const message = payload as DemoMessage;
    switch (message.kind) {
      case 'ping':
        this.ctx.send(from, { kind: 'pong', seq: message.seq, sentLocalUs: message.sentLocalUs }, 'pong');
        return;
      case 'pong': {
        this.counters.pongs++;
        const rttUs = this.ctx.localNowUs() - message.sentLocalUs;
        this.ctx.emit({ t: 0, type: 'demo.pong', from, to: this.ctx.id, seq: message.seq, rttUs });
        return;
      }
      default: {
        const never: never = message;
        throw new AssertionError(`unknown demo message ${JSON.stringify(never)}`);
      }
    }
  }
}

export class DemoEngine implements Engine {
  private readonly counters: DemoCounters = { pings: 0, pongs: 0 };

  constructor(
    readonly world: World,
    machines: readonly string[],
    pingEveryUs: number,
    private readonly topology?: Topology,
  ) {
    for (const id of machines) {
      world.addMachine(id, (ctx) => new Pinger(ctx, machines, pingEveryUs, this.counters));
    }
  }

  servers(): string[] {
    return this.world.machineIds();
  }

  resolveTarget(target: string, rng: Rng): string[] {
    const all = this.world.machineIds();
    const place = serversAt(this.topology, target, all);
    if (place !== undefined) return place;
    // leader(...) has no meaning without Raft: the demo picks any machine instead.
    return resolveCommonTarget(targetOf(target), all, (m) => this.world.hasMachine(m), rng) ?? [rng.pick(all)];
  }

  clientsAt(): string[] {
    return []; // the demo's machines are all servers
  }

  conditionHolds(when: StateCondition): boolean {
    if (when.opsCompleted !== undefined) return this.counters.pongs >= when.opsCompleted;
    return false;
  }

  finish(): EngineResults {
    const { pings, pongs } = this.counters;
    return {
      ops: { total: pings, ok: Math.min(pongs, pings), failed: 0, indeterminate: Math.max(0, pings - pongs) },
      elections: 0,
      staleReads: 0,
      checks: {
        invariants: NOT_APPLICABLE,
        linearizable: NOT_APPLICABLE,
        eventual: NOT_APPLICABLE,
        durability: NOT_APPLICABLE,
        liveness: NOT_APPLICABLE,
        placement: NOT_APPLICABLE,
      },
    };
  }
}

/**
 * The targets every engine understands: a machine name, random, minority, majority (chosen
 * among `all`). Returns undefined for engine-specific ones such as leader(shard 2) and for
 * places (region(...), zone(...)), which the caller resolves with its topology.
 */
export function resolveCommonTarget(target: Target, all: readonly string[], exists: (m: string) => boolean, rng: Rng): string[] | undefined {
  const majority = Math.floor(all.length / 2) + 1;
  switch (target.kind) {
    case 'machine':
      return exists(target.machine) ? [target.machine] : [];
    case 'random':
      return [rng.pick(all)];
    case 'minority':
      return pickSome(all, all.length - majority, rng);
    case 'majority':
      return pickSome(all, majority, rng);
    case 'leader':
    case 'leader-any':
    case 'region':
    case 'zone':
    case 'involved': // resolved by the fault scheduler, which knows the event that fired
    case 'peer':
      return undefined;
    default:
      return assertNever(target, 'target');
  }
}

/** A validated target's parse (scenario files are validated, so this cannot fail). */
export function targetOf(text: string): Target {
  const t = parseTarget(text);
  if (t === undefined) throw new AssertionError(`unresolvable target ${text}`);
  return t;
}

/** `count` distinct machines chosen by the rng, in the order of `all`. */
export function pickSome(all: readonly string[], count: number, rng: Rng): string[] {
  const pool = [...all];
  const chosen = new Set<string>();
  while (chosen.size < count && pool.length > 0) {
    const i = rng.int(0, pool.length - 1);
    chosen.add(pool[i]!);
    pool.splice(i, 1);
  }
  return all.filter((m) => chosen.has(m));
}
