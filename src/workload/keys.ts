// Which key a client operation touches. A distribution is built once (the zipfian table costs
// O(K)) and shared; each draw takes the caller's Rng, so every client keeps its own stream and
// removing one client never shifts another's keys.
import type { Rng } from '../sim/random.js';
import { AssertionError } from '../base/assert.js';

/** Bound on K: the zipfian table holds one float per key. */
export const KEY_COUNT_MAX = 10_000_000;

export type KeyDistributionSpec =
  | { readonly kind: 'uniform'; readonly keys: number }
  /** P(rank r) proportional to 1 / r^theta, r = 1..K; key k{r-1} has rank r. */
  | { readonly kind: 'zipfian'; readonly keys: number; readonly theta: number }
  /** The first ceil(hotKeyFraction * K) keys get hotAccessFraction of the accesses. */
  | { readonly kind: 'hotspot'; readonly keys: number; readonly hotKeyFraction: number; readonly hotAccessFraction: number };

export interface KeyDistribution {
  readonly spec: KeyDistributionSpec;
  readonly keyCount: number;
  /** Index of the next key, in 0..keyCount-1. */
  drawIndex(rng: Rng): number;
  /** Name of the next key. */
  draw(rng: Rng): string;
  /** Probability that a draw returns `index`. */
  probability(index: number): number;
}

export function keyName(index: number): string {
  return `k${index}`;
}

function assert(cond: boolean, message: string): asserts cond {
  if (!cond) throw new AssertionError(`${message}`);
}

export function keyDistribution(spec: KeyDistributionSpec): KeyDistribution {
  const keys = spec.keys;
  assert(Number.isInteger(keys) && keys >= 1 && keys <= KEY_COUNT_MAX, `keys must be an integer in 1..${KEY_COUNT_MAX}, got ${keys}`);
  switch (spec.kind) {
    case 'uniform':
      return finish(spec, keys, (rng) => rng.int(0, keys - 1), () => 1 / keys);
    case 'zipfian':
      return zipfian(spec, keys, spec.theta);
    case 'hotspot':
      return hotspot(spec, keys, spec.hotKeyFraction, spec.hotAccessFraction);
    default: {
      const never: never = spec;
      throw new AssertionError(`unknown key distribution ${JSON.stringify(never)}`);
    }
  }
}

function finish(spec: KeyDistributionSpec, keyCount: number, drawIndex: (rng: Rng) => number, probabilityOf: (index: number) => number): KeyDistribution {
  return {
    spec,
    keyCount,
    drawIndex,
    draw: (rng) => keyName(drawIndex(rng)),
    probability: (index) => (Number.isInteger(index) && index >= 0 && index < keyCount ? probabilityOf(index) : 0),
  };
}

/**
 * Inversion over a cumulative table with binary search: exact for every theta > 0 (below 1,
 * at 1 and above 1 alike, where closed-form approximations such as YCSB's need theta < 1),
 * O(log K) per draw.
 */
function zipfian(spec: KeyDistributionSpec, keys: number, theta: number): KeyDistribution {
  assert(Number.isFinite(theta) && theta > 0, `zipfian theta must be a positive number, got ${theta}`);
  const cdf = new Float64Array(keys);
  let total = 0;
  for (let r = 1; r <= keys; r++) {
    total += r ** -theta;
    cdf[r - 1] = total;
  }
  for (let i = 0; i < keys; i++) cdf[i] = (cdf[i] as number) / total;
  // Rounding could leave the last entry a hair below 1; a draw of u just under 1 must still land.
  cdf[keys - 1] = 1;
  const drawIndex = (rng: Rng): number => {
    const u = rng.next();
    let lo = 0;
    let hi = keys - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (u < (cdf[mid] as number)) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
  return finish(spec, keys, drawIndex, (index) => (index + 1) ** -theta / total);
}

function hotspot(spec: KeyDistributionSpec, keys: number, hotKeyFraction: number, hotAccessFraction: number): KeyDistribution {
  assert(hotKeyFraction > 0 && hotKeyFraction <= 1, `hotKeyFraction must be in (0, 1], got ${hotKeyFraction}`);
  assert(hotAccessFraction >= 0 && hotAccessFraction <= 1, `hotAccessFraction must be in [0, 1], got ${hotAccessFraction}`);
  const hot = Math.min(keys, Math.max(1, Math.ceil(hotKeyFraction * keys)));
  const cold = keys - hot;
  // With no cold keys every access is hot, whatever the fraction says.
  const hotShare = cold === 0 ? 1 : hotAccessFraction;
  const drawIndex = (rng: Rng): number => {
    if (cold === 0 || rng.chance(hotShare)) return rng.int(0, hot - 1);
    return hot + rng.int(0, cold - 1);
  };
  return finish(spec, keys, drawIndex, (index) => (index < hot ? hotShare / hot : (1 - hotShare) / cold));
}

/**
 * A write value no other write in the run has: every read then maps to the one write that
 * produced it, which the checkers rely on. Client ids may contain anything; the sequence
 * number after the last '#' is what makes the split unambiguous.
 */
export function valueFor(client: string, seq: number): string {
  assert(Number.isSafeInteger(seq) && seq >= 0, `write sequence numbers are non-negative integers, got ${seq}`);
  return `${client}#${seq}`;
}

/** Inverse of `valueFor`; undefined for a value it did not make. */
export function parseValue(value: string): { client: string; seq: number } | undefined {
  const at = value.lastIndexOf('#');
  if (at < 0) return undefined;
  const digits = value.slice(at + 1);
  if (!/^(0|[1-9][0-9]*)$/.test(digits)) return undefined;
  const seq = Number(digits);
  if (!Number.isSafeInteger(seq)) return undefined;
  return { client: value.slice(0, at), seq };
}
