// RealMachine: one OS process's machine. It assembles the real clock and timers, the TCP
// transport, the file disk, named random streams and the trace file into the MachineContext a
// process sees (src/sim/machine.ts, "the only door"), boots the process with a BootFn, and hands
// it messages, timer firings and disk completions the way a simulated Machine does:
//
//   - process code runs only while the machine is up: after close() or crash() nothing more
//     reaches the process (no delivery, no timer, no onDurable), as a crash drops them in the
//     simulator; a delivery before boot is dropped, as for a machine without a process;
//   - `rng(name)` is the stream `machine/<id>/<name>` of RandomStreams(seed): the same draws a
//     simulated machine of that id gets from the same seed;
//   - `emit` stamps `t` with the true time of this runtime (RealClock.trueUs), as the simulator
//     stamps its true time, and writes the event to the trace file; with `traceMessages` the
//     transport's sends, deliveries and filter drops are traced as msg.send / msg.deliver /
//     msg.drop, whose `id` is the sender's message number (unique per `from`, not per run).
//
// Shut-down order in close(): stop process code, stop accepting and close connections (with a
// short grace to send what they hold), flush and fsync the disk and close it, flush the trace.
import type { BootFn, MachineContext, Process } from '../sim/machine.js';
import { RandomStreams } from '../sim/random.js';
import type { TraceEvent } from '../trace/events.js';
import { RealClock, RealTimers } from './clock.js';
import { FileDisk, type DiskRecovery, type FileDiskOptions } from './disk.js';
import { TcpTransport, type PeerAddress, type TransportCounters, type TransportDropReason, type TransportLimits } from './transport.js';
import { TraceFile, type TraceFileOptions } from './trace.js';

export interface RealMachineOptions {
  id: string;
  /** Run seed: the process's random streams are those of a simulated machine with this id. */
  seed: number;
  boot: BootFn;
  dataDir: string;
  /** Where to listen (port 0: any free port); null for a machine that only dials (a client). */
  listen: PeerAddress | null;
  /** The machines this one dials, by id. */
  peers: Readonly<Record<string, PeerAddress>>;
  /** This machine's JSON Lines trace (null: none). */
  tracePath: string | null;
  /** Trace msg.send / msg.deliver / msg.drop too (default true, as a simulated run does). */
  traceMessages?: boolean;
  disk?: Partial<Omit<FileDiskOptions, 'runCallback'>>;
  transport?: Partial<TransportLimits>;
  trace?: Partial<TraceFileOptions>;
  /** Operational log lines (default: stderr). */
  log?: (line: string) => void;
  /** Every event after `t` is set (metrics, tests). */
  onEvent?: (event: TraceEvent) => void;
  /** True time 0 on the wall clock (RealClock): give every process of a cluster the same one. */
  originWallUs?: number;
  /** The clock to use instead of a new one (tests). */
  clock?: RealClock;
}

export type RealMachineState = 'up' | 'closing' | 'closed' | 'crashed';

export interface RealMachineStats {
  transport: TransportCounters;
  disk: FileDisk['stats'];
  timersActive: number;
  traceLines: number;
}

/** What a machine needs before its process boots (built by start()). */
interface Parts {
  clock: RealClock;
  disk: FileDisk;
  recovery: DiskRecovery;
  trace: TraceFile | null;
}

export class RealMachine {
  state: RealMachineState = 'up';
  process: Process | undefined;
  readonly id: string;
  readonly clock: RealClock;
  readonly timers: RealTimers;
  readonly disk: FileDisk;
  /** What the disk found at start-up (torn tail, files, keys). */
  readonly recovery: DiskRecovery;
  readonly transport: TcpTransport;
  readonly trace: TraceFile | null;
  readonly ctx: MachineContext;
  private readonly random: RandomStreams;
  private closing: Promise<void> | null = null;

  /**
   * Opens the disk (recovering it), creates the transport, boots the process, then listens.
   * Throws the disk's CorruptFileError / UserError when the data directory cannot be used.
   */
  static async start(options: RealMachineOptions): Promise<RealMachine> {
    const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
    const clock = options.clock ?? new RealClock(options.originWallUs === undefined ? {} : { originWallUs: options.originWallUs });
    let machine: RealMachine | undefined;
    const { disk, recovery } = FileDisk.open(options.dataDir, {
      ...options.disk,
      runCallback: (fn) => machine?.runProcess(fn),
    });
    if (recovery.tornTail !== null) {
      const t = recovery.tornTail;
      log(`${options.id}: ${t.file}: cut a torn tail of ${t.droppedBytes} bytes at byte ${t.offsetBytes} (${t.reason}); it was never acknowledged`);
    }
    let trace: TraceFile | null = null;
    try {
      trace = options.tracePath === null ? null : new TraceFile(options.tracePath, options.trace);
      machine = new RealMachine(options, { clock, disk, recovery, trace }, log);
    } catch (err) {
      trace?.close();
      await disk.close();
      throw err;
    }
    try {
      machine.process = options.boot(machine.ctx);
    } catch (err) {
      await machine.close();
      throw err;
    }
    if (options.listen !== null) {
      try {
        await machine.transport.listen();
      } catch (err) {
        await machine.close();
        throw err;
      }
    }
    return machine;
  }

  private constructor(
    private readonly options: RealMachineOptions,
    parts: Parts,
    log: (line: string) => void,
  ) {
    this.id = options.id;
    this.clock = parts.clock;
    this.disk = parts.disk;
    this.recovery = parts.recovery;
    this.trace = parts.trace;
    this.timers = new RealTimers(this.clock);
    this.random = new RandomStreams(options.seed);
    const traceMessages = options.traceMessages ?? true;
    this.transport = TcpTransport.create({
      id: options.id,
      listen: options.listen,
      peers: options.peers,
      deliver: (from, payload) => this.deliver(from, payload),
      log,
      ...(options.transport !== undefined && { limits: options.transport }),
      ...(traceMessages && {
        observer: {
          sent: (id, to, label) => this.emit({ t: 0, type: 'msg.send', id, from: this.id, to, label }),
          delivered: (id, from, label) => this.emit({ t: 0, type: 'msg.deliver', id, from, to: this.id, label }),
          dropped: (id, from, to, label, reason) => this.traceDrop(id, from, to, label, reason),
        },
      }),
    });
    const machine = this;
    this.ctx = {
      id: options.id,
      localNowUs: () => machine.clock.localUs(),
      setTimer: (delayLocalUs, fn) => machine.timers.setTimer(delayLocalUs, () => machine.runProcess(fn)),
      cancelTimer: (timerId) => machine.timers.cancelTimer(timerId),
      send: (to, payload, label) => {
        if (machine.state !== 'up') return; // a stopped process sends nothing
        machine.transport.send(to, payload, label);
      },
      disk: this.disk,
      rng: (name) => machine.random.stream(`machine/${options.id}/${name}`),
      emit: (event) => machine.emit(event),
    };
  }

  /** The listening port (null for a machine that only dials). */
  get port(): number | null {
    return this.transport.port;
  }

  /** Runs process code now, or drops it once the process is gone. */
  runProcess(fn: () => void): void {
    if (this.state !== 'up') return;
    fn();
  }

  /** Hands a message to the process; false when there is none to take it. */
  deliver(from: string, payload: unknown): boolean {
    if (this.state !== 'up' || this.process === undefined) return false;
    this.process.onMessage(from, payload);
    return true;
  }

  emit(event: TraceEvent): void {
    event.t = this.clock.trueUs();
    this.options.onEvent?.(event);
    if (this.trace !== null && this.state !== 'closed' && this.state !== 'crashed') this.trace.write(event, this.clock.wallUs(event.t));
  }

  private traceDrop(id: number, from: string, to: string, label: string, reason: TransportDropReason): void {
    // The trace's DropReason has no word for a full queue or an over-long message: those are
    // counted by the transport only.
    if (reason === 'filter') this.emit({ t: 0, type: 'msg.drop', id, from, to, label, reason: 'partition' });
    else if (reason === 'no-route') this.emit({ t: 0, type: 'msg.drop', id, from, to, label, reason: 'unknown-machine' });
  }

  /** Jumps the local clock and sets its drift (a clock-skew fault), traced as in the simulator. */
  skew(skewUs: number, driftPpm: number): void {
    this.clock.adjust(skewUs, driftPpm);
    this.emit({ t: 0, type: 'clock.skew', machine: this.id, skewUs, driftPpm });
  }

  stats(): RealMachineStats {
    return { transport: { ...this.transport.counters }, disk: { ...this.disk.stats }, timersActive: this.timers.active, traceLines: this.trace?.lines ?? 0 };
  }

  /** Graceful shutdown; resolves once the disk is flushed and closed and the port is free. */
  close(): Promise<void> {
    if (this.closing !== null) return this.closing;
    this.closing = (async () => {
      this.state = 'closing';
      this.timers.cancelAll();
      await this.transport.close();
      await this.disk.close();
      this.trace?.close();
      this.state = 'closed';
    })();
    return this.closing;
  }

  /**
   * Stops as a killed process would (tests): nothing more runs, unsynced writes get no callback
   * (what reached the file stays), connections are cut. Resolves once the port is free.
   */
  crash(): Promise<void> {
    if (this.closing !== null) return this.closing;
    this.state = 'crashed';
    this.timers.cancelAll();
    this.disk.crash();
    this.trace?.close();
    this.closing = this.transport.abort();
    return this.closing;
  }
}
