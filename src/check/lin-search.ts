// Linearizability search over one partition: Wing & Gong's search with Lowe's memoization,
// run breadth-first over the history's events with just-in-time linearization (see README.md).
// Pure: time limits come in through the `deadline` callback.
import type { LinOp, Model } from './lin-model.js';

export type SearchResult =
  | { verdict: 'linearizable'; steps: number; frontierMax: number }
  | { verdict: 'not-linearizable'; steps: number; frontierMax: number; /** index of the op whose return has no linearization */ failOp: number }
  | { verdict: 'unknown'; steps: number; frontierMax: number; reason: 'deadline' | 'budget' };

export interface SearchOptions<S> {
  /** Polled every few thousand model steps; returning true stops the search with `unknown`. */
  deadline?: () => boolean;
  /** Bound on configurations held while handling one return event (memory). */
  maxConfigs?: number;
  /** Start from any of these states instead of `model.init()`. */
  initialStates?: readonly S[];
  /**
   * Called after each return event that leaves no required operation pending (a quiescent
   * cut): `invokedCount` operations (in `invocationOrder`) have been invoked so far; the
   * configurations say which states are possible and which pending optional operations each
   * has already used. The explainer starts windows at such cuts.
   */
  onQuiescent?: (cut: QuiescentCut<S>) => void;
}

export interface QuiescentCut<S> {
  invokedCount: number;
  /** Pending optional operations (op indices). */
  pendingOptional: number[];
  configs: { state: S; usedOptional: number[] }[];
}

/** Operations in the order the search sees their calls (time, then index). */
export function invocationOrder(ops: readonly { invokeUs: number }[]): number[] {
  const order = ops.map((_, i) => i);
  order.sort((a, b) => ops[a]!.invokeUs - ops[b]!.invokeUs || a - b);
  return order;
}

export const DEFAULT_MAX_CONFIGS = 2_000_000;
const DEADLINE_POLL_STEPS = 4096;

interface Config<S> {
  state: S;
  key: string;
  bits: bigint;
}

const configKey = (stateKey: string, bits: bigint): string => (bits === 0n ? stateKey + '\u0000' : stateKey + '\u0000' + bits.toString(36));

/** Keeps, per (state, required bits), only the configs with minimal sets of used optional ops. */
function dropDominated<S>(configs: Config<S>[], optionalMask: bigint): Config<S>[] {
  if (configs.length < 2 || optionalMask === 0n) return configs;
  const groups = new Map<string, Config<S>[]>();
  for (const c of configs) {
    const g = configKey(c.key, c.bits & ~optionalMask);
    const list = groups.get(g);
    if (list) list.push(c);
    else groups.set(g, [c]);
  }
  if (groups.size === configs.length) return configs;
  const out: Config<S>[] = [];
  for (const list of groups.values()) {
    if (list.length === 1) {
      out.push(list[0]!);
      continue;
    }
    const kept: bigint[] = [];
    const withCount = list.map((c) => ({ c, opt: c.bits & optionalMask, n: popcount(c.bits & optionalMask) }));
    withCount.sort((a, b) => a.n - b.n);
    for (const { c, opt } of withCount) {
      let dominated = false;
      for (const k of kept) {
        if ((k & ~opt) === 0n) {
          dominated = true;
          break;
        }
      }
      if (!dominated) {
        kept.push(opt);
        out.push(c);
      }
    }
  }
  return out;
}

function popcount(b: bigint): number {
  let n = 0;
  while (b !== 0n) {
    b &= b - 1n;
    n++;
  }
  return n;
}

export function searchLinearizable<S, I, O>(model: Model<S, I, O>, ops: readonly LinOp<I, O>[], options: SearchOptions<S> = {}): SearchResult {
  const n = ops.length;
  const maxConfigs = options.maxConfigs ?? DEFAULT_MAX_CONFIGS;
  const deadline = options.deadline;

  // Events: call = 2i, return = 2i+1. Sorted by time; at equal times calls come first, so
  // operations that touch at one instant count as concurrent.
  const events: number[] = [];
  for (let i = 0; i < n; i++) {
    events.push(2 * i);
    if (!ops[i]!.optional) events.push(2 * i + 1);
  }
  const timeOf = (e: number): number => {
    const op = ops[e >> 1]!;
    if ((e & 1) === 0) return op.invokeUs;
    return op.completeUs === null ? Infinity : op.completeUs;
  };
  events.sort((a, b) => timeOf(a) - timeOf(b) || (a & 1) - (b & 1) || a - b);

  // Rank: the order in which operations return (optional ones last, by index). Among
  // interchangeable operations only the lowest-ranked pending one is tried.
  const rank = new Float64Array(n);
  for (let i = 0; i < n; i++) rank[i] = events.length + i;
  for (let p = 0; p < events.length; p++) if ((events[p]! & 1) === 1) rank[events[p]! >> 1] = p;
  const classOf = new Int32Array(n);
  const classes = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const sig = model.signature(ops[i]!.input, ops[i]!.output);
    let c = classes.get(sig);
    if (c === undefined) {
      c = classes.size;
      classes.set(sig, c);
    }
    classOf[i] = c;
  }
  const seenStamp = new Int32Array(classes.size);
  let stamp = 0;

  const bitOf: bigint[] = new Array<bigint>(n).fill(0n);
  const freeSlots: number[] = [];
  let slotCount = 0;
  const slotOf = new Int32Array(n).fill(-1);
  const pending: number[] = []; // sorted by rank
  let optionalMask = 0n;

  let frontier: Config<S>[] = (options.initialStates ?? [model.init()]).map((s) => ({ state: s, key: model.stateKey(s), bits: 0n }));
  frontier = dedupe(frontier);
  let steps = 0;
  let frontierMax = frontier.length;
  let invokedCount = 0;
  let requiredPending = 0;

  // Dead-observer pruning (see Model.isObserver): producers are found lazily, per observer,
  // sorted by invocation; `done` marks operations linearized in every configuration.
  const pruneObservers = model.isObserver !== undefined && model.mayProduce !== undefined;
  const observer = new Uint8Array(n);
  if (model.isObserver) for (let i = 0; i < n; i++) if (!ops[i]!.optional && model.isObserver!(ops[i]!.input, ops[i]!.output)) observer[i] = 1;
  const done = new Uint8Array(n);
  const producers: (number[] | undefined)[] = new Array<number[] | undefined>(n);
  const producerCursor = new Int32Array(n);
  const invokeOrder = pruneObservers ? invocationOrder(ops) : [];
  const pendingState = new Uint8Array(n); // 1 while pending
  const producersOf = (g: number): number[] => {
    let list = producers[g];
    if (list === undefined) {
      list = [];
      const gi = ops[g]!;
      for (const w of invokeOrder) if (w !== g && !observer[w] && model.mayProduce!(ops[w]!.input, ops[w]!.output, gi.input, gi.output)) list.push(w);
      producers[g] = list;
    }
    return list;
  };
  /** True if some pending, unlinearized observer can never be satisfied from this config. */
  const hasDeadObserver = (state: S, bits: bigint): boolean => {
    for (let pi = 0; pi < pending.length; pi++) {
      const g = pending[pi]!;
      if (observer[g] === 0 || (bits & bitOf[g]!) !== 0n) continue;
      const gi = ops[g]!;
      if (model.step(state, gi.input, gi.output) !== undefined) continue;
      const list = producersOf(g);
      let cur = producerCursor[g]!;
      while (cur < list.length && done[list[cur]!] === 1) cur++;
      producerCursor[g] = cur;
      let alive = false;
      for (let k = cur; k < list.length; k++) {
        const w = list[k]!;
        if (done[w] === 1) continue;
        if (pendingState[w] === 1 && (bits & bitOf[w]!) !== 0n) continue;
        alive = true; // not yet invoked, or pending and unused: may still produce
        break;
      }
      if (!alive) return true;
    }
    return false;
  };

  // Eager observers: a pending read that the current state satisfies is linearized at once.
  // Never worse: a read changes nothing, and linearizing it earlier (after its invocation)
  // keeps every real-time constraint. So the search never branches on reads.
  const saturate = (state: S, bits: bigint): bigint => {
    for (let pi = 0; pi < pending.length; pi++) {
      const g = pending[pi]!;
      if (observer[g] === 0 || (bits & bitOf[g]!) !== 0n) continue;
      const gi = ops[g]!;
      steps++;
      if (model.step(state, gi.input, gi.output) !== undefined) bits |= bitOf[g]!;
    }
    return bits;
  };

  const release = (i: number): void => {
    pendingState[i] = 0;
    done[i] = 1;
    const idx = pending.indexOf(i);
    pending.splice(idx, 1);
    freeSlots.push(slotOf[i]!);
    if (ops[i]!.optional) optionalMask &= ~bitOf[i]!;
    else requiredPending--;
  };

  for (let e = 0; e < events.length; e++) {
    const ev = events[e]!;
    const o = ev >> 1;
    if ((ev & 1) === 0) {
      // Call: give the operation a slot; no configuration changes.
      const slot = freeSlots.length > 0 ? freeSlots.pop()! : slotCount++;
      slotOf[o] = slot;
      bitOf[o] = 1n << BigInt(slot);
      if (ops[o]!.optional) optionalMask |= bitOf[o]!;
      else requiredPending++;
      invokedCount++;
      pendingState[o] = 1;
      let at = pending.length;
      while (at > 0 && rank[pending[at - 1]!]! > rank[o]!) at--;
      pending.splice(at, 0, o);
      if (observer[o] === 1) {
        const op = ops[o]!;
        const ob = bitOf[o]!;
        frontier = frontier.map((c) => (model.step(c.state, op.input, op.output) !== undefined ? { state: c.state, key: c.key, bits: c.bits | ob } : c));
      }
      continue;
    }

    // Return of o: every configuration must linearize o now, possibly after other pending ops.
    const ob = bitOf[o]!;
    const next = new Map<string, Config<S>>();
    const visited = new Set<string>();
    const queue: Config<S>[] = [];
    const keep = (state: S, key: string, bits: bigint): void => {
      const k = configKey(key, bits);
      if (!next.has(k)) next.set(k, { state, key, bits });
    };
    const optionalUsed = new Map<string, bigint[]>();
    for (const c of frontier) {
      if (optionalMask !== 0n) {
        const gk = configKey(c.key, c.bits & ~optionalMask);
        const list = optionalUsed.get(gk);
        if (list) list.push(c.bits & optionalMask);
        else optionalUsed.set(gk, [c.bits & optionalMask]);
      }
      if ((c.bits & ob) !== 0n) {
        keep(c.state, c.key, c.bits & ~ob);
        continue;
      }
      const k = configKey(c.key, c.bits);
      if (visited.has(k)) continue;
      visited.add(k);
      queue.push(c);
    }
    for (let q = 0; q < queue.length; q++) {
      const c = queue[q]!;
      stamp++;
      for (let pi = 0; pi < pending.length; pi++) {
        const p = pending[pi]!;
        const b = bitOf[p]!;
        if ((c.bits & b) !== 0n || observer[p] === 1) continue;
        const cls = classOf[p]!;
        if (seenStamp[cls] === stamp) continue;
        seenStamp[cls] = stamp;
        steps++;
        if (deadline && steps % DEADLINE_POLL_STEPS === 0 && deadline()) {
          return { verdict: 'unknown', steps, frontierMax, reason: 'deadline' };
        }
        const op = ops[p]!;
        const s2 = model.step(c.state, op.input, op.output);
        if (s2 === undefined) continue;
        const k2 = model.stateKey(s2);
        const bits2 = observer.length > 0 ? saturate(s2, c.bits | b) : c.bits | b;
        if (p === o || (bits2 & ob) !== 0n) {
          // o is linearized (directly, or as a read satisfied by this write): done.
          if (pruneObservers && hasDeadObserver(s2, bits2)) continue;
          keep(s2, k2, bits2 & ~ob);
          continue;
        }
        const ck = configKey(k2, bits2);
        if (visited.has(ck)) continue;
        visited.add(ck);
        if (pruneObservers && hasDeadObserver(s2, bits2)) continue;
        if (optionalMask !== 0n) {
          // Dominance: a visited config with the same state and required part that used a
          // subset of these optional ops can do everything this one can.
          const opt = bits2 & optionalMask;
          const gk = configKey(k2, bits2 & ~optionalMask);
          const list = optionalUsed.get(gk);
          if (list) {
            let dominated = false;
            for (const m of list) {
              if ((m & ~opt) === 0n) {
                dominated = true;
                break;
              }
            }
            if (dominated) continue;
            list.push(opt);
          } else optionalUsed.set(gk, [opt]);
        }
        queue.push({ state: s2, key: k2, bits: bits2 });
      }
      if (visited.size + next.size > maxConfigs) return { verdict: 'unknown', steps, frontierMax, reason: 'budget' };
      // Drop processed entries now and then so the queue's memory follows its live part.
      if (q > 65_536) {
        queue.splice(0, q + 1);
        q = -1;
      }
    }

    release(o);
    frontier = dropDominated([...next.values()], optionalMask);
    if (frontier.length === 0) return { verdict: 'not-linearizable', steps, frontierMax, failOp: o };
    if (frontier.length > frontierMax) frontierMax = frontier.length;

    // Optional operations used by every configuration are finished: free their slots.
    if (optionalMask !== 0n) {
      let all = optionalMask;
      for (const c of frontier) all &= c.bits;
      if (all !== 0n) {
        for (const p of [...pending]) {
          if ((all & bitOf[p]!) !== 0n) release(p);
        }
        frontier = dedupe(frontier.map((c) => ({ state: c.state, key: c.key, bits: c.bits & ~all })));
      }
    }
    if (options.onQuiescent && requiredPending === 0) {
      options.onQuiescent({
        invokedCount,
        pendingOptional: [...pending],
        configs: frontier.map((c) => ({ state: c.state, usedOptional: pending.filter((p) => (c.bits & bitOf[p]!) !== 0n) })),
      });
    }
  }
  return { verdict: 'linearizable', steps, frontierMax };
}

function dedupe<S>(configs: Config<S>[]): Config<S>[] {
  const m = new Map<string, Config<S>>();
  for (const c of configs) {
    const k = configKey(c.key, c.bits);
    if (!m.has(k)) m.set(k, c);
  }
  return m.size === configs.length ? configs : [...m.values()];
}
