// Shrinks a non-linearizable partition to a small window a person can read.
//
// 1. Cut: the history up to the failing return is what failed. Find the latest quiescent cut
//    before it (no required operation pending); the search's frontier there is the exact set of
//    states the earlier history can leave, so the operations after the cut, started from those
//    states, still have no linearization.
// 2. Drop: remove chunks of operations (halving the chunk size down to one) while the rest,
//    from every start state, stays non-linearizable and every read still returns a value the
//    rest could explain. Bounded by a number of searches and the caller's deadline.
import type { LinOp, Model } from './lin-model.js';
import { invocationOrder, searchLinearizable, type QuiescentCut } from './lin-search.js';

export interface ExplainOptions {
  deadline?: () => boolean;
  /** Searches spent dropping operations. */
  budgetSearches?: number;
  maxConfigs?: number;
  /** Start states with more configurations than this are not used as a cut. */
  maxStartConfigs?: number;
}

export interface ExplainModelOptions<S, I, O> extends ExplainOptions {
  /**
   * Counts reads whose value nothing in the window (or a start state) could have produced.
   * Operations are only dropped while this does not grow, so a violation is never "explained"
   * by deleting the write a read saw.
   */
  unexplainedReads?: (window: readonly LinOp<I, O>[], startStates: readonly S[]) => number;
}

export interface ExplainResult<S, I, O> {
  window: LinOp<I, O>[];
  /** Undefined: the window starts from the model's initial state. */
  startStates?: S[];
}

const DEFAULT_BUDGET_SEARCHES = 400;
const DEFAULT_MAX_START_CONFIGS = 32;

/** A start: a state and the optional operations the earlier history already used up. */
interface Start<S> {
  state: S;
  used: Set<number>;
}

export function explainViolation<S, I, O>(
  model: Model<S, I, O>,
  part: readonly LinOp<I, O>[],
  failOp: number,
  options: ExplainModelOptions<S, I, O> = {},
): ExplainResult<S, I, O> {
  const failAt = part[failOp]!.completeUs ?? Infinity;
  // Only operations invoked by the failing return matter; at equal times calls come first.
  const prefixIdx: number[] = [];
  for (let i = 0; i < part.length; i++) if (part[i]!.invokeUs <= failAt) prefixIdx.push(i);
  const prefix = prefixIdx.map((i) => part[i]!);
  const failInPrefix = prefixIdx.indexOf(failOp);

  // Latest usable quiescent cut.
  const maxStart = options.maxStartConfigs ?? DEFAULT_MAX_START_CONFIGS;
  let cut: QuiescentCut<S> | undefined;
  const cutOptions: Parameters<typeof searchLinearizable<S, I, O>>[2] = {
    onQuiescent: (c) => {
      if (c.configs.length <= maxStart) cut = c;
    },
  };
  if (options.deadline) cutOptions.deadline = options.deadline;
  if (options.maxConfigs !== undefined) cutOptions.maxConfigs = options.maxConfigs;
  searchLinearizable(model, prefix, cutOptions);

  let windowIdx: number[]; // indices into prefix
  let starts: Start<S>[];
  if (cut) {
    const order = invocationOrder(prefix);
    windowIdx = [...cut.pendingOptional, ...order.slice(cut.invokedCount)];
    starts = cut.configs.map((c) => ({ state: c.state, used: new Set(c.usedOptional) }));
  } else {
    windowIdx = prefix.map((_, i) => i);
    starts = [{ state: model.init(), used: new Set() }];
  }
  windowIdx.sort((a, b) => prefix[a]!.invokeUs - prefix[b]!.invokeUs || a - b);

  let searches = 0;
  const budget = options.budgetSearches ?? DEFAULT_BUDGET_SEARCHES;
  const stillFails = (idx: readonly number[]): boolean => {
    for (const s of starts) {
      const ops = idx.filter((i) => !s.used.has(i)).map((i) => prefix[i]!);
      searches++;
      const searchOptions: Parameters<typeof searchLinearizable<S, I, O>>[2] = { initialStates: [s.state] };
      if (options.deadline) searchOptions.deadline = options.deadline;
      if (options.maxConfigs !== undefined) searchOptions.maxConfigs = options.maxConfigs;
      if (searchLinearizable(model, ops, searchOptions).verdict !== 'not-linearizable') return false;
    }
    return true;
  };
  const startStates = starts.map((s) => s.state);
  const count = options.unexplainedReads;
  const unexplainedAtStart = count ? count(windowIdx.map((i) => prefix[i]!), startStates) : 0;
  const explained = (idx: readonly number[]): boolean => (count ? count(idx.map((i) => prefix[i]!), startStates) <= unexplainedAtStart : true);

  let window = windowIdx;
  let chunk = Math.max(1, window.length >> 1);
  for (;;) {
    let changed = false;
    for (let at = 0; at < window.length; ) {
      if (searches >= budget || (options.deadline && options.deadline())) break;
      const dropped = window.slice(at, at + chunk);
      if (dropped.includes(failInPrefix)) {
        at += chunk;
        continue;
      }
      const candidate = [...window.slice(0, at), ...window.slice(at + chunk)];
      if (candidate.length > 0 && explained(candidate) && stillFails(candidate)) {
        window = candidate;
        changed = true;
      } else {
        at += chunk;
      }
    }
    if (searches >= budget || (options.deadline && options.deadline())) break;
    if (chunk === 1 && !changed) break;
    if (!changed || chunk > 1) chunk = Math.max(1, chunk >> 1);
  }

  const result: ExplainResult<S, I, O> = { window: window.map((i) => prefix[i]!) };
  if (cut) {
    const byKey = new Map<string, S>();
    for (const s of starts) byKey.set(model.stateKey(s.state), s.state);
    result.startStates = [...byKey.values()];
  }
  return result;
}
