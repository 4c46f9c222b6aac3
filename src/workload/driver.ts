// The load one client machine offers: when operations start, what they are.
//
// Open loop: arrivals are a Poisson process at the client's share of the total rate (times
// the spike factor in force); an arrival takes a free slot (a logical client with at most one
// operation pending, as histories require) or is shed when all slots are busy. Closed loop:
// `concurrency` slots, each starting its next operation as soon as the last one ends.
// Reads/writes, keys and read levels are drawn from this client's own random stream.
import type { ReadLevel } from '../history/op.js';
import type { Rng } from '../sim/random.js';
import { valueFor, type KeyDistribution } from './keys.js';

export interface WorkloadConfig {
  clients: number;
  mode: 'open' | 'closed';
  rateOpsPerSec: number;
  concurrency: number;
  readRatio: number;
  levels: [ReadLevel, number][];
  startUs: number;
  stopUs: number;
}

export interface OpIntent {
  op: 'put' | 'get';
  key: string;
  value?: string;
  level?: ReadLevel;
}

/** Shared, engine-owned state all drivers read: load spikes and the op id counter. */
export interface WorkloadShared {
  rateFactor: number;
  hotKey: string | null;
  nextOpId: number;
  shed: number;
}

/** Bound on slots (logical clients) one client machine may open in open-loop mode. */
export const SLOTS_MAX_PER_CLIENT = 256;

export interface DriverHost {
  trueNowUs(): number;
  setTimer(delayUs: number, fn: () => void): void;
  /** Runs an operation; calls `done` once it is over. */
  execute(opId: number, logicalClient: number, intent: OpIntent, done: () => void): void;
}

export class WorkloadDriver {
  private readonly busy: boolean[] = [];
  private writeSeq = 0;

  constructor(
    private readonly clientIndex: number,
    private readonly config: WorkloadConfig,
    private readonly keys: KeyDistribution,
    private readonly shared: WorkloadShared,
    private readonly rng: Rng,
    private readonly host: DriverHost,
  ) {}

  start(): void {
    const delay = Math.max(0, this.config.startUs - this.host.trueNowUs());
    if (this.config.mode === 'closed') {
      for (let slot = 0; slot < this.config.concurrency; slot++) {
        this.busy.push(true);
        // Stagger the first operations so clients do not move in lockstep.
        this.host.setTimer(delay + this.rng.int(0, 2_000), () => this.closedLoop(slot));
      }
    } else {
      this.host.setTimer(delay, () => this.arrival());
    }
  }

  private logicalClient(slot: number): number {
    return this.clientIndex * SLOTS_MAX_PER_CLIENT + slot;
  }

  private stopped(): boolean {
    return this.host.trueNowUs() >= this.config.stopUs;
  }

  private closedLoop(slot: number): void {
    if (this.stopped()) return;
    this.issue(slot, () => this.host.setTimer(this.rng.int(0, 1_000), () => this.closedLoop(slot)));
  }

  private arrival(): void {
    if (this.stopped()) return;
    let slot = this.busy.indexOf(false);
    if (slot < 0 && this.busy.length < SLOTS_MAX_PER_CLIENT) {
      slot = this.busy.length;
      this.busy.push(false);
    }
    if (slot < 0) this.shared.shed++;
    else {
      this.busy[slot] = true;
      this.issue(slot, () => (this.busy[slot] = false));
    }
    const perClientRate = (this.config.rateOpsPerSec * this.shared.rateFactor) / this.config.clients;
    const gapUs = Math.max(1, Math.round(this.rng.exponential(1_000_000 / perClientRate)));
    this.host.setTimer(gapUs, () => this.arrival());
  }

  private issue(slot: number, after: () => void): void {
    const intent = this.nextIntent();
    const opId = this.shared.nextOpId++;
    this.host.execute(opId, this.logicalClient(slot), intent, after);
  }

  nextIntent(): OpIntent {
    const rng = this.rng;
    const key = this.shared.hotKey !== null && rng.chance(0.5) ? this.shared.hotKey : this.keys.draw(rng);
    if (rng.chance(this.config.readRatio)) return { op: 'get', key, level: this.pickLevel() };
    return { op: 'put', key, value: valueFor(`c${this.clientIndex}`, this.writeSeq++) };
  }

  private pickLevel(): ReadLevel {
    const levels = this.config.levels;
    let total = 0;
    for (const [, w] of levels) total += w;
    let x = this.rng.next() * total;
    for (const [level, w] of levels) {
      x -= w;
      if (x < 0) return level;
    }
    return levels[levels.length - 1]![0];
  }
}
