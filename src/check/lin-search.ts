// Linearizability search over one partition (one key): Wing & Gong's search with Lowe's
// memoization, two ways (see README.md):
// - breadth-first over the history's events (lin-bfs.ts): fast on violations, and the source
//   of the explainer's quiescent cuts; without timed-out operations its frontier stays small;
// - depth-first with Lowe's cache (lin-dfs.ts): fast on linearizable histories with many
//   timed-out writes, where the breadth-first frontier multiplies with every pending one.
// Each partition runs both, interleaved in equal slices of model steps after a head start for
// the depth-first one, and takes the first verdict: the work is at most about twice the faster
// search's (plus the head start), whichever that is, and neither kind of history can make the
// checker slow. Pure: time limits come in through the `deadline` callback, and the schedule
// counts steps, never time, so verdicts and deadline polls are the same on every machine.
import type { LinOp, Model } from './lin-model.js';
import { createBfs, runBfs, type BfsOutcome, type QuiescentCut } from './lin-bfs.js';
import { createDfs, runDfs, type DfsOutcome } from './lin-dfs.js';
import { preparePartition } from './lin-partition.js';
import { AssertionError } from '../base/assert.js';

export { invocationOrder } from './lin-partition.js';
export type { QuiescentCut } from './lin-bfs.js';

export type SearchStrategy = 'auto' | 'bfs' | 'dfs';

export type SearchResult =
  | { verdict: 'linearizable'; steps: number; frontierMax: number; decidedBy: 'bfs' | 'dfs' }
  | { verdict: 'not-linearizable'; steps: number; frontierMax: number; decidedBy: 'bfs' | 'dfs'; /** index of the op whose return has no linearization */ failOp: number }
  | { verdict: 'unknown'; steps: number; frontierMax: number; reason: 'deadline' | 'budget' };

export interface SearchOptions<S> {
  /** Polled every few thousand model steps; returning true stops the search with `unknown`. */
  deadline?: () => boolean;
  /** Bound on configurations held (per search: the breadth-first one per return event). */
  maxConfigs?: number;
  /** Start from any of these states instead of `model.init()`. */
  initialStates?: readonly S[];
  /**
   * Called after each return event that leaves no required operation pending (a quiescent
   * cut): `invokedCount` operations (in `invocationOrder`) have been invoked so far; the
   * configurations say which states are possible and which pending optional operations each
   * has already used. The explainer starts windows at such cuts. Implies the breadth-first search.
   */
  onQuiescent?: (cut: QuiescentCut<S>) => void;
  /** 'auto' (default): as above. 'bfs' / 'dfs': one search only (tests and bench compare them). */
  strategy?: SearchStrategy;
}

export const DEFAULT_MAX_CONFIGS = 2_000_000;
/** Depth-first head start: a linearizable history usually needs about one step per op. */
const DFS_HEAD_START_STEPS_PER_OP = 4;
const DFS_HEAD_START_MIN_STEPS = 1024;
/** Model steps each search runs before the other takes a turn. */
const SLICE_STEPS = 8192;
/** Bound on turns: each turn runs one search for SLICE_STEPS, so this caps steps at ~2^40. */
const MAX_TURNS = 2 ** 27;

export function searchLinearizable<S, I, O>(baseModel: Model<S, I, O>, ops: readonly LinOp<I, O>[], options: SearchOptions<S> = {}): SearchResult {
  const part = preparePartition(baseModel, ops);
  const initial = options.initialStates ?? [part.model.init()];
  const maxConfigs = options.maxConfigs ?? DEFAULT_MAX_CONFIGS;
  const strategy = options.strategy ?? 'auto';
  const deadline = options.deadline;

  if (strategy === 'dfs' && options.onQuiescent === undefined) {
    const dfs = createDfs(part, initial, maxConfigs);
    return fromOutcome(runDfs(dfs, Infinity, deadline)!, 'dfs', dfs.steps, 0);
  }
  const bfs = createBfs(part, initial, maxConfigs);
  if (strategy === 'bfs' || options.onQuiescent !== undefined) {
    return fromOutcome(runBfs(bfs, Infinity, deadline, options.onQuiescent)!, 'bfs', bfs.steps, bfs.frontierMax);
  }

  // Both, interleaved. A search that gives up (budget) leaves the other to run alone.
  const dfs = createDfs(part, initial, maxConfigs);
  let dfsOut: DfsOutcome | undefined = runDfs(dfs, DFS_HEAD_START_STEPS_PER_OP * part.n + DFS_HEAD_START_MIN_STEPS, deadline);
  let bfsOut: BfsOutcome | undefined;
  for (let turn = 0; turn < MAX_TURNS; turn++) {
    const settled = settle(bfsOut, dfsOut);
    if (settled !== undefined) return fromOutcome(settled.out, settled.by, bfs.steps + dfs.steps, bfs.frontierMax);
    if (turn % 2 === 0 && bfsOut === undefined) bfsOut = runBfs(bfs, dfsOut === undefined ? bfs.steps + SLICE_STEPS : Infinity, deadline, undefined);
    if (turn % 2 === 1 && dfsOut === undefined) dfsOut = runDfs(dfs, bfsOut === undefined ? dfs.steps + SLICE_STEPS : Infinity, deadline);
  }
  throw new AssertionError('the interleaved search ran out of turns');
}

/**
 * The interleaved search's verdict once there is one: the first decided search's; `unknown`
 * as soon as the deadline stopped either, or once both gave up on their budget.
 */
function settle(bfsOut: BfsOutcome | undefined, dfsOut: DfsOutcome | undefined): { out: BfsOutcome | DfsOutcome; by: 'bfs' | 'dfs' } | undefined {
  if (dfsOut !== undefined && dfsOut.verdict !== 'unknown') return { out: dfsOut, by: 'dfs' };
  if (bfsOut !== undefined && bfsOut.verdict !== 'unknown') return { out: bfsOut, by: 'bfs' };
  if (dfsOut !== undefined && dfsOut.verdict === 'unknown' && dfsOut.reason === 'deadline') return { out: dfsOut, by: 'dfs' };
  if (bfsOut !== undefined && bfsOut.verdict === 'unknown' && bfsOut.reason === 'deadline') return { out: bfsOut, by: 'bfs' };
  if (bfsOut !== undefined && dfsOut !== undefined) return { out: bfsOut, by: 'bfs' };
  return undefined;
}

function fromOutcome(out: BfsOutcome | DfsOutcome, by: 'bfs' | 'dfs', steps: number, frontierMax: number): SearchResult {
  switch (out.verdict) {
    case 'linearizable':
      return { verdict: 'linearizable', steps, frontierMax, decidedBy: by };
    case 'not-linearizable':
      return { verdict: 'not-linearizable', steps, frontierMax, decidedBy: by, failOp: out.failOp };
    case 'unknown':
      return { verdict: 'unknown', steps, frontierMax, reason: out.reason };
    default: {
      const never: never = out;
      throw new AssertionError(`unknown outcome ${String(never)}`);
    }
  }
}
