// The fault host of a run against real processes: the harness's FaultScheduler applies a
// scenario's faults through this, exactly as it does through a simulated World.
//
//   time        the driver's RealClock (true µs since the run started) and RealTimers
//   streams     RandomStreams(seed): the same named streams a simulated run draws targets from
//   network     a model of the faults in force (cut links, drop/duplicate/delay rates, reorder,
//               clogs) pushed as NetRules to every server's control channel (POST /control) and
//               set directly as the transport filter of the driver's own client machines
//   machines    crash = SIGKILL, restart = a new process on the same data directory,
//               pause/resume = SIGSTOP/SIGCONT, skew = the server's clock adjusted over control
//   slowDisk    fsync delay = (factor − 1) × the scenario's mean fsync time (default 1 ms)
//
// Pushes to one server are queued in order (a promise chain), bounded in time, and their
// failures are expected while a server is crashed or paused: a server that comes back (restart,
// resume) is sent the whole current state again. A restarted process starts with an unskewed
// clock (its skew was a property of the dead process), and with the disk delay in force.
// Every change is traced in the driver's trace with the simulator's event types (net.cut,
// net.heal, net.rates, net.clog, machine.*, disk.slow), so replay and report draw a real run's
// faults as they draw a simulated one's.
import { AssertionError } from '../base/assert.js';
import type { FaultHost, FaultMachine, FaultNetwork } from '../harness/faults.js';
import { RealClock, RealTimers } from '../real/clock.js';
import { RandomStreams, type Rng } from '../sim/random.js';
import type { TraceEvent } from '../trace/events.js';
import { filterOf, NO_NET_RULES, noNetRules, sendControl, type ControlRequest, type NetRules } from '../node/control.js';
import type { RealMachine } from '../real/context.js';
import type { LiveServers } from './servers.js';

/** Extra random delay per message while `reorder` is on (messages overtake each other). */
export const REORDER_WINDOW_MS = 5;
/** fsync time the slow-disk factor multiplies when the scenario names none. */
const DEFAULT_FSYNC_MEAN_US = 1_000;
/** Bound on one control request. */
const CONTROL_TIMEOUT_MS = 1_500;

export interface LiveHostOptions {
  seed: number;
  clock: RealClock;
  servers: LiveServers;
  /** The driver's client machines (their filters are set here, not over HTTP). */
  clients: () => readonly RealMachine[];
  emit: (event: TraceEvent) => void;
  fsyncMeanUs?: number;
  log: (line: string) => void;
}

class LiveNetwork implements FaultNetwork {
  private readonly cut = new Set<string>();
  private readonly clogs = new Map<string, { from: string; to: string; untilUs: number }>();
  faultDrop = 0;
  faultDuplicate = 0;
  faultDelayExtraUs = 0;
  private reorder = false;

  constructor(
    private readonly host: LiveHost,
    private readonly emit: (event: TraceEvent) => void,
  ) {}

  get faultReorder(): boolean {
    return this.reorder;
  }

  set faultReorder(on: boolean) {
    this.reorder = on;
    this.host.pushNet();
  }

  cutAll(links: [string, string][], description: string): void {
    for (const [a, b] of links) this.cut.add(`${a}>${b}`);
    this.emit({ t: 0, type: 'net.cut', links, description });
    this.host.pushNet();
  }

  heal(links: [string, string][] | 'all'): void {
    if (links === 'all') {
      this.cut.clear();
      this.clogs.clear();
    } else for (const [a, b] of links) this.cut.delete(`${a}>${b}`);
    this.emit({ t: 0, type: 'net.heal', links });
    this.host.pushNet();
  }

  delayLinks(): void {
    // Refused before a real run starts (refuseForReal): the servers' rules delay every link alike.
    throw new AssertionError('a delay on some links only is not available in real runs');
  }

  clog(from: string, to: string, untilUs: number): void {
    const key = `${from}>${to}`;
    const before = this.clogs.get(key)?.untilUs ?? 0;
    this.clogs.set(key, { from, to, untilUs: Math.max(before, untilUs) });
    this.emit({ t: 0, type: 'net.clog', from, to, untilUs });
    this.host.pushNet();
  }

  /** Never set: a real run refuses the garble fault before it starts (run.ts). */
  readonly faultGarble = 0;
  readonly faultGarbleAim = null;

  setGarble(rate: number): void {
    throw new AssertionError(`garble ${rate}: real runs refuse the garble fault when they check the scenario`);
  }

  setFaultRates(drop: number, duplicate: number, delayExtraUs: number): void {
    this.faultDrop = drop;
    this.faultDuplicate = duplicate;
    this.faultDelayExtraUs = delayExtraUs;
    this.emit({ t: 0, type: 'net.rates', drop, duplicate, delayExtraUs });
    this.host.pushNet();
  }

  /** The rules in force, with clog ends on the host's wall clock. */
  rules(clock: RealClock): NetRules {
    const nowUs = clock.trueUs();
    return {
      blocked: [...this.cut].map((k) => k.split('>') as [string, string]),
      drop: this.faultDrop,
      duplicate: this.faultDuplicate,
      delayMs: this.faultDelayExtraUs / 1000,
      reorderMs: this.reorder ? REORDER_WINDOW_MS : 0,
      clogged: [...this.clogs.values()].filter((c) => c.untilUs > nowUs).map((c) => ({ from: c.from, to: c.to, untilWallMs: clock.wallUs(c.untilUs) / 1000 })),
    };
  }
}

export class LiveHost implements FaultHost {
  readonly network: LiveNetwork;
  readonly timers: RealTimers;
  private readonly random: RandomStreams;
  private readonly progress: (() => void)[] = [];
  /** Per server: the tail of its queue of control requests. */
  private readonly queue = new Map<string, Promise<void>>();
  /** fsync delay in force per server (ms). */
  private readonly diskDelayMs = new Map<string, number>();
  /** Control requests that failed while the server was up (reported at the end). */
  controlFailures = 0;
  private closed = false;

  constructor(private readonly options: LiveHostOptions) {
    this.timers = new RealTimers(options.clock);
    this.random = new RandomStreams(options.seed);
    this.network = new LiveNetwork(this, (e) => options.emit(e));
  }

  nowUs(): number {
    return this.options.clock.trueUs();
  }

  at(timeUs: number, fn: () => void): void {
    this.after(Math.max(0, timeUs - this.nowUs()), fn);
  }

  after(delayUs: number, fn: () => void): void {
    if (this.closed) return;
    this.timers.setTimer(delayUs, () => {
      if (!this.closed) fn();
    });
  }

  stream(name: string): Rng {
    return this.random.stream(name);
  }

  onProgress(fn: () => void): void {
    this.progress.push(fn);
  }

  /** The driver calls this when a `when` condition may have changed (a status poll, an op done). */
  progressed(): void {
    for (const fn of this.progress) fn();
  }

  emitFault(action: string, detail: string): void {
    this.options.emit({ t: 0, type: 'fault', action, detail });
  }

  machineIds(): string[] {
    return [...this.options.servers.ids, ...this.options.clients().map((c) => c.id)];
  }

  machine(id: string): FaultMachine {
    const servers = this.options.servers;
    const emit = this.options.emit;
    return {
      crash: () => {
        if (servers.state.get(id) === 'crashed') return;
        servers.kill(id);
        emit({ t: 0, type: 'machine.crash', machine: id });
      },
      restart: () => {
        if (servers.state.get(id) !== 'crashed') return;
        emit({ t: 0, type: 'machine.restart', machine: id });
        void servers.respawn(id).then(() => this.resend(id));
      },
      pause: () => {
        if (servers.state.get(id) !== 'up') return;
        servers.pause(id);
        emit({ t: 0, type: 'machine.pause', machine: id });
      },
      resume: () => {
        if (servers.state.get(id) !== 'paused') return;
        servers.resume(id);
        emit({ t: 0, type: 'machine.resume', machine: id, held: 0 });
        this.resend(id);
      },
      skew: (skewUs, driftPpm) => {
        // The server's own trace records the adjustment (RealMachine.skew emits clock.skew).
        this.send(id, { clock: { adjustUs: skewUs, driftPpm } });
      },
    };
  }

  slowDisk(id: string, factor: number): void {
    const meanUs = this.options.fsyncMeanUs ?? DEFAULT_FSYNC_MEAN_US;
    const delayMs = Math.max(0, Math.round(((factor - 1) * meanUs) / 1000));
    this.diskDelayMs.set(id, delayMs);
    this.options.emit({ t: 0, type: 'disk.slow', machine: id, factor });
    this.send(id, { disk: { fsyncDelayMs: delayMs } });
  }

  /** Sends the network rules in force to every server and sets them on the driver's clients. */
  pushNet(): void {
    const rules = this.network.rules(this.options.clock);
    const none = noNetRules(rules);
    for (const c of this.options.clients()) c.transport.filter = none ? null : filterOf(c.id, rules, Math.random, Date.now);
    for (const id of this.options.servers.ids) this.send(id, { net: none ? NO_NET_RULES : rules });
  }

  /** A server that came back gets the whole state in force (net and disk; its clock is new). */
  private resend(id: string): void {
    const rules = this.network.rules(this.options.clock);
    this.send(id, { net: noNetRules(rules) ? NO_NET_RULES : rules, disk: { fsyncDelayMs: this.diskDelayMs.get(id) ?? 0 } }, true);
  }

  private send(id: string, request: ControlRequest, afterRestart = false): void {
    const servers = this.options.servers;
    const port = servers.httpPortOf(id);
    const tail = this.queue.get(id) ?? Promise.resolve();
    const next = tail.then(async () => {
      if (this.closed || servers.state.get(id) !== 'up') return;
      // A restarted server needs a moment to listen: retry within a bound.
      const attempts = afterRestart ? 40 : 1;
      for (let i = 0; i < attempts; i++) {
        try {
          await sendControl(port, request, CONTROL_TIMEOUT_MS);
          return;
        } catch (err) {
          if (this.closed || servers.state.get(id) !== 'up') return;
          if (i === attempts - 1) {
            this.controlFailures++;
            this.options.log(`control ${id}: ${(err as Error).message}`);
          } else await new Promise((r) => setTimeout(r, 100));
        }
      }
    });
    this.queue.set(id, next);
  }

  /** Waits for every queued control request (bounded by their own timeouts). */
  async drain(): Promise<void> {
    await Promise.all([...this.queue.values()]);
  }

  close(): void {
    this.closed = true;
    this.timers.cancelAll();
  }
}
