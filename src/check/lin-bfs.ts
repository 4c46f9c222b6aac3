// Breadth-first search over one partition's events (Lowe's just-in-time linearization, see
// README.md): the frontier holds every configuration reachable at the current instant. Fast on
// violations (the failing return is found in one sweep) and the source of the explainer's
// quiescent cuts. Resumable: `runBfs` stops after a number of model steps and continues later,
// so the driver (lin-search.ts) can interleave it with the depth-first search.
//
// Steps, in the order `runBfs` calls them for each event:
//   call   -> `callEvent`: give the op a slot; each configuration places it now or not;
//   return -> `beginReturn` (seed the queue from the frontier), `expandQueue` (linearize pending
//             ops in any order ending with the returning one), `finishReturn` (release the op,
//             drop dominated configurations, free optional ops every configuration used).
import type { Partition } from './lin-partition.js';
import { ProducerIndex } from './lin-partition.js';
import { AssertionError } from '../base/assert.js';

export const DEADLINE_POLL_STEPS = 4096;
/** Processed queue entries kept before the queue is compacted (memory follows its live part). */
const QUEUE_COMPACT_ENTRIES = 65_536;

/**
 * A configuration: a state reached by linearizing the operations in `bits` (slots of pending
 * operations; finished ones are forgotten). `absorbed` holds pending required operations that
 * were, at some moment since their call, in a state they do not change: each may be taken as
 * already linearized then (no effect on anything since) or be linearized later. So the
 * configuration stands for every choice of which absorbed operations are done, and the search
 * never branches on that choice. Disjoint from `bits` (asserted in `assertFrontier`).
 */
export interface Config<S> {
  state: S;
  key: string;
  bits: bigint;
  absorbed: bigint;
}

export type BfsOutcome =
  | { verdict: 'linearizable' }
  | { verdict: 'not-linearizable'; failOp: number }
  | { verdict: 'unknown'; reason: 'deadline' | 'budget' };

export interface QuiescentCut<S> {
  invokedCount: number;
  /** Pending optional operations (op indices). */
  pendingOptional: number[];
  configs: { state: S; usedOptional: number[] }[];
}

/** Work of the return event being handled (kept across pauses). */
interface ReturnWork<S> {
  op: number;
  /** Configurations after the return, by config key. */
  next: Map<string, Config<S>>;
  visited: Set<string>;
  queue: Config<S>[];
  q: number;
  /** Per (state, required bits, absorbed): the optional parts seen, for dominance. */
  optionalUsed: Map<string, bigint[]>;
}

export interface BfsState<S, I, O> {
  readonly part: Partition<S, I, O>;
  readonly maxConfigs: number;
  readonly producers: ProducerIndex<S, I, O>;
  /** Next event to handle (index into part.events). */
  e: number;
  frontier: Config<S>[];
  work: ReturnWork<S> | undefined;
  /** Slot of each pending op and its bit; slots are reused once an op is released. */
  readonly slotOf: Int32Array;
  readonly bitOf: bigint[];
  readonly freeSlots: number[];
  slotCount: number;
  /** Pending operations (called, not released), sorted by rank. */
  readonly pending: number[];
  /** 1 while pending. */
  readonly pendingFlag: Uint8Array;
  /** 1 once released: linearized in every configuration (or ignored). */
  readonly done: Uint8Array;
  /** Per read: producers before this index are done (dead-read pruning cursor). */
  readonly producerCursor: Int32Array;
  optionalMask: bigint;
  requiredPending: number;
  invokedCount: number;
  steps: number;
  nextPollSteps: number;
  frontierMax: number;
  /** Symmetry stamps: a class is tried once per expanded configuration, fresh or absorbed. */
  readonly seenFresh: Int32Array;
  readonly seenAbsorbed: Int32Array;
  stamp: number;
}

export function configKey(stateKey: string, bits: bigint, absorbed: bigint): string {
  const k = bits === 0n ? stateKey + '\u0000' : stateKey + '\u0000' + bits.toString(36);
  return absorbed === 0n ? k : k + '\u0001' + absorbed.toString(36);
}

export function createBfs<S, I, O>(part: Partition<S, I, O>, initialStates: readonly S[], maxConfigs: number): BfsState<S, I, O> {
  if (initialStates.length === 0) throw new AssertionError('the search needs at least one initial state');
  const n = part.n;
  const frontier = dedupe(initialStates.map((s) => ({ state: s, key: part.model.stateKey(s), bits: 0n, absorbed: 0n })));
  return {
    part,
    maxConfigs,
    producers: new ProducerIndex(part),
    e: 0,
    frontier,
    work: undefined,
    slotOf: new Int32Array(n).fill(-1),
    bitOf: new Array<bigint>(n).fill(0n),
    freeSlots: [],
    slotCount: 0,
    pending: [],
    pendingFlag: new Uint8Array(n),
    done: new Uint8Array(n),
    producerCursor: new Int32Array(n),
    optionalMask: 0n,
    requiredPending: 0,
    invokedCount: 0,
    steps: 0,
    nextPollSteps: DEADLINE_POLL_STEPS,
    frontierMax: frontier.length,
    seenFresh: new Int32Array(part.classCount),
    seenAbsorbed: new Int32Array(part.classCount),
    stamp: 0,
  };
}

/**
 * Runs until a verdict or until `st.steps` reaches `pauseAtSteps` (then undefined: call again).
 * `deadline` is polled every DEADLINE_POLL_STEPS steps; `onQuiescent` after each return that
 * leaves no required operation pending.
 */
export function runBfs<S, I, O>(
  st: BfsState<S, I, O>,
  pauseAtSteps: number,
  deadline: (() => boolean) | undefined,
  onQuiescent: ((cut: QuiescentCut<S>) => void) | undefined,
): BfsOutcome | undefined {
  const { events } = st.part;
  while (st.e < events.length) {
    if (st.work === undefined) {
      if (st.steps >= pauseAtSteps) return undefined;
      const ev = events[st.e]!;
      if ((ev & 1) === 0) {
        callEvent(st, ev >> 1);
        st.e++;
        continue;
      }
      st.work = beginReturn(st, ev >> 1);
    }
    const expanded = expandQueue(st, st.work, pauseAtSteps, deadline);
    if (expanded !== 'done') return expanded === 'paused' ? undefined : expanded;
    const failOp = finishReturn(st, st.work);
    st.work = undefined;
    st.e++;
    if (failOp !== undefined) return { verdict: 'not-linearizable', failOp };
    if (onQuiescent && st.requiredPending === 0) onQuiescent(quiescentCut(st));
  }
  return { verdict: 'linearizable' };
}

/** Call of o: give it a slot; each configuration places it now (linearized or absorbed) or not. */
function callEvent<S, I, O>(st: BfsState<S, I, O>, o: number): void {
  const { ops, ignored, rank } = st.part;
  st.invokedCount++;
  if (ignored[o] === 1) {
    st.done[o] = 1;
    return;
  }
  const slot = st.freeSlots.length > 0 ? st.freeSlots.pop()! : st.slotCount++;
  st.slotOf[o] = slot;
  const ob = 1n << BigInt(slot);
  st.bitOf[o] = ob;
  if (ops[o]!.optional) st.optionalMask |= ob;
  else st.requiredPending++;
  st.pendingFlag[o] = 1;
  let at = st.pending.length;
  while (at > 0 && rank[st.pending[at - 1]!]! > rank[o]!) at--;
  st.pending.splice(at, 0, o);
  st.frontier = st.frontier.map((c) => {
    const where = placeNow(st, c.state, c.key, o);
    if (where === 'bits') return { state: c.state, key: c.key, bits: c.bits | ob, absorbed: c.absorbed };
    if (where === 'absorbed') return { state: c.state, key: c.key, bits: c.bits, absorbed: c.absorbed | ob };
    return c;
  });
}

/**
 * Return of o, first part: configurations that already linearized o (or absorbed it) keep it
 * done; every other one goes on the queue, to linearize o now, possibly after other pending
 * ops. An absorbed o also goes on the queue: it may be linearized later instead.
 */
function beginReturn<S, I, O>(st: BfsState<S, I, O>, o: number): ReturnWork<S> {
  if (st.pendingFlag[o] !== 1) throw new AssertionError(`op ${o} returns while not pending`);
  const ob = st.bitOf[o]!;
  const work: ReturnWork<S> = { op: o, next: new Map(), visited: new Set(), queue: [], q: 0, optionalUsed: new Map() };
  for (const c of st.frontier) {
    if (st.optionalMask !== 0n) recordOptionalUse(work.optionalUsed, c.key, c.bits, c.absorbed, st.optionalMask);
    if ((c.bits & ob) !== 0n) {
      keepConfig(work, c.state, c.key, c.bits & ~ob, c.absorbed);
      continue;
    }
    if ((c.absorbed & ob) !== 0n) keepConfig(work, c.state, c.key, c.bits, c.absorbed & ~ob);
    const k = configKey(c.key, c.bits, c.absorbed);
    if (work.visited.has(k)) continue;
    work.visited.add(k);
    work.queue.push(c);
  }
  return work;
}

/**
 * Return of o, second part: expands queued configurations by one pending op each until the
 * queue is empty ('done'), the step count reaches `pauseAtSteps` ('paused'), or a limit.
 */
function expandQueue<S, I, O>(
  st: BfsState<S, I, O>,
  work: ReturnWork<S>,
  pauseAtSteps: number,
  deadline: (() => boolean) | undefined,
): 'done' | 'paused' | { verdict: 'unknown'; reason: 'deadline' | 'budget' } {
  const { ops, observer, classOf, model } = st.part;
  const o = work.op;
  const ob = st.bitOf[o]!;
  const queue = work.queue;
  for (; work.q < queue.length; work.q++) {
    if (st.steps >= pauseAtSteps) return 'paused';
    const c = queue[work.q]!;
    st.stamp++;
    for (let pi = 0; pi < st.pending.length; pi++) {
      const p = st.pending[pi]!;
      const b = st.bitOf[p]!;
      if ((c.bits & b) !== 0n || observer[p] === 1) continue;
      const cls = classOf[p]!;
      const seen = (c.absorbed & b) !== 0n ? st.seenAbsorbed : st.seenFresh;
      if (seen[cls] === st.stamp) continue;
      seen[cls] = st.stamp;
      st.steps++;
      if (deadline && st.steps >= st.nextPollSteps) {
        // placeNow() counts steps too, so poll by threshold rather than by exact multiples.
        st.nextPollSteps = st.steps + DEADLINE_POLL_STEPS;
        if (deadline()) return { verdict: 'unknown', reason: 'deadline' };
      }
      const op = ops[p]!;
      const s2 = model.step(c.state, op.input, op.output);
      if (s2 === undefined) continue;
      const k2 = model.stateKey(s2);
      // An operation that leaves the state as it is: absorbed already (configurations are
      // saturated), or optional (not using it leaves more choices). Doing it gains nothing.
      if (k2 === c.key) continue;
      const placed = saturate(st, s2, k2, c.bits | b, c.absorbed & ~b);
      const oAbsorbed = (placed.absorbed & ob) !== 0n;
      if (p === o || (placed.bits & ob) !== 0n || oAbsorbed) {
        // o is linearized (directly, or as a read satisfied by this write, or absorbed).
        if (st.part.pruneObservers && hasDeadObserver(st, s2, placed.bits)) continue;
        keepConfig(work, s2, k2, placed.bits & ~ob, placed.absorbed & ~ob);
        // Absorbed o may also be linearized later instead: keep exploring.
        if (!oAbsorbed) continue;
      }
      const ck = configKey(k2, placed.bits, placed.absorbed);
      if (work.visited.has(ck)) continue;
      work.visited.add(ck);
      if (st.part.pruneObservers && hasDeadObserver(st, s2, placed.bits)) continue;
      if (st.optionalMask !== 0n && dominatedByVisited(work.optionalUsed, k2, placed.bits, placed.absorbed, st.optionalMask)) continue;
      queue.push({ state: s2, key: k2, bits: placed.bits, absorbed: placed.absorbed });
    }
    if (work.visited.size + work.next.size > st.maxConfigs) return { verdict: 'unknown', reason: 'budget' };
    if (work.q > QUEUE_COMPACT_ENTRIES) {
      queue.splice(0, work.q + 1);
      work.q = -1;
    }
  }
  return 'done';
}

/**
 * Return of o, last part: o is finished. Returns o if no configuration survived (the history
 * is not linearizable and this return is where it fails), otherwise undefined.
 */
function finishReturn<S, I, O>(st: BfsState<S, I, O>, work: ReturnWork<S>): number | undefined {
  const o = work.op;
  release(st, o);
  st.frontier = dropDominated([...work.next.values()], st.optionalMask);
  if (st.frontier.length === 0) return o;
  if (st.frontier.length > st.frontierMax) st.frontierMax = st.frontier.length;
  freeUsedOptional(st);
  assertFrontier(st);
  return undefined;
}

/** Optional operations used by every configuration are finished: free their slots. */
function freeUsedOptional<S, I, O>(st: BfsState<S, I, O>): void {
  if (st.optionalMask === 0n) return;
  let all = st.optionalMask;
  for (const c of st.frontier) all &= c.bits;
  if (all === 0n) return;
  for (const p of [...st.pending]) if ((all & st.bitOf[p]!) !== 0n) release(st, p);
  st.frontier = dedupe(st.frontier.map((c) => ({ state: c.state, key: c.key, bits: c.bits & ~all, absorbed: c.absorbed })));
}

function release<S, I, O>(st: BfsState<S, I, O>, i: number): void {
  if (st.pendingFlag[i] !== 1) throw new AssertionError(`releasing op ${i}, which is not pending`);
  st.pendingFlag[i] = 0;
  st.done[i] = 1;
  st.pending.splice(st.pending.indexOf(i), 1);
  st.freeSlots.push(st.slotOf[i]!);
  if (st.part.ops[i]!.optional) st.optionalMask &= ~st.bitOf[i]!;
  else st.requiredPending--;
}

/**
 * Between events: `bits` and `absorbed` are disjoint and name only slots of pending ops, and
 * the frontier fits the budget.
 */
function assertFrontier<S, I, O>(st: BfsState<S, I, O>): void {
  let live = 0n;
  for (const p of st.pending) live |= st.bitOf[p]!;
  for (const c of st.frontier) {
    if ((c.bits & c.absorbed) !== 0n) throw new AssertionError('a configuration has an op both linearized and absorbed');
    if (((c.bits | c.absorbed) & ~live) !== 0n) throw new AssertionError('a configuration names a slot no pending op holds');
    if ((c.absorbed & st.optionalMask) !== 0n) throw new AssertionError('an optional op is absorbed');
  }
}

/**
 * Where pending operation p stands in a configuration just reached in `state`: 'bits' if it
 * is linearized at once (a read the state satisfies, or a `Model.eager` operation),
 * 'absorbed' if it is required and leaves the state as it is, otherwise 'none'.
 *
 * Eager reads: a read changes nothing, and linearizing it earlier (after its invocation)
 * keeps every real-time constraint. So the search never branches on reads.
 */
function placeNow<S, I, O>(st: BfsState<S, I, O>, state: S, key: string, p: number): 'bits' | 'absorbed' | 'none' {
  const { ops, observer, model } = st.part;
  const op = ops[p]!;
  st.steps++;
  if (observer[p] === 1) return model.step(state, op.input, op.output) !== undefined ? 'bits' : 'none';
  if (op.optional) return 'none';
  if (model.eager && model.eager(state, op.input, op.output)) return 'bits';
  const s2 = model.step(state, op.input, op.output);
  return s2 !== undefined && model.stateKey(s2) === key ? 'absorbed' : 'none';
}

/** Places every pending operation `placeNow` can place in a configuration just reached. */
function saturate<S, I, O>(st: BfsState<S, I, O>, state: S, key: string, bits: bigint, absorbed: bigint): { bits: bigint; absorbed: bigint } {
  for (let pi = 0; pi < st.pending.length; pi++) {
    const g = st.pending[pi]!;
    const b = st.bitOf[g]!;
    if (((bits | absorbed) & b) !== 0n) continue;
    const where = placeNow(st, state, key, g);
    if (where === 'bits') bits |= b;
    else if (where === 'absorbed') absorbed |= b;
  }
  return { bits, absorbed };
}

/** True if some pending, unlinearized read can never be satisfied from this configuration. */
function hasDeadObserver<S, I, O>(st: BfsState<S, I, O>, state: S, bits: bigint): boolean {
  const { ops, observer, model } = st.part;
  for (let pi = 0; pi < st.pending.length; pi++) {
    const g = st.pending[pi]!;
    if (observer[g] === 0 || (bits & st.bitOf[g]!) !== 0n) continue;
    const gi = ops[g]!;
    if (model.step(state, gi.input, gi.output) !== undefined) continue;
    const list = st.producers.producersOf(g);
    let cur = st.producerCursor[g]!;
    while (cur < list.length && st.done[list[cur]!] === 1) cur++;
    st.producerCursor[g] = cur;
    let alive = false;
    for (let k = cur; k < list.length; k++) {
      const w = list[k]!;
      if (st.done[w] === 1) continue;
      // Linearized in this config: used up. Absorbed ones are not in `bits`: may still produce.
      if (st.pendingFlag[w] === 1 && (bits & st.bitOf[w]!) !== 0n) continue;
      alive = true; // not yet invoked, or pending and unused: may still produce
      break;
    }
    if (!alive) return true;
  }
  return false;
}

function keepConfig<S>(work: ReturnWork<S>, state: S, key: string, bits: bigint, absorbed: bigint): void {
  const k = configKey(key, bits, absorbed);
  if (!work.next.has(k)) work.next.set(k, { state, key, bits, absorbed });
}

function recordOptionalUse(optionalUsed: Map<string, bigint[]>, key: string, bits: bigint, absorbed: bigint, optionalMask: bigint): void {
  const gk = configKey(key, bits & ~optionalMask, absorbed);
  const list = optionalUsed.get(gk);
  if (list) list.push(bits & optionalMask);
  else optionalUsed.set(gk, [bits & optionalMask]);
}

/**
 * Dominance: a visited configuration with the same state, required part and absorbed set that
 * used a subset of these optional ops can do everything this one can. If none, records this one.
 */
function dominatedByVisited(optionalUsed: Map<string, bigint[]>, key: string, bits: bigint, absorbed: bigint, optionalMask: bigint): boolean {
  const opt = bits & optionalMask;
  const gk = configKey(key, bits & ~optionalMask, absorbed);
  const list = optionalUsed.get(gk);
  if (!list) {
    optionalUsed.set(gk, [opt]);
    return false;
  }
  for (const m of list) if ((m & ~opt) === 0n) return true;
  list.push(opt);
  return false;
}

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

function dedupe<S>(configs: Config<S>[]): Config<S>[] {
  const m = new Map<string, Config<S>>();
  for (const c of configs) {
    const k = configKey(c.key, c.bits, c.absorbed);
    if (!m.has(k)) m.set(k, c);
  }
  return m.size === configs.length ? configs : [...m.values()];
}

function quiescentCut<S, I, O>(st: BfsState<S, I, O>): QuiescentCut<S> {
  return {
    invokedCount: st.invokedCount,
    pendingOptional: [...st.pending],
    configs: st.frontier.map((c) => ({ state: c.state, usedOptional: st.pending.filter((p) => (c.bits & st.bitOf[p]!) !== 0n) })),
  };
}
