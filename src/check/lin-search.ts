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

/**
 * A configuration: a state reached by linearizing the operations in `bits` (slots of pending
 * operations; finished ones are forgotten). `absorbed` holds pending required operations that
 * were, at some moment since their call, in a state they do not change: each may be taken as
 * already linearized then (no effect on anything since) or be linearized later. So the
 * configuration stands for every choice of which absorbed operations are done, and the search
 * never branches on that choice. Disjoint from `bits`.
 */
interface Config<S> {
  state: S;
  key: string;
  bits: bigint;
  absorbed: bigint;
}

const configKey = (stateKey: string, bits: bigint, absorbed: bigint): string => {
  const k = bits === 0n ? stateKey + '\u0000' : stateKey + '\u0000' + bits.toString(36);
  return absorbed === 0n ? k : k + '\u0001' + absorbed.toString(36);
};

/** Keeps, per (state, required bits, absorbed), only the configs with minimal sets of used optional ops. */
function dropDominated<S>(configs: Config<S>[], optionalMask: bigint): Config<S>[] {
  if (configs.length < 2 || optionalMask === 0n) return configs;
  const groups = new Map<string, Config<S>[]>();
  for (const c of configs) {
    const g = configKey(c.key, c.bits & ~optionalMask, c.absorbed);
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

export function searchLinearizable<S, I, O>(baseModel: Model<S, I, O>, ops: readonly LinOp<I, O>[], options: SearchOptions<S> = {}): SearchResult {
  const n = ops.length;
  const model = baseModel.specialize ? baseModel.specialize(ops) : baseModel;
  const maxConfigs = options.maxConfigs ?? DEFAULT_MAX_CONFIGS;
  const deadline = options.deadline;

  // Optional operations no linearization needs take no part (their calls still count for cuts).
  const ignored = new Uint8Array(n);
  if (model.neverNeeded) for (let i = 0; i < n; i++) if (ops[i]!.optional && model.neverNeeded(ops[i]!.input, ops[i]!.output)) ignored[i] = 1;

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
  // Interchangeable operations are only exchanged with their like in the same position:
  // both not yet linearized, or both absorbed.
  const seenFresh = new Int32Array(classes.size);
  const seenAbsorbed = new Int32Array(classes.size);
  let stamp = 0;

  const bitOf: bigint[] = new Array<bigint>(n).fill(0n);
  const freeSlots: number[] = [];
  let slotCount = 0;
  const slotOf = new Int32Array(n).fill(-1);
  const pending: number[] = []; // sorted by rank
  let optionalMask = 0n;

  let frontier: Config<S>[] = (options.initialStates ?? [model.init()]).map((s) => ({ state: s, key: model.stateKey(s), bits: 0n, absorbed: 0n }));
  frontier = dedupe(frontier);
  let steps = 0;
  let nextPollSteps = DEADLINE_POLL_STEPS;
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
      for (const w of invokeOrder) if (w !== g && !observer[w] && !ignored[w] && model.mayProduce!(ops[w]!.input, ops[w]!.output, gi.input, gi.output)) list.push(w);
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
        // Linearized in this config: used up. Absorbed ones are not in `bits`: may still produce.
        if (pendingState[w] === 1 && (bits & bitOf[w]!) !== 0n) continue;
        alive = true; // not yet invoked, or pending and unused: may still produce
        break;
      }
      if (!alive) return true;
    }
    return false;
  };

  /**
   * Where pending operation p stands in a configuration just reached in `state`: 'bits' if it
   * is linearized at once (a read the state satisfies, or a `Model.eager` operation),
   * 'absorbed' if it is required and leaves the state as it is, otherwise 'none'.
   *
   * Eager reads: a read changes nothing, and linearizing it earlier (after its invocation)
   * keeps every real-time constraint. So the search never branches on reads.
   */
  const placeNow = (state: S, key: string, p: number): 'bits' | 'absorbed' | 'none' => {
    const op = ops[p]!;
    steps++;
    if (observer[p] === 1) return model.step(state, op.input, op.output) !== undefined ? 'bits' : 'none';
    if (op.optional) return 'none';
    if (model.eager && model.eager(state, op.input, op.output)) return 'bits';
    const s2 = model.step(state, op.input, op.output);
    return s2 !== undefined && model.stateKey(s2) === key ? 'absorbed' : 'none';
  };
  let satBits = 0n;
  let satAbsorbed = 0n;
  /** Places every pending operation placeNow can place; results in satBits / satAbsorbed. */
  const saturate = (state: S, key: string, bits: bigint, absorbed: bigint): void => {
    for (let pi = 0; pi < pending.length; pi++) {
      const g = pending[pi]!;
      const b = bitOf[g]!;
      if (((bits | absorbed) & b) !== 0n) continue;
      const where = placeNow(state, key, g);
      if (where === 'bits') bits |= b;
      else if (where === 'absorbed') absorbed |= b;
    }
    satBits = bits;
    satAbsorbed = absorbed;
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
      invokedCount++;
      if (ignored[o] === 1) {
        done[o] = 1;
        continue;
      }
      // Call: give the operation a slot; configurations only record whether they place it now.
      const slot = freeSlots.length > 0 ? freeSlots.pop()! : slotCount++;
      slotOf[o] = slot;
      bitOf[o] = 1n << BigInt(slot);
      if (ops[o]!.optional) optionalMask |= bitOf[o]!;
      else requiredPending++;
      pendingState[o] = 1;
      let at = pending.length;
      while (at > 0 && rank[pending[at - 1]!]! > rank[o]!) at--;
      pending.splice(at, 0, o);
      const ob = bitOf[o]!;
      frontier = frontier.map((c) => {
        const where = placeNow(c.state, c.key, o);
        if (where === 'bits') return { state: c.state, key: c.key, bits: c.bits | ob, absorbed: c.absorbed };
        if (where === 'absorbed') return { state: c.state, key: c.key, bits: c.bits, absorbed: c.absorbed | ob };
        return c;
      });
      continue;
    }

    // Return of o: every configuration must linearize o now, possibly after other pending ops
    // (or have absorbed it).
    const ob = bitOf[o]!;
    const next = new Map<string, Config<S>>();
    const visited = new Set<string>();
    const queue: Config<S>[] = [];
    const keep = (state: S, key: string, bits: bigint, absorbed: bigint): void => {
      const k = configKey(key, bits, absorbed);
      if (!next.has(k)) next.set(k, { state, key, bits, absorbed });
    };
    const optionalUsed = new Map<string, bigint[]>();
    for (const c of frontier) {
      if (optionalMask !== 0n) {
        const gk = configKey(c.key, c.bits & ~optionalMask, c.absorbed);
        const list = optionalUsed.get(gk);
        if (list) list.push(c.bits & optionalMask);
        else optionalUsed.set(gk, [c.bits & optionalMask]);
      }
      if ((c.bits & ob) !== 0n) {
        keep(c.state, c.key, c.bits & ~ob, c.absorbed);
        continue;
      }
      // Absorbed: done already (kept), or to be linearized later in this event (explored).
      if ((c.absorbed & ob) !== 0n) keep(c.state, c.key, c.bits, c.absorbed & ~ob);
      const k = configKey(c.key, c.bits, c.absorbed);
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
        const seen = (c.absorbed & b) !== 0n ? seenAbsorbed : seenFresh;
        if (seen[cls] === stamp) continue;
        seen[cls] = stamp;
        steps++;
        if (deadline && steps >= nextPollSteps) {
          // saturate() counts steps too, so poll by threshold rather than by exact multiples.
          nextPollSteps = steps + DEADLINE_POLL_STEPS;
          if (deadline()) return { verdict: 'unknown', steps, frontierMax, reason: 'deadline' };
        }
        const op = ops[p]!;
        const s2 = model.step(c.state, op.input, op.output);
        if (s2 === undefined) continue;
        const k2 = model.stateKey(s2);
        // An operation that leaves the state as it is: absorbed already (configurations are
        // saturated), or optional (not using it leaves more choices). Doing it gains nothing.
        if (k2 === c.key) continue;
        saturate(s2, k2, c.bits | b, c.absorbed & ~b);
        const bits2 = satBits;
        const absorbed2 = satAbsorbed;
        const oAbsorbed = (absorbed2 & ob) !== 0n;
        if (p === o || (bits2 & ob) !== 0n || oAbsorbed) {
          // o is linearized (directly, or as a read satisfied by this write, or absorbed).
          if (pruneObservers && hasDeadObserver(s2, bits2)) continue;
          keep(s2, k2, bits2 & ~ob, absorbed2 & ~ob);
          // Absorbed o may also be linearized later instead: keep exploring.
          if (!oAbsorbed) continue;
        }
        const ck = configKey(k2, bits2, absorbed2);
        if (visited.has(ck)) continue;
        visited.add(ck);
        if (pruneObservers && hasDeadObserver(s2, bits2)) continue;
        if (optionalMask !== 0n) {
          // Dominance: a visited config with the same state, required part and absorbed set
          // that used a subset of these optional ops can do everything this one can.
          const opt = bits2 & optionalMask;
          const gk = configKey(k2, bits2 & ~optionalMask, absorbed2);
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
        queue.push({ state: s2, key: k2, bits: bits2, absorbed: absorbed2 });
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
        frontier = dedupe(frontier.map((c) => ({ state: c.state, key: c.key, bits: c.bits & ~all, absorbed: c.absorbed })));
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
    const k = configKey(c.key, c.bits, c.absorbed);
    if (!m.has(k)) m.set(k, c);
  }
  return m.size === configs.length ? configs : [...m.values()];
}
