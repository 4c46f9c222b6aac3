// Depth-first search over one partition with Lowe's memoization (the strategy of Porcupine and
// Knossos's linear checker, written here from the papers): extend one linearization at a time,
// backtrack when the earliest pending return cannot be met, and never expand a configuration
// (set of linearized ops, state) twice. On linearizable histories with many timed-out writes it
// usually walks straight to a linearization, where the breadth-first sweep (lin-bfs.ts) would
// carry every state the pending optional ops could produce. Resumable, like runBfs.
//
// Terms. F, the *frontier*: the earliest return event whose op is not linearized yet. The
// *window*: unlinearized ops called before F; only they may be linearized next. A node is a
// configuration whose reads are saturated (every window read the state satisfies is
// linearized), so equal configurations meet in the cache. `Model.eager` is not used here: the
// kv model answers it by searching every observed value, and asked at every node for every
// pending write it cost more than the branching it saves (symmetry already tries one killer
// per node); the breadth-first search, which asks once per new configuration, uses it.
//
// Invariants (asserted in `assertNode`, which costs O(n), on every ASSERT_EVERY_NODES-th node):
// - every required op returning before F is linearized; no op called at or after F is;
// - the set hash equals the XOR of the linearized required ops' hashes (the cache key is sound);
// - the window lists hold exactly the unlinearized ops.
import type { Partition } from './lin-partition.js';
import { DEADLINE_POLL_STEPS } from './lin-bfs.js';
import { AssertionError } from '../base/assert.js';

export type DfsOutcome =
  | { verdict: 'linearizable' }
  | { verdict: 'not-linearizable'; failOp: number }
  | { verdict: 'unknown'; reason: 'deadline' | 'budget' };

/** Cache memory bound: 32-bit words of stored linearized sets (128 MiB). */
const MAX_CACHE_WORDS = 32 * 1024 * 1024;
/** One new node in this many has its invariants checked in full (cost O(n) each). */
const ASSERT_EVERY_NODES = 1024;

export interface DfsState<S, I, O> {
  readonly part: Partition<S, I, O>;
  /** Cache entries (configurations held); beyond it the search gives up with `budget`. */
  readonly maxConfigs: number;
  readonly roots: readonly S[];
  rootIndex: number;

  // The current configuration.
  state: S;
  stateKey: string;
  /** 1: linearized in the current configuration. */
  readonly lin: Uint8Array;
  /**
   * The same set as a bitset (cache entries copy it), and two 32-bit Zobrist hashes of its
   * required part (configurations that differ only in optional ops share a cache chain).
   */
  readonly bits: Uint32Array;
  /** Bits of the optional ops (fixed). */
  readonly optionalWords: Uint32Array;
  hashLo: number;
  hashHi: number;
  linearizedRequired: number;

  // Dancing-links lists of unlinearized ops (sentinel n): by call (the window is a prefix) and,
  // for required ops, by return (the head is the frontier op).
  readonly callNext: Int32Array;
  readonly callPrev: Int32Array;
  readonly retNext: Int32Array;
  readonly retPrev: Int32Array;

  // The path: one frame per node. Frame f linearized `frameOp[f]` (-1 at a root) and then the
  // forced ops `forced[frameForcedStart[f] ..]`; its candidates are `cands[frameCandStart[f] ..
  // frameCandEnd[f]]`, the next one to try at `frameCandNext[f]`.
  depth: number;
  readonly frameOp: number[];
  readonly frameForcedStart: number[];
  readonly frameCandStart: number[];
  readonly frameCandEnd: number[];
  readonly frameCandNext: number[];
  readonly frameState: S[];
  readonly frameStateKey: string[];
  readonly forced: number[];
  readonly cands: number[];

  // Lowe's cache: (state, linearized set) -> seen. Keyed by a number mixing the required part's
  // hashes and the interned state; a chain is scanned comparing stored sets word by word. A
  // stored configuration with the same state and required part that used a subset of the
  // optional ops dominates (not using an optional op leaves more choices): the new one is
  // dropped as if seen, whether the stored one failed or is an ancestor still being explored
  // (then everything the new one could do, the ancestor can do directly).
  readonly stateIds: Map<string, number>;
  readonly cacheHead: Map<number, number>;
  readonly entryNext: number[];
  readonly entryStateId: number[];
  readonly entryWords: Uint32Array[];
  cacheWords: number;

  /** Furthest frontier any node reached (an index into part.events). */
  maxFrontier: number;
  steps: number;
  nextPollSteps: number;
  nodes: number;
  /** Symmetry: per class, where its candidate sits in `cands`, valid while `classStamp` is this node's. */
  readonly classBest: Int32Array;
  readonly classStamp: Int32Array;
  stamp: number;
  readonly zobristLo: Int32Array;
  readonly zobristHi: Int32Array;
}

export function createDfs<S, I, O>(part: Partition<S, I, O>, initialStates: readonly S[], maxConfigs: number): DfsState<S, I, O> {
  if (initialStates.length === 0) throw new AssertionError('the search needs at least one initial state');
  const n = part.n;
  const words = (n + 31) >>> 5;
  const zobristLo = new Int32Array(n);
  const zobristHi = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    zobristLo[i] = mix32(2 * i + 1);
    zobristHi[i] = mix32(2 * i + 2);
  }
  const st: DfsState<S, I, O> = {
    part,
    maxConfigs,
    roots: initialStates,
    rootIndex: -1,
    state: initialStates[0]!,
    stateKey: part.model.stateKey(initialStates[0]!),
    lin: new Uint8Array(n),
    bits: new Uint32Array(words),
    optionalWords: optionalBits(part, words),
    hashLo: 0,
    hashHi: 0,
    linearizedRequired: 0,
    callNext: new Int32Array(n + 1),
    callPrev: new Int32Array(n + 1),
    retNext: new Int32Array(n + 1),
    retPrev: new Int32Array(n + 1),
    depth: 0,
    frameOp: [],
    frameForcedStart: [],
    frameCandStart: [],
    frameCandEnd: [],
    frameCandNext: [],
    frameState: [],
    frameStateKey: [],
    forced: [],
    cands: [],
    stateIds: new Map(),
    cacheHead: new Map(),
    entryNext: [],
    entryStateId: [],
    entryWords: [],
    cacheWords: 0,
    maxFrontier: 0,
    steps: 0,
    nextPollSteps: DEADLINE_POLL_STEPS,
    nodes: 0,
    classBest: new Int32Array(part.classCount),
    classStamp: new Int32Array(part.classCount),
    stamp: 0,
    zobristLo,
    zobristHi,
  };
  linkLists(st);
  return st;
}

/** Builds both lists over every op that takes part (ignored optional ops never do). */
function linkLists<S, I, O>(st: DfsState<S, I, O>): void {
  const { n, events, ignored } = st.part;
  let lastCall = n;
  let lastRet = n;
  for (let p = 0; p < events.length; p++) {
    const e = events[p]!;
    const o = e >> 1;
    if (ignored[o] === 1) continue;
    if ((e & 1) === 0) {
      st.callNext[lastCall] = o;
      st.callPrev[o] = lastCall;
      lastCall = o;
    } else {
      st.retNext[lastRet] = o;
      st.retPrev[o] = lastRet;
      lastRet = o;
    }
  }
  st.callNext[lastCall] = n;
  st.callPrev[n] = lastCall;
  st.retNext[lastRet] = n;
  st.retPrev[n] = lastRet;
}

/** Runs until a verdict or until `st.steps` reaches `pauseAtSteps` (then undefined). */
export function runDfs<S, I, O>(st: DfsState<S, I, O>, pauseAtSteps: number, deadline: (() => boolean) | undefined): DfsOutcome | undefined {
  const { model, ops, n } = st.part;
  for (;;) {
    if (st.steps >= pauseAtSteps) return undefined;
    if (deadline && st.steps >= st.nextPollSteps) {
      st.nextPollSteps = st.steps + DEADLINE_POLL_STEPS;
      if (deadline()) return { verdict: 'unknown', reason: 'deadline' };
    }
    if (st.depth === 0) {
      // The path is empty: start from the next initial state, or, with none left, every
      // configuration has been tried and the furthest frontier reached is where it fails.
      st.rootIndex++;
      if (st.rootIndex >= st.roots.length) return failure(st);
      const root = st.roots[st.rootIndex]!;
      st.state = root;
      st.stateKey = model.stateKey(root);
      const opened = openNode(st, -1);
      if (opened !== undefined) return opened;
      continue;
    }
    const f = st.depth - 1;
    const next = st.frameCandNext[f]!;
    if (next >= st.frameCandEnd[f]!) {
      closeNode(st);
      continue;
    }
    st.frameCandNext[f] = next + 1;
    const p = st.cands[next]!;
    if (p < 0 || p >= n || st.lin[p] === 1) throw new AssertionError(`candidate ${p} is not an unlinearized op`);
    st.steps++;
    const op = ops[p]!;
    const s2 = model.step(st.state, op.input, op.output);
    if (s2 === undefined) continue;
    const k2 = model.stateKey(s2);
    // An optional op that leaves the state as it is: not using it leaves more choices.
    if (op.optional && k2 === st.stateKey) continue;
    pushFrame(st, p);
    linearize(st, p);
    st.state = s2;
    st.stateKey = k2;
    const opened = openNode(st, p);
    if (opened !== undefined) return opened;
  }
}

/**
 * The frame just pushed (or a root) has linearized its op: saturate, stop if every required
 * op is done, drop the node if the cache has it, else record it and list its candidates.
 */
function openNode<S, I, O>(st: DfsState<S, I, O>, op: number): DfsOutcome | undefined {
  if (op === -1) pushFrame(st, -1);
  saturate(st);
  if (st.linearizedRequired === st.part.requiredCount) return { verdict: 'linearizable' };
  const frontier = frontierPos(st);
  if (frontier > st.maxFrontier) st.maxFrontier = frontier;
  if (!cacheAdd(st)) {
    closeNode(st);
    return undefined;
  }
  if (st.entryNext.length > st.maxConfigs || st.cacheWords > MAX_CACHE_WORDS) return { verdict: 'unknown', reason: 'budget' };
  st.nodes++;
  if (st.nodes % ASSERT_EVERY_NODES === 1) assertNode(st);
  listCandidates(st, frontier);
  return undefined;
}

/** The op whose return no configuration got past (the furthest frontier any node reached). */
function failure<S, I, O>(st: DfsState<S, I, O>): DfsOutcome {
  const e = st.part.events[st.maxFrontier];
  if (e === undefined || (e & 1) !== 1) throw new AssertionError(`the furthest frontier ${st.maxFrontier} is not a return event`);
  return { verdict: 'not-linearizable', failOp: e >> 1 };
}

/** Position in part.events of the earliest return of an unlinearized op (events.length: none). */
function frontierPos<S, I, O>(st: DfsState<S, I, O>): number {
  const head = st.retNext[st.part.n]!;
  return head === st.part.n ? st.part.events.length : st.part.returnPos[head]!;
}

function pushFrame<S, I, O>(st: DfsState<S, I, O>, op: number): void {
  const f = st.depth++;
  st.frameOp[f] = op;
  st.frameForcedStart[f] = st.forced.length;
  st.frameState[f] = st.state;
  st.frameStateKey[f] = st.stateKey;
  st.frameCandStart[f] = st.cands.length;
  st.frameCandEnd[f] = st.cands.length;
  st.frameCandNext[f] = st.cands.length;
}

/** Pops the top frame: undoes its forced ops and its op (last in, first out) and its state. */
function closeNode<S, I, O>(st: DfsState<S, I, O>): void {
  const f = --st.depth;
  if (f < 0) throw new AssertionError('closing a node with an empty path');
  const start = st.frameForcedStart[f]!;
  while (st.forced.length > start) unlinearize(st, st.forced.pop()!);
  const op = st.frameOp[f]!;
  if (op !== -1) unlinearize(st, op);
  st.state = st.frameState[f]!;
  st.stateKey = st.frameStateKey[f]!;
  st.cands.length = st.frameCandStart[f]!;
}

function linearize<S, I, O>(st: DfsState<S, I, O>, p: number): void {
  if (st.lin[p] === 1) throw new AssertionError(`op ${p} linearized twice`);
  st.lin[p] = 1;
  st.bits[p >>> 5]! |= 1 << (p & 31);
  // Lift p out of the lists.
  st.callNext[st.callPrev[p]!] = st.callNext[p]!;
  st.callPrev[st.callNext[p]!] = st.callPrev[p]!;
  if (!st.part.ops[p]!.optional) {
    st.hashLo ^= st.zobristLo[p]!;
    st.hashHi ^= st.zobristHi[p]!;
    st.retNext[st.retPrev[p]!] = st.retNext[p]!;
    st.retPrev[st.retNext[p]!] = st.retPrev[p]!;
    st.linearizedRequired++;
  }
}

/** Exactly undoes `linearize(p)`; valid only in reverse order of linearization. */
function unlinearize<S, I, O>(st: DfsState<S, I, O>, p: number): void {
  if (st.lin[p] !== 1) throw new AssertionError(`op ${p} unlinearized but not linearized`);
  st.lin[p] = 0;
  st.bits[p >>> 5]! &= ~(1 << (p & 31));
  st.callNext[st.callPrev[p]!] = p;
  st.callPrev[st.callNext[p]!] = p;
  if (!st.part.ops[p]!.optional) {
    st.hashLo ^= st.zobristLo[p]!;
    st.hashHi ^= st.zobristHi[p]!;
    st.retNext[st.retPrev[p]!] = p;
    st.retPrev[st.retNext[p]!] = p;
    st.linearizedRequired--;
  }
}

/**
 * Linearizes at once, as forced ops of the top frame, every window read the state satisfies
 * (a read changes nothing, so doing it as early as possible is never worse; README "eager
 * reads"). One pass in call order suffices: each forced read may move F on, which only
 * lengthens the window ahead of the pass, and the state does not change, so no skipped read
 * becomes satisfiable.
 */
function saturate<S, I, O>(st: DfsState<S, I, O>): void {
  const { n, ops, observer, model, callPos } = st.part;
  let frontier = frontierPos(st);
  for (let p = st.callNext[n]!; p !== n && callPos[p]! < frontier; ) {
    const after = st.callNext[p]!;
    const op = ops[p]!;
    if (observer[p] === 1) {
      st.steps++;
      if (model.step(st.state, op.input, op.output) !== undefined) {
        linearize(st, p);
        st.forced.push(p);
        frontier = frontierPos(st);
      }
    }
    p = after;
  }
}

/**
 * The top frame's candidates: window ops that are not reads, one per symmetry class (the one
 * that returns first; exchanging interchangeable ops keeps a linearization valid only if the
 * earlier one returns no later), tried in return order: the frontier op first, optional ops last.
 */
function listCandidates<S, I, O>(st: DfsState<S, I, O>, frontier: number): void {
  const { n, observer, classOf, rank, callPos } = st.part;
  const stamp = ++st.stamp;
  const start = st.cands.length;
  for (let p = st.callNext[n]!; p !== n && callPos[p]! < frontier; p = st.callNext[p]!) {
    if (observer[p] === 1) continue;
    const c = classOf[p]!;
    if (st.classStamp[c] !== stamp) {
      st.classStamp[c] = stamp;
      st.classBest[c] = st.cands.length;
      st.cands.push(p);
    } else if (rank[p]! < rank[st.cands[st.classBest[c]!]!]!) {
      // Replace the class's entry in place: still one candidate per class.
      st.cands[st.classBest[c]!] = p;
    }
  }
  const list = st.cands.slice(start).sort((a, b) => rank[a]! - rank[b]!);
  for (let i = 0; i < list.length; i++) st.cands[start + i] = list[i]!;
  const f = st.depth - 1;
  st.frameCandStart[f] = start;
  st.frameCandNext[f] = start;
  st.frameCandEnd[f] = st.cands.length;
}

/** Records the current configuration; false if it (or one that dominates it) was already there. */
function cacheAdd<S, I, O>(st: DfsState<S, I, O>): boolean {
  let sid = st.stateIds.get(st.stateKey);
  if (sid === undefined) {
    sid = st.stateIds.size;
    st.stateIds.set(st.stateKey, sid);
  }
  const lo = (st.hashLo ^ Math.imul(sid + 1, 0x9e3779b1)) >>> 0;
  const key = (st.hashHi & 0x1fffff) * 4294967296 + lo;
  const head = st.cacheHead.get(key);
  for (let e = head ?? -1; e !== -1; e = st.entryNext[e]!) {
    if (st.entryStateId[e] === sid && dominates(st.entryWords[e]!, st.bits, st.optionalWords)) return false;
  }
  const id = st.entryNext.length;
  st.entryNext.push(head ?? -1);
  st.entryStateId.push(sid);
  st.entryWords.push(st.bits.slice());
  st.cacheWords += st.bits.length;
  st.cacheHead.set(key, id);
  return true;
}

/** a ⊆ b and everything b has beyond a is optional. */
function dominates(a: Uint32Array, b: Uint32Array, optional: Uint32Array): boolean {
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if ((x & ~y) !== 0 || (y & ~x & ~optional[i]!) !== 0) return false;
  }
  return true;
}

function optionalBits<S, I, O>(part: Partition<S, I, O>, words: number): Uint32Array {
  const out = new Uint32Array(words);
  for (let i = 0; i < part.n; i++) if (part.ops[i]!.optional) out[i >>> 5]! |= 1 << (i & 31);
  return out;
}

function assertNode<S, I, O>(st: DfsState<S, I, O>): void {
  const { n, ops, callPos, returnPos, ignored } = st.part;
  const frontier = frontierPos(st);
  let lo = 0;
  let hi = 0;
  let unlinked = 0;
  for (let p = 0; p < n; p++) {
    if (st.lin[p] === 1) {
      if (!ops[p]!.optional) {
        lo ^= st.zobristLo[p]!;
        hi ^= st.zobristHi[p]!;
      }
      if (callPos[p]! >= frontier) throw new AssertionError(`op ${p} is linearized but called after the frontier`);
      if (ignored[p] === 1) throw new AssertionError(`ignored op ${p} is linearized`);
    } else if (ignored[p] === 0) {
      unlinked++;
      if (!ops[p]!.optional && returnPos[p]! < frontier) throw new AssertionError(`op ${p} returns before the frontier but is not linearized`);
    }
  }
  if (lo !== st.hashLo || hi !== st.hashHi) throw new AssertionError('the set hash does not match the linearized ops');
  let listed = 0;
  for (let p = st.callNext[n]!; p !== n; p = st.callNext[p]!) {
    if (st.lin[p] === 1) throw new AssertionError(`linearized op ${p} is still in the window list`);
    if (++listed > n) throw new AssertionError('the window list has a cycle');
  }
  if (listed !== unlinked) throw new AssertionError(`the window list holds ${listed} ops, expected ${unlinked}`);
}

/** A fixed 32-bit mixer (murmur3's finalizer): deterministic per-op hashes, no random source. */
function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return x ^ (x >>> 16);
}
