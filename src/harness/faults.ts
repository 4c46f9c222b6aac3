// Schedules a scenario's faults and applies them when their trigger fires. Each fault draws
// from its own random stream ("fault/<index>"), so removing one fault does not change the
// targets another one picks — shrinking relies on that.
//
// The scheduler works on a FaultHost: time, random streams, the network's fault controls and
// the machines. A simulated run's host is its World (simFaultHost); a run against real
// processes (src/live) supplies one whose network rules go to the servers' control channels
// and whose crash is a SIGKILL — the same fault vocabulary, applied by the same code.
import { bridgeLinks, isolateLinks, linksBetweenSides, oneWayLinks, type GarbleAim, type Network } from '../sim/network.js';
import { messageClassOf, type MessageClass } from '../store/protocol.js';
import type { Machine } from '../sim/machine.js';
import type { Rng } from '../sim/random.js';
import type { World } from '../sim/world.js';
import type { Engine } from './engine.js';
import type { FaultSpec } from '../scenario/schema.js';
import { actionName, actionOf, triggerOf, type FaultTrigger } from '../scenario/fault.js';
import { assertNever } from '../base/assert.js';
import { isEventTarget, isPlaceTarget } from '../scenario/target.js';
import type { ProtocolEvent } from '../scenario/protocol-events.js';
import { targetOf } from './demo.js';

type Applied = { undo?: () => void; detail: string };

/** A garble fault's aim: the store's messages of the classes named (store/protocol.ts). */
function garbleAim(classes: readonly MessageClass[]): GarbleAim {
  return {
    classes,
    accepts: (payload) => {
      const c = messageClassOf(payload);
      return c !== null && classes.includes(c);
    },
  };
}

/** The network's fault controls, as the simulator's Network has them. */
export type FaultNetwork = Pick<Network, 'cutAll' | 'heal' | 'clog' | 'delayLinks' | 'setFaultRates' | 'faultDrop' | 'faultDuplicate' | 'faultDelayExtraUs' | 'faultReorder' | 'faultGarble' | 'faultGarbleAim' | 'setGarble'>;

/** A machine's fault controls, as the simulator's Machine has them. */
export type FaultMachine = Pick<Machine, 'crash' | 'restart' | 'pause' | 'resume' | 'skew'>;

/** What the scheduler schedules on and applies faults to. */
export interface FaultHost {
  nowUs(): number;
  at(timeUs: number, fn: () => void): void;
  after(delayUs: number, fn: () => void): void;
  stream(name: string): Rng;
  /** Calls `fn` whenever a `when` condition may have changed (after every event, in a simulation). */
  onProgress(fn: () => void): void;
  /** Records a fault event (the trace's `fault`). */
  emitFault(action: string, detail: string): void;
  /** Every machine, servers and clients: what isolate cuts a machine off from. */
  machineIds(): string[];
  readonly network: FaultNetwork;
  machine(id: string): FaultMachine;
  /** Multiplies a machine's fsync time by `factor` (1: normal again). */
  slowDisk(id: string, factor: number): void;
}

/** The fault host of a simulated run: the World itself. */
export function simFaultHost(world: World): FaultHost {
  return {
    nowUs: () => world.nowUs,
    at: (timeUs, fn) => world.at(timeUs, fn),
    after: (delayUs, fn) => world.after(delayUs, fn),
    stream: (name) => world.random.stream(name),
    onProgress: (fn) => world.tracer.listen(fn),
    emitFault: (action, detail) => world.emitSim({ t: world.nowUs, type: 'fault', action, detail }),
    machineIds: () => world.machineIds(),
    network: world.network,
    machine: (id) => world.machine(id),
    slowDisk: (id, factor) => {
      world.machine(id).disk.slowFactor = factor;
      world.emitSim({ t: world.nowUs, type: 'disk.slow', machine: id, factor });
    },
  };
}

/** What the scheduler needs from the system under test (an Engine has all of it). */
export type FaultTargets = Pick<Engine, 'servers' | 'resolveTarget' | 'conditionHolds' | 'applyEngineFault' | 'clientsAt' | 'watchProtocol'>;

/** Bound on firings of one `every` fault, so a tiny interval cannot flood a run. */
const FIRINGS_MAX_PER_FAULT = 100_000;

/** A fault waiting for the nth occurrence of a protocol event. */
interface EventWait {
  readonly index: number;
  readonly fault: FaultSpec;
  readonly trigger: Extract<FaultTrigger, { kind: 'event' }>;
  seen: number;
}

export class FaultScheduler {
  private readonly waiting: { index: number; fault: FaultSpec }[] = [];
  private readonly waitingForEvent: EventWait[] = [];
  /** The protocol event of the fault being applied right now (what `involved` and `peer` name). */
  private firing: ProtocolEvent | null = null;
  faultsFired = 0;

  private readonly host: FaultHost;

  constructor(
    private readonly engine: FaultTargets & { readonly world?: World },
    private readonly faults: readonly FaultSpec[],
    private readonly durationUs: number,
    host?: FaultHost,
  ) {
    const world = engine.world;
    if (host === undefined && world === undefined) throw new Error('a fault scheduler needs a host or an engine with a world');
    this.host = host ?? simFaultHost(world!);
  }

  start(): void {
    const world = this.host;
    this.faults.forEach((fault, index) => {
      const rng = world.stream(`fault/${index}`);
      const trigger = triggerOf(fault);
      switch (trigger.kind) {
        case 'at':
          world.at(trigger.atUs, () => this.fire(index, fault, rng));
          return;
        case 'every': {
          const every = trigger.everyUs;
          const untilUs = Math.min(trigger.untilUs ?? this.durationUs, this.durationUs);
          let firings = 0;
          const tick = (): void => {
            if (world.nowUs() > untilUs || firings >= FIRINGS_MAX_PER_FAULT) return;
            firings++;
            this.fire(index, fault, rng);
            if (world.nowUs() + every <= untilUs) world.after(every, tick);
          };
          if (trigger.fromUs <= untilUs) world.at(trigger.fromUs, tick);
          return;
        }
        case 'when':
          this.waiting.push({ index, fault });
          return;
        case 'event':
          this.waitingForEvent.push({ index, fault, trigger, seen: 0 });
          return;
        default:
          assertNever(trigger, 'fault trigger');
      }
    });
    if (this.waiting.length > 0) {
      world.onProgress(() => this.checkWaiting());
    }
    // An engine that reports no protocol events (the ping demo) leaves these faults waiting.
    if (this.waitingForEvent.length > 0) this.engine.watchProtocol?.((e) => this.onProtocolEvent(e));
  }

  private onProtocolEvent(e: ProtocolEvent): void {
    const world = this.host;
    for (let i = 0; i < this.waitingForEvent.length; i++) {
      const wait = this.waitingForEvent[i]!;
      const { trigger } = wait;
      if (trigger.event !== e.name || (trigger.shard !== null && trigger.shard !== e.shard)) continue;
      wait.seen++;
      if (wait.seen < trigger.nth) continue;
      this.waitingForEvent.splice(i, 1);
      i--;
      // Fire on a fresh event (with no delay: right after the one that made it happen).
      world.after(trigger.delayUs, () => this.fire(wait.index, wait.fault, world.stream(`fault/${wait.index}`), e));
    }
  }

  /** The machines a target names: `involved` and `peer` from the firing event, the rest from the engine. */
  private resolve(target: string, rng: Rng): string[] {
    const t = targetOf(target);
    if (!isEventTarget(t)) return this.engine.resolveTarget(target, rng);
    const e = this.firing;
    const m = e === null ? null : t.kind === 'involved' ? e.machine : e.peer;
    return m !== null && this.engine.servers().includes(m) ? [m] : [];
  }

  private checkWaiting(): void {
    if (this.waiting.length === 0) return;
    const world = this.host;
    for (let i = 0; i < this.waiting.length; i++) {
      const { index, fault } = this.waiting[i]!;
      if (this.engine.conditionHolds(fault.when!)) {
        this.waiting.splice(i, 1);
        i--;
        // Fire on a fresh event, not in the middle of the event that made the condition true.
        world.after(0, () => this.fire(index, fault, world.stream(`fault/${index}`)));
      }
    }
  }

  /** A network fault's view of a target: its servers, and for a place also the clients there. */
  private reach(target: string, rng: Rng): string[] {
    const servers = this.resolve(target, rng);
    const clients = isEventTarget(targetOf(target)) ? [] : (this.engine.clientsAt?.(target) ?? []);
    return clients.length === 0 ? servers : [...servers, ...clients];
  }

  private resolveSides(sides: readonly (readonly string[])[], rng: Rng): string[][] {
    return resolveSidesWith(sides, (t) => this.reach(t, rng), this.engine.servers());
  }

  private fire(index: number, fault: FaultSpec, rng: Rng, cause: ProtocolEvent | null = null): void {
    const world = this.host;
    // Faults belong to the run's duration: the settle period after it must be fault-free, or
    // the final checks (convergence, liveness "after the last fault heals") would be unfair. The
    // settle heals everything at the duration's last instant, so a fault due then (a state
    // trigger that holds only once the load has stopped) comes too late as well: fired after
    // that heal, it would last through the whole settle (found: swarm seed 5748, n2 isolated
    // at 3.9 s of a 3.9 s run, so its replicas never converged).
    if (world.nowUs() >= this.durationUs) return;
    this.faultsFired++;
    this.firing = cause;
    let applied: Applied;
    try {
      applied = this.apply(fault, rng);
    } finally {
      this.firing = null;
    }
    const why = cause === null ? '' : `on ${cause.name}${cause.shard === null ? '' : ` of shard ${cause.shard}`} at ${cause.machine}${cause.peer === null ? '' : ` (peer ${cause.peer})`}: `;
    world.emitFault(actionName(fault), `#${index} ${why}${applied.detail}`);
    if (fault.for !== undefined && applied.undo !== undefined) {
      const undo = applied.undo;
      world.after(fault.for, () => {
        // After the run's duration the store has been healed as a whole; an undo now would
        // restore the state captured when the fault fired (e.g. an earlier drop rate).
        if (world.nowUs() >= this.durationUs) return;
        undo();
        world.emitFault(`end-${actionName(fault)}`, `#${index}`);
      });
    }
  }

  private apply(fault: FaultSpec, rng: Rng): Applied {
    const world = this.host;
    const net = world.network;
    const all = world.machineIds();
    const one = (target: string): string[] => this.resolve(target, rng);
    const cut = (links: [string, string][], description: string): Applied => {
      net.cutAll(links, description);
      return { undo: () => net.heal(links), detail: description };
    };
    const rates = (drop: number, duplicate: number, delayUs: number): Applied => {
      const before = { drop: net.faultDrop, duplicate: net.faultDuplicate, delay: net.faultDelayExtraUs };
      net.setFaultRates(drop, duplicate, delayUs);
      return {
        undo: () => net.setFaultRates(before.drop, before.duplicate, before.delay),
        detail: `drop ${net.faultDrop} duplicate ${net.faultDuplicate} delay +${net.faultDelayExtraUs}us`,
      };
    };
    const action = actionOf(fault);
    switch (action.kind) {
      case 'partition': {
        const resolved = this.resolveSides(action.sides, rng);
        return cut(linksBetweenSides(resolved), resolved.map((s) => `{${s.join(',')}}`).join(' | '));
      }
      case 'isolate': {
        if (isPlaceTarget(targetOf(action.target))) {
          // A place is cut off as a whole: its machines still talk to each other.
          const inside = this.reach(action.target, rng);
          const outside = all.filter((m) => !inside.includes(m));
          return cut(linksBetweenSides([inside, outside]), `${action.target} {${inside.join(',')}} cut off from the rest`);
        }
        const machines = one(action.target);
        const links = machines.flatMap((m) => isolateLinks(m, all));
        return cut(links, `${machines.join(',')} cut off from the rest`);
      }
      case 'oneway': {
        const [from, to] = this.resolveSides([action.from, action.to], rng) as [string[], string[]];
        return cut(oneWayLinks(from, to), `{${from.join(',')}} -/-> {${to.join(',')}}`);
      }
      case 'bridge': {
        const [a, b] = action.sides;
        return cut(bridgeLinks(a, b), `{${a.join(',')}} | {${b.join(',')}} bridged by ${action.via}`);
      }
      case 'heal':
        net.heal('all');
        return { detail: 'all links healed' };
      case 'crash': {
        const machines = one(action.target);
        for (const m of machines) world.machine(m).crash();
        return { undo: () => machines.forEach((m) => world.machine(m).restart()), detail: machines.join(',') };
      }
      case 'restart': {
        const machines = action.target === 'all' ? all : one(action.target);
        for (const m of machines) world.machine(m).restart();
        return { detail: machines.join(',') };
      }
      case 'pause': {
        const machines = one(action.target);
        for (const m of machines) world.machine(m).pause();
        return { undo: () => machines.forEach((m) => world.machine(m).resume()), detail: machines.join(',') };
      }
      case 'resume': {
        const machines = action.target === 'all' ? all : one(action.target);
        for (const m of machines) world.machine(m).resume();
        return { detail: machines.join(',') };
      }
      case 'skew': {
        const machines = one(action.target);
        const { offsetUs, driftPpm } = action;
        for (const m of machines) world.machine(m).skew(offsetUs, driftPpm);
        return {
          undo: () => machines.forEach((m) => world.machine(m).skew(-offsetUs, 0)),
          detail: `${machines.join(',')} offset ${offsetUs}us drift ${driftPpm}ppm`,
        };
      }
      case 'drop':
        return rates(action.probability, net.faultDuplicate, net.faultDelayExtraUs);
      case 'duplicate':
        return rates(net.faultDrop, action.probability, net.faultDelayExtraUs);
      case 'garble': {
        const [before, beforeAim] = [net.faultGarble, net.faultGarbleAim];
        const aim = action.messages === null ? null : garbleAim(action.messages);
        net.setGarble(action.probability, aim);
        const what = aim === null ? '' : ` of ${aim.classes.join(', ')} messages`;
        return { undo: () => net.setGarble(before, beforeAim), detail: `garble ${action.probability}${what}` };
      }
      case 'delay': {
        if (action.links === null) return rates(net.faultDrop, net.faultDuplicate, action.extraUs);
        const spec = action.links;
        const [a, b] = 'between' in spec ? [this.reach(spec.between[0], rng), this.reach(spec.between[1], rng)] : [this.reach(spec.around, rng), []];
        const other = 'between' in spec ? b : all.filter((m) => !a.includes(m));
        const links = linksBetweenSides([a, other]).filter(([x, y]) => x !== y);
        net.delayLinks(links, action.extraUs);
        const what = 'between' in spec ? `${spec.between[0]} <-> ${spec.between[1]}` : `around ${spec.around}`;
        return { undo: () => net.delayLinks(links, 0), detail: `${links.length} links ${what} +${action.extraUs}us` };
      }
      case 'reorder': {
        const before = net.faultReorder;
        net.faultReorder = action.on;
        return { undo: () => (net.faultReorder = before), detail: `reorder ${action.on}` };
      }
      case 'clog': {
        const untilUs = world.nowUs() + (fault.for ?? 1_000_000);
        const pairs: [string, string][] = [];
        const links = action.links;
        if ('around' in links) {
          if (isPlaceTarget(targetOf(links.around))) {
            // Around a place: the links that leave it, both ways (inside it, traffic flows).
            const inside = this.reach(links.around, rng);
            for (const m of inside) for (const o of all) if (!inside.includes(o)) pairs.push([m, o], [o, m]);
          } else {
            for (const m of one(links.around)) for (const o of all) if (o !== m) pairs.push([m, o], [o, m]);
          }
        } else {
          for (const a of this.reach(links.from, rng)) for (const b of this.reach(links.to, rng)) if (a !== b) pairs.push([a, b]);
        }
        for (const [a, b] of pairs) net.clog(a, b, untilUs);
        return { detail: `${pairs.length} links clogged until ${untilUs}us` };
      }
      case 'slowDisk': {
        const machines = one(action.target);
        const factor = action.factor;
        for (const m of machines) world.slowDisk(m, factor);
        return {
          undo: () => machines.forEach((m) => world.slowDisk(m, 1)),
          detail: `${machines.join(',')} fsync x${factor}`,
        };
      }
      case 'spike':
      case 'transfer':
      case 'join':
      case 'leave':
      case 'replace':
        // Actions on the system under test: the engine knows what they mean, if anything. A
        // transfer to `involved` or `peer` goes to the machine it names now.
        if (action.kind === 'transfer' && action.to !== null && isEventTarget(targetOf(action.to))) {
          const to = this.resolve(action.to, rng)[0];
          if (to === undefined) return { detail: `transfer of shard ${action.shard}: no ${action.to} machine` };
          return this.engine.applyEngineFault?.({ ...action, to }, rng) ?? { detail: `${action.kind} has no effect in this kind of run` };
        }
        return this.engine.applyEngineFault?.(action, rng) ?? { detail: `${action.kind} has no effect in this kind of run` };
      default:
        return assertNever(action, 'fault action');
    }
  }
}

/** Resolves targets on each side; `rest` takes every server named on no other side. */
export function resolveSidesWith(
  sides: readonly (readonly string[])[],
  resolve: (target: string) => string[],
  servers: readonly string[],
): string[][] {
  const resolved = sides.map((side) => side.flatMap((m) => (m === 'rest' ? [] : resolve(m))));
  const named = new Set(resolved.flat());
  return sides.map((side, i) => {
    const members = new Set(resolved[i]);
    if (side.includes('rest')) for (const s of servers) if (!named.has(s)) members.add(s);
    return [...members];
  });
}
