// Named random streams derived from one run seed.
//
// Every consumer (a link, a machine, a client, a fault source) asks for its own stream by
// name. A stream's draws depend only on (seed, name), so adding or removing one consumer never
// shifts the draws of another — which keeps shrinking stable and sweeps comparable.
import seedrandom from 'seedrandom';
import { AssertionError } from '../base/assert.js';

export interface Rng {
  /** Uniform float in [0, 1). */
  next(): number;
  /** Uniform integer in [lo, hi], both inclusive. */
  int(lo: number, hi: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T;
  /** Exponentially distributed float with the given mean. */
  exponential(mean: number): number;
}

export class SeededRng implements Rng {
  private readonly gen: seedrandom.PRNG;

  constructor(key: string) {
    this.gen = seedrandom.alea(key);
  }

  next(): number {
    return this.gen();
  }

  int(lo: number, hi: number): number {
    if (!(hi >= lo)) throw new AssertionError(`int range [${lo}, ${hi}] is empty`);
    return lo + Math.floor(this.gen() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    if (p <= 0) return false;
    if (p >= 1) return true;
    return this.gen() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new AssertionError('pick from an empty array');
    return items[Math.floor(this.gen() * items.length)] as T;
  }

  exponential(mean: number): number {
    // 1 - u is in (0, 1], so the logarithm is finite.
    return -Math.log(1 - this.gen()) * mean;
  }
}

/** The door through which all randomness of one run enters. */
export class RandomStreams {
  private readonly streams = new Map<string, Rng>();

  constructor(readonly seed: number) {}

  stream(name: string): Rng {
    let rng = this.streams.get(name);
    if (rng === undefined) {
      rng = new SeededRng(`kvsim/${this.seed}/${name}`);
      this.streams.set(name, rng);
    }
    return rng;
  }
}
