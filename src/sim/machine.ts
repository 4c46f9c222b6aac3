// A simulated machine: it is up, crashed or paused, has a local clock and a disk, and runs one
// process at a time. The process is built by a boot factory when the machine starts and again
// after every restart, so everything it keeps in memory is lost in a crash — only the disk's
// durable writes survive. Timers belong to one incarnation: a crash silently drops them.
// A paused machine (a long GC pause, a stopped VM) holds its deliveries, timer firings and disk
// completions and processes them, late and in order, when it resumes.
import type { TraceEvent } from '../trace/events.js';
import { LocalClock } from './clock.js';
import { Disk, type DiskModel, type DiskView } from './disk.js';
import type { Rng } from './random.js';
import type { MachineHost, MachineState } from './hosts.js';
import { AssertionError } from '../base/assert.js';

export interface Process {
  onMessage(from: string, payload: unknown): void;
}

/** Everything a process may touch: the only door between it and the world. */
export interface MachineContext {
  readonly id: string;
  localNowUs(): number;
  setTimer(delayLocalUs: number, fn: () => void): number;
  cancelTimer(id: number): void;
  send(to: string, payload: unknown, label: string): void;
  readonly disk: DiskView;
  rng(name: string): Rng;
  emit(event: TraceEvent): void;
}

export type BootFn = (ctx: MachineContext) => Process;
export type { MachineState } from './hosts.js';

/** Bound on work held while paused; beyond it the oldest items are dropped like an overflowing buffer. */
const HELD_MAX_ITEMS = 1_000_000;

export class Machine {
  state: MachineState = 'up';
  /** Gone for good (replaced): it stays down whatever restarts it is asked for. */
  retired = false;
  incarnation = 0;
  process: Process | undefined;
  readonly clock = new LocalClock();
  readonly disk: Disk;
  private held: (() => void)[] = [];
  private activeTimers = new Set<number>();
  private nextTimerId = 1;
  readonly ctx: MachineContext;

  constructor(
    private readonly world: MachineHost,
    readonly id: string,
    private readonly boot: BootFn,
    diskModel: DiskModel,
  ) {
    this.disk = new Disk(diskModel, world.stream(`disk/${id}`), {
      nowUs: () => world.nowUs(),
      scheduleAt: (timeUs, complete) => world.at(timeUs, complete),
      runProcess: (fn) => this.runProcess(fn, this.incarnation),
    });
    const machine = this;
    this.ctx = {
      id,
      localNowUs: () => machine.clock.localUs(world.nowUs()),
      setTimer: (delayLocalUs, fn) => machine.setTimer(delayLocalUs, fn),
      cancelTimer: (timerId) => {
        machine.activeTimers.delete(timerId);
      },
      send: (to, payload, label) => {
        if (machine.state === 'crashed') return; // a dead process sends nothing
        world.send(id, to, payload, label);
      },
      disk: this.disk,
      rng: (name) => world.stream(`machine/${id}/${name}`),
      emit: (event) => {
        event.t = world.nowUs();
        world.trace(event);
      },
    };
  }

  start(): void {
    this.process = this.boot(this.ctx);
  }

  private setTimer(delayLocalUs: number, fn: () => void): number {
    if (!(delayLocalUs >= 0)) throw new AssertionError(`timer delay ${delayLocalUs} must be >= 0`);
    const timerId = this.nextTimerId++;
    this.activeTimers.add(timerId);
    const incarnation = this.incarnation;
    this.world.at(this.world.nowUs() + this.clock.trueDelayUs(delayLocalUs), () => {
      if (incarnation !== this.incarnation || !this.activeTimers.has(timerId)) return;
      this.runProcess(() => {
        if (!this.activeTimers.delete(timerId)) return; // cancelled while held
        fn();
      }, incarnation);
    });
    return timerId;
  }

  /** Runs process code now, holds it while paused, drops it if the incarnation is gone. */
  runProcess(fn: () => void, incarnation: number): void {
    if (incarnation !== this.incarnation || this.state === 'crashed') return;
    if (this.state === 'paused') {
      if (this.held.length >= HELD_MAX_ITEMS) this.held.shift();
      this.held.push(fn);
      return;
    }
    fn();
  }

  deliver(from: string, payload: unknown): boolean {
    if (this.state === 'crashed' || this.process === undefined) return false;
    const process = this.process;
    // Fast path: a running machine handles the message now, without allocating a closure.
    if (this.state === 'up') process.onMessage(from, payload);
    else this.runProcess(() => process.onMessage(from, payload), this.incarnation);
    return true;
  }

  crash(): void {
    if (this.state === 'crashed') return;
    this.state = 'crashed';
    this.incarnation++;
    this.process = undefined;
    this.held = [];
    this.activeTimers.clear();
    const lost = this.disk.crash();
    this.world.trace({ t: this.world.nowUs(), type: 'machine.crash', machine: this.id });
    if (lost > 0) this.world.trace({ t: this.world.nowUs(), type: 'disk.lost', machine: this.id, writes: lost });
  }

  restart(): void {
    if (this.state !== 'crashed' || this.retired) return;
    this.state = 'up';
    this.world.trace({ t: this.world.nowUs(), type: 'machine.restart', machine: this.id });
    this.start();
  }

  pause(): void {
    if (this.state !== 'up') return;
    this.state = 'paused';
    this.world.trace({ t: this.world.nowUs(), type: 'machine.pause', machine: this.id });
  }

  resume(): void {
    if (this.state !== 'paused') return;
    this.state = 'up';
    const held = this.held;
    this.held = [];
    this.world.trace({ t: this.world.nowUs(), type: 'machine.resume', machine: this.id, held: held.length });
    for (const fn of held) {
      if (this.state !== 'up') break; // the process crashed or paused again while catching up
      fn();
    }
  }

  /** Crash and never come back (a failed machine that is replaced, not repaired). */
  retire(): void {
    this.crash();
    this.retired = true;
  }

  skew(skewUs: number, driftPpm: number): void {
    this.clock.adjust(this.world.nowUs(), skewUs, driftPpm);
    this.world.trace({ t: this.world.nowUs(), type: 'clock.skew', machine: this.id, skewUs, driftPpm });
  }
}
