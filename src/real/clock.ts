// The real runtime's clock and timers.
//
// True time is `process.hrtime.bigint()` (monotonic, never jumps) in whole microseconds since an
// origin: by default the moment the clock was made; given `originWallUs` (a wall-clock instant,
// e.g. when a cluster was started), true time starts at (now − origin) on the wall clock and runs
// on hrtime from there, so the processes of one host and the incarnations of one process share
// one time line (their traces merge, and a restarted process's `t` continues). Local time — what a process reads through `localNowUs()` — is true time through
// the simulator's own `LocalClock`, so a skew (a jump, µs) and a drift (a rate error, ppm) set at
// run time by `adjust` mean exactly what they mean in a simulation (clock-skew faults).
//
// Timers take a delay in *local* microseconds, as `MachineContext.setTimer` does. As in the
// simulator, the delay is converted to true time through the drift in force when the timer is
// set, and later adjustments do not move it. Node's timers have millisecond granularity and may
// wake a little early (libuv measures from the start of the loop iteration), so the Node timer
// is armed for the delay rounded up to a millisecond and a wake before the true due time just
// re-arms: a timer never fires early. A delay that is already due runs on a later turn
// (setImmediate), never inside setTimer.
import { LocalClock } from '../sim/clock.js';
import { EventQueue } from '../sim/queue.js';
import { assert } from '../base/assert.js';

/** Node clamps longer timeouts to 1 ms; longer timers are re-armed in steps of this. */
const NODE_TIMEOUT_MAX_MS = 2_147_483_647;

export interface RealClockOptions {
  /** Wall-clock µs since the epoch of true time 0 (default: now). */
  originWallUs?: number;
  /** The monotonic time source in ns (tests pass a fake one); it must never go backwards. */
  nowNs?: () => bigint;
}

/** Carries a process's wall-minus-monotonic offset (µs) to the processes it starts. */
export const MONO_WALL_ENV = 'KVSIM_MONO_WALL_US';

/**
 * The host's wall clock minus its monotonic clock, in µs. process.hrtime reads Linux's
 * CLOCK_MONOTONIC, one clock for every process of the host, so processes that share this offset
 * agree on wall time exactly. A process started by kvsim is handed its parent's offset
 * (MONO_WALL_ENV, see local-cluster.ts spawnServer); otherwise it is the process's own: its
 * high-resolution time origin minus the monotonic time then — a constant per process, right to
 * within what the start-up measured, which under load can be off by several milliseconds (so two
 * processes left to measure it themselves can disagree by that much).
 */
export function monoWallOffsetUs(): number {
  const inherited = process.env[MONO_WALL_ENV];
  if (inherited !== undefined && /^-?\d+$/.test(inherited)) return Number(inherited);
  return Math.round((performance.timeOrigin + performance.now()) * 1000) - Number(process.hrtime.bigint() / 1000n);
}

export class RealClock {
  private readonly startNs: bigint;
  /** True time when the clock was made (0 unless an earlier origin was given). */
  private readonly startUs: number;
  /** The wall clock (µs since the epoch) at true time 0, to line up traces of several processes. */
  readonly originWallUs: number;
  private readonly local = new LocalClock();
  private readonly nowNs: () => bigint;

  constructor(options: RealClockOptions = {}) {
    this.nowNs = options.nowNs ?? (() => process.hrtime.bigint());
    this.startNs = this.nowNs();
    // The wall clock as the host's monotonic clock plus one offset (monoWallOffsetUs): processes
    // handed the same offset stamp one instant alike, to the µs. A fake time source (tests) is
    // not the host's clock: its wall time is the process's own estimate.
    const wallNowUs =
      options.nowNs === undefined ? Number(this.startNs / 1000n) + monoWallOffsetUs() : Math.round((performance.timeOrigin + performance.now()) * 1000);
    this.originWallUs = options.originWallUs ?? wallNowUs;
    assert(Number.isSafeInteger(this.originWallUs), 'the clock origin is whole microseconds');
    // An origin "in the future" (the wall clock was stepped back) starts true time at 0.
    this.startUs = Math.max(0, wallNowUs - this.originWallUs);
  }

  /** Microseconds since the origin, unskewed, monotonic. */
  trueUs(): number {
    return this.startUs + Number((this.nowNs() - this.startNs) / 1000n);
  }

  /** This machine's clock: true time with the skew and drift applied. */
  localUs(): number {
    return this.local.localUs(this.trueUs());
  }

  /** The wall-clock instant (µs since the epoch) of a true time, as well as this host knows it. */
  wallUs(trueUs: number): number {
    return this.originWallUs + trueUs;
  }

  /** Jumps the local clock by `skewUs` and sets its rate error from now on (as sim Machine.skew). */
  adjust(skewUs: number, driftPpm: number): void {
    assert(Number.isFinite(skewUs) && Number.isFinite(driftPpm), 'clock skew and drift are finite');
    this.local.adjust(this.trueUs(), skewUs, driftPpm);
  }

  get driftPpm(): number {
    return this.local.drift;
  }

  /** Local minus true time, now. */
  offsetUs(): number {
    return this.local.offsetUs(this.trueUs());
  }

  /** True duration until `localDelayUs` has passed on the local clock. */
  trueDelayUs(localDelayUs: number): number {
    return this.local.trueDelayUs(localDelayUs);
  }
}

/** Bound on timers run by one wake-up; the rest run on the next turn, so I/O is never starved. */
const FIRES_PER_WAKE_MAX = 10_000;

/**
 * Timers on a RealClock, with number ids as MachineContext hands out. One Node timer is armed
 * at a time, for the earliest due time in a heap ordered by (due, insertion) — the simulator's
 * own EventQueue — so timers fire in due order and equal due times in the order they were set,
 * whatever order Node's timer and immediate phases would have picked.
 */
export class RealTimers {
  private queue = new EventQueue<number>();
  /** Live timers by id; a cancelled id is only removed here and skipped when its turn comes. */
  private readonly live = new Map<number, () => void>();
  private nextId = 1;
  private armedAtUs = Infinity;
  private handle: NodeJS.Timeout | NodeJS.Immediate | null = null;
  private immediate = false;

  constructor(private readonly clock: RealClock) {}

  /** Runs `fn` once `delayLocalUs` has passed on the local clock; returns the timer's id. */
  setTimer(delayLocalUs: number, fn: () => void): number {
    assert(delayLocalUs >= 0 && Number.isFinite(delayLocalUs), () => `timer delay ${delayLocalUs} must be finite and >= 0`);
    const id = this.nextId++;
    this.live.set(id, fn);
    this.queue.push(this.clock.trueUs() + this.clock.trueDelayUs(delayLocalUs), id);
    this.arm();
    return id;
  }

  /** Cancels a timer; unknown or already fired ids are ignored (as in the simulator). */
  cancelTimer(id: number): void {
    this.live.delete(id);
  }

  /** Cancels every timer (the process is going away). */
  cancelAll(): void {
    this.live.clear();
    this.queue = new EventQueue<number>();
    this.disarm();
  }

  get active(): number {
    return this.live.size;
  }

  /** Keeps one Node timer armed for the earliest due time (a cancelled one only costs a wake). */
  private arm(): void {
    const dueUs = this.queue.peekTimeUs();
    if (dueUs === this.armedAtUs) return;
    this.disarm();
    if (dueUs === Infinity) return;
    this.armedAtUs = dueUs;
    const remainingUs = dueUs - this.clock.trueUs();
    if (remainingUs <= 0) {
      this.immediate = true;
      this.handle = setImmediate(() => this.wake());
    } else {
      this.immediate = false;
      this.handle = setTimeout(() => this.wake(), Math.min(NODE_TIMEOUT_MAX_MS, Math.ceil(remainingUs / 1000)));
    }
  }

  private disarm(): void {
    if (this.handle !== null) {
      if (this.immediate) clearImmediate(this.handle as NodeJS.Immediate);
      else clearTimeout(this.handle as NodeJS.Timeout);
    }
    this.handle = null;
    this.armedAtUs = Infinity;
  }

  /** Runs every timer due by now, in (due, insertion) order; one that woke early just re-arms. */
  private wake(): void {
    this.handle = null;
    this.armedAtUs = Infinity;
    const nowUs = this.clock.trueUs();
    for (let fired = 0; fired < FIRES_PER_WAKE_MAX && this.queue.peekTimeUs() <= nowUs; fired++) {
      const id = this.queue.pop()!;
      const fn = this.live.get(id);
      if (fn === undefined) continue; // cancelled
      this.live.delete(id);
      try {
        fn();
      } catch (err) {
        this.arm(); // the process is failing; leave the rest armed for whoever catches it
        throw err;
      }
    }
    this.arm();
  }
}
