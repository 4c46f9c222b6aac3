// One partition (one key) prepared for the searches: the model restricted to it, its call and
// return events in time order, the order in which operations return, their symmetry classes,
// and which of them are reads or take no part. Both searches (lin-bfs.ts, lin-dfs.ts) read
// this and never change it.
import type { LinOp, Model } from './lin-model.js';
import { AssertionError } from '../base/assert.js';

export interface Partition<S, I, O> {
  /** `baseModel.specialize(ops)` when the model offers it. */
  readonly model: Model<S, I, O>;
  readonly ops: readonly LinOp<I, O>[];
  readonly n: number;
  /**
   * Events: call of op i = 2i, return = 2i+1 (optional operations have no return). Sorted by
   * time; at equal times calls come first, so operations that touch at one instant are
   * concurrent; then by event number.
   */
  readonly events: Int32Array;
  /** Position of op i's call / return in `events`; return: `events.length` for optional ops. */
  readonly callPos: Int32Array;
  readonly returnPos: Int32Array;
  /**
   * Return order: the position of the op's return event; optional ops rank after every return,
   * by index. Among interchangeable pending ops only the lowest-ranked one is tried.
   */
  readonly rank: Float64Array;
  /** Symmetry class: equal classes have equal signatures (same input and output). */
  readonly classOf: Int32Array;
  readonly classCount: number;
  /** 1: an optional operation no linearization needs (`Model.neverNeeded`); it takes no part. */
  readonly ignored: Uint8Array;
  /** 1: a required operation that never changes the state (`Model.isObserver`: a read). */
  readonly observer: Uint8Array;
  /** Dead-read pruning is possible (the model has `isObserver` and `mayProduce`). */
  readonly pruneObservers: boolean;
  /** Optional operations that take part (not ignored). */
  readonly optionalCount: number;
  readonly requiredCount: number;
}

export function preparePartition<S, I, O>(baseModel: Model<S, I, O>, ops: readonly LinOp<I, O>[]): Partition<S, I, O> {
  const n = ops.length;
  const model = baseModel.specialize ? baseModel.specialize(ops) : baseModel;

  const ignored = new Uint8Array(n);
  let optionalCount = 0;
  let requiredCount = 0;
  for (let i = 0; i < n; i++) {
    const op = ops[i]!;
    if (op.optional && model.neverNeeded && model.neverNeeded(op.input, op.output)) ignored[i] = 1;
    else if (op.optional) optionalCount++;
    else requiredCount++;
  }

  const list: number[] = [];
  for (let i = 0; i < n; i++) {
    list.push(2 * i);
    if (!ops[i]!.optional) list.push(2 * i + 1);
  }
  const timeOf = (e: number): number => {
    const op = ops[e >> 1]!;
    if ((e & 1) === 0) return op.invokeUs;
    return op.completeUs === null ? Infinity : op.completeUs;
  };
  list.sort((a, b) => timeOf(a) - timeOf(b) || (a & 1) - (b & 1) || a - b);
  const events = Int32Array.from(list);

  const callPos = new Int32Array(n);
  const returnPos = new Int32Array(n).fill(events.length);
  const rank = new Float64Array(n);
  for (let i = 0; i < n; i++) rank[i] = events.length + i;
  for (let p = 0; p < events.length; p++) {
    const e = events[p]!;
    if ((e & 1) === 0) callPos[e >> 1] = p;
    else {
      returnPos[e >> 1] = p;
      rank[e >> 1] = p;
    }
  }

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

  const observer = new Uint8Array(n);
  if (model.isObserver) for (let i = 0; i < n; i++) if (!ops[i]!.optional && model.isObserver(ops[i]!.input, ops[i]!.output)) observer[i] = 1;
  const pruneObservers = model.isObserver !== undefined && model.mayProduce !== undefined;

  const part: Partition<S, I, O> = { model, ops, n, events, callPos, returnPos, rank, classOf, classCount: classes.size, ignored, observer, pruneObservers, optionalCount, requiredCount };
  assertPartition(part);
  return part;
}

/** Every op has its call before its return; ranks follow return order. */
function assertPartition<S, I, O>(p: Partition<S, I, O>): void {
  for (let i = 0; i < p.n; i++) {
    const op = p.ops[i]!;
    if (!op.optional && p.callPos[i]! >= p.returnPos[i]!) throw new AssertionError(`op ${i} returns before its call`);
    if (op.optional !== (p.returnPos[i] === p.events.length)) throw new AssertionError(`op ${i} has a return event iff it is required`);
    if (op.completeUs !== null && op.completeUs < op.invokeUs) throw new AssertionError(`op ${i} completes before it is invoked`);
  }
}

/** Operations in the order the search sees their calls (time, then index). */
export function invocationOrder(ops: readonly { invokeUs: number }[]): number[] {
  const order = ops.map((_, i) => i);
  order.sort((a, b) => ops[a]!.invokeUs - ops[b]!.invokeUs || a - b);
  return order;
}

/**
 * Dead-read pruning (see `Model.isObserver`): the operations that could produce a value read
 * `g` accepts, sorted by invocation, computed once per read on first use.
 */
export class ProducerIndex<S, I, O> {
  private readonly lists: (number[] | undefined)[];
  private readonly order: number[];

  constructor(private readonly part: Partition<S, I, O>) {
    this.lists = new Array<number[] | undefined>(part.n);
    this.order = part.pruneObservers ? invocationOrder(part.ops) : [];
  }

  producersOf(g: number): number[] {
    let list = this.lists[g];
    if (list === undefined) {
      const { ops, observer, ignored, model } = this.part;
      const gi = ops[g]!;
      list = [];
      for (const w of this.order) if (w !== g && !observer[w] && !ignored[w] && model.mayProduce!(ops[w]!.input, ops[w]!.output, gi.input, gi.output)) list.push(w);
      this.lists[g] = list;
    }
    return list;
  }
}
