// The simulated world: one virtual clock, one event queue, the machines, the network, the
// random streams and the tracer of a run. Nothing else in a run may observe time or chance.
//
// `run(untilUs)` pops events in (time, insertion) order and runs them; each event is a closure
// scheduled by the world, a machine, the network or a disk. Virtual time only moves forward.
import type { SimEvent, TraceEvent } from '../trace/events.js';
import { Tracer } from '../trace/tracer.js';
import { DEFAULT_DISK, type DiskModel } from './disk.js';
import { Machine, type BootFn } from './machine.js';
import { DEFAULT_LINK, Network, type LinkModel } from './network.js';
import type { MachineHost } from './hosts.js';
import { EventQueue } from './queue.js';
import { RandomStreams } from './random.js';
import { AssertionError } from '../base/assert.js';

export interface WorldOptions {
  seed: number;
  tracer?: Tracer;
  link?: Partial<LinkModel>;
  /** Per-link latency over `link` (a topology's tiers); absent: every link has the same model. */
  linkLatency?: (from: string, to: string) => Partial<LinkModel>;
  disk?: Partial<DiskModel>;
}

/** Bound on events one run may execute; a run beyond it is a runaway loop, reported as a bug. */
export const EVENTS_MAX = 2_000_000_000;
/**
 * Bound on the event rate, checked every RATE_CHECK_EVENTS events: a store under heavy load
 * makes tens of thousands of events per simulated second, so millions mean a message storm
 * (e.g. two replicas bouncing rejections while the network duplicates them) — a found bug.
 */
export const EVENTS_PER_SIM_SECOND_MAX = 5_000_000;
const RATE_CHECK_EVENTS = 1 << 18;

export class World {
  nowUs = 0;
  readonly random: RandomStreams;
  readonly tracer: Tracer;
  readonly network: Network;
  private readonly queue = new EventQueue<() => void>();
  private readonly machines = new Map<string, Machine>();
  private readonly diskModel: DiskModel;
  /** What every machine sees of the world. */
  private readonly machineHost: MachineHost;
  eventsRun = 0;

  constructor(options: WorldOptions) {
    this.random = new RandomStreams(options.seed);
    this.tracer = options.tracer ?? new Tracer();
    const trace = (event: TraceEvent): void => this.tracer.emit(event);
    const base = {
      nowUs: () => this.nowUs,
      at: (timeUs: number, fn: () => void) => this.at(timeUs, fn),
      stream: (name: string) => this.random.stream(name),
      trace,
    };
    this.network = new Network({ ...base, receiver: (id) => this.machines.get(id), traceMessage: (event) => this.tracer.emitMessage(event) }, { ...DEFAULT_LINK, ...options.link }, options.linkLatency);
    this.machineHost = { ...base, send: (from, to, payload, label) => this.network.send(from, to, payload, label) };
    this.diskModel = { ...DEFAULT_DISK, ...options.disk };
  }

  /** Schedules `fn` at an absolute virtual time (never in the past). */
  at(timeUs: number, fn: () => void): void {
    if (!(timeUs >= this.nowUs)) throw new AssertionError(`event at ${timeUs}us is in the past (now ${this.nowUs}us)`);
    if (!Number.isInteger(timeUs)) throw new AssertionError(`event time ${timeUs} must be integer microseconds`);
    this.queue.push(timeUs, fn);
  }

  /** Schedules `fn` after a delay in true (not machine-local) microseconds. */
  after(delayUs: number, fn: () => void): void {
    this.at(this.nowUs + delayUs, fn);
  }

  addMachine(id: string, boot: BootFn, options: { start?: boolean } = {}): Machine {
    if (this.machines.has(id)) throw new AssertionError(`machine ${id} already exists`);
    const machine = new Machine(this.machineHost, id, boot, this.diskModel);
    this.machines.set(id, machine);
    if (options.start !== false) machine.start();
    return machine;
  }

  hasMachine(id: string): boolean {
    return this.machines.has(id);
  }

  machine(id: string): Machine {
    const m = this.machines.get(id);
    if (m === undefined) throw new AssertionError(`no machine ${id}`);
    return m;
  }

  machineOrUndefined(id: string): Machine | undefined {
    return this.machines.get(id);
  }

  machineIds(): string[] {
    return [...this.machines.keys()];
  }

  emitSim(event: SimEvent): void {
    this.tracer.emit(event);
  }

  emit(event: TraceEvent): void {
    this.tracer.emit(event);
  }

  get pendingEvents(): number {
    return this.queue.size;
  }

  private checkEventRate(): void {
    if (this.eventsRun > EVENTS_MAX) throw new AssertionError(`more than ${EVENTS_MAX} events: runaway run`);
    // The rate over the last window, so a storm that starts late is caught as soon as it starts.
    const windowUs = Math.max(this.nowUs - this.rateWindowStartUs, 1);
    const perSimSecond = (RATE_CHECK_EVENTS * 1_000_000) / windowUs;
    if (perSimSecond > EVENTS_PER_SIM_SECOND_MAX) {
      throw new AssertionError(`runaway run: ${RATE_CHECK_EVENTS} events in ${windowUs}us of simulated time before ${this.nowUs}us (a message storm?)`);
    }
    this.rateWindowStartUs = this.nowUs;
  }

  private rateWindowStartUs = 0;

  /** Runs every event up to and including `untilUs`, then sets the clock to `untilUs`. */
  run(untilUs: number): void {
    this.runUntil(undefined, untilUs);
  }

  /**
   * Runs events up to `untilUs`, stopping early once `predicate` holds (checked after each
   * event); returns whether it held. Without a predicate, runs to `untilUs`.
   */
  runUntil(predicate: (() => boolean) | undefined, untilUs: number): boolean {
    const queue = this.queue;
    while (queue.peekTimeUs() <= untilUs) {
      const timeUs = queue.peekTimeUs();
      const fn = queue.pop()!;
      this.nowUs = timeUs;
      this.eventsRun++;
      if ((this.eventsRun & (RATE_CHECK_EVENTS - 1)) === 0) this.checkEventRate();
      fn();
      if (predicate !== undefined && predicate()) return true;
    }
    if (untilUs > this.nowUs && Number.isFinite(untilUs)) this.nowUs = untilUs;
    return predicate !== undefined && predicate();
  }
}
