// Linearizability of a history of client operations: split per key, search each key, explain
// the first failure. Pure: the caller passes a deadline (the CLI's is wall-clock based).
import type { OpRecord } from '../history/op.js';
import { assertHistoryWellFormed, describeOp } from '../history/op.js';
import { assert } from '../base/assert.js';
import type { LinOp, Model } from './lin-model.js';
import { searchLinearizable, DEFAULT_MAX_CONFIGS, type SearchStrategy } from './lin-search.js';
import { kvModel, kvUnexplainedReads, registerModel, type KvState } from './model-kv.js';
import { explainViolation } from './lin-explain.js';

export type LinVerdict = 'linearizable' | 'not-linearizable' | 'unknown';

export interface LinCheckOptions {
  /** 'kv' (get/put/append/cas, the default) or 'register' (get/put/cas). */
  model?: 'kv' | 'register';
  /** What a missing key reads as: null (default) or "" (Porcupine's kv logs). */
  missingValue?: string | null;
  /** Returns true once time is up; remaining keys get `unknown`. */
  deadline?: () => boolean;
  /** Memory bound per key, in configurations held at once. */
  maxConfigs?: number;
  /** Build an explanation for the first failing key (default true). */
  explain?: boolean;
  /** Bound on linearizability searches spent shrinking the explanation. */
  explainBudgetSearches?: number;
  /** Keep searching hard keys even after another key was found not linearizable. */
  decideAllKeys?: boolean;
  /** Which search decides each key (default 'auto'; see lin-search.ts). Tests and bench compare them. */
  strategy?: SearchStrategy;
}

export interface KeyResult {
  key: string;
  verdict: LinVerdict;
  ops: number;
  /** unknown only: why the search stopped. */
  reason?: 'deadline' | 'budget';
}

export interface LinExplanation {
  key: string;
  /** The operation whose completion no order of the window can account for. */
  failing: OpRecord;
  /** A small set of operations on the key that is not linearizable by itself, by invocation time. */
  window: OpRecord[];
  /** The window's states came from any state the earlier history could leave; absent = initial value. */
  startStates?: (string | null)[];
  /** Operations on the key in the whole history (the window is a subset). */
  partitionOps: number;
  /** Human-readable rendering (several lines). */
  text: string;
}

export interface LinCheckResult {
  verdict: LinVerdict;
  keys: number;
  /** Operations that took part (failed writes and reads without result are not counted). */
  ops: number;
  perKey: KeyResult[];
  explanation?: LinExplanation;
}

/** Turns records into the search's operations; drops those that constrain nothing. */
export function toLinOps(records: readonly OpRecord[]): LinOp<OpRecord, OpRecord>[] {
  const out: LinOp<OpRecord, OpRecord>[] = [];
  for (const r of records) {
    const unknownResult = r.outcome === 'indeterminate' || r.completeUs === null;
    if (r.op === 'get') {
      // A read without a result, or one that definitely failed, says nothing about the value.
      if (r.outcome !== 'ok' || unknownResult) continue;
    } else if (r.outcome === 'failed' && r.op !== 'cas') {
      continue; // definitely not applied
    }
    const optional = r.outcome === 'indeterminate';
    out.push({
      input: r,
      output: r,
      invokeUs: r.invokeUs,
      completeUs: optional ? null : r.completeUs,
      optional,
    });
  }
  return out;
}

export function modelFor(options: Pick<LinCheckOptions, 'model' | 'missingValue'>): Model<KvState, OpRecord, OpRecord> {
  const missing = options.missingValue === undefined ? null : options.missingValue;
  return options.model === 'register' ? registerModel(missing) : kvModel(missing);
}

export function checkHistory(records: readonly OpRecord[], options: LinCheckOptions = {}): LinCheckResult {
  assertHistoryWellFormed(records);
  const model = modelFor(options);
  const ops = toLinOps(records);
  const parts = model.partition ? model.partition(ops) : [ops];
  const maxConfigs = options.maxConfigs ?? DEFAULT_MAX_CONFIGS;
  // Pass 1 gives every key a small memory budget, so that one hard key cannot hide an easy
  // violation on another. Pass 2 gives the keys still undecided the full budget, unless the
  // history is already known not to be linearizable (then they stay `unknown`, reason budget).
  const firstPassConfigs = Math.min(maxConfigs, FIRST_PASS_MAX_CONFIGS);
  const perKey: KeyResult[] = parts.map((part) => ({ key: part[0]!.input.key, verdict: 'unknown', ops: part.length, reason: 'deadline' }));
  const failures: { part: number; failOp: number; steps: number }[] = [];
  let timedOut = false;
  const run = (i: number, budget: number): void => {
    const searchOptions: { deadline?: () => boolean; maxConfigs: number; strategy?: SearchStrategy } = { maxConfigs: budget };
    if (options.deadline) searchOptions.deadline = options.deadline;
    if (options.strategy) searchOptions.strategy = options.strategy;
    const r = searchLinearizable(model, parts[i]!, searchOptions);
    const k = perKey[i]!;
    k.verdict = r.verdict;
    if (r.verdict === 'unknown') {
      k.reason = r.reason;
      if (r.reason === 'deadline') timedOut = true;
    } else {
      delete k.reason;
      if (r.verdict === 'not-linearizable') failures.push({ part: i, failOp: r.failOp, steps: r.steps });
    }
  };
  // Once one key has failed the verdict is known; the rest only get a glance (for the counts
  // and for a cheaper violation to explain) unless every key must be decided.
  for (let i = 0; i < parts.length && !timedOut; i++) {
    run(i, failures.length > 0 && !options.decideAllKeys ? Math.min(firstPassConfigs, AFTER_FAILURE_MAX_CONFIGS) : firstPassConfigs);
  }
  if (failures.length === 0 || options.decideAllKeys) {
    for (let i = 0; i < parts.length && !timedOut; i++) {
      if (perKey[i]!.verdict === 'unknown' && perKey[i]!.reason === 'budget' && firstPassConfigs < maxConfigs) run(i, maxConfigs);
    }
  }
  let verdict: LinVerdict = 'linearizable';
  for (const k of perKey) verdict = worse(verdict, k.verdict);
  // Paired with the search: every refuted key was recorded as a failure, and only those.
  assert((verdict === 'not-linearizable') === (failures.length > 0), 'the verdict is not-linearizable exactly when some key failed');
  assert(perKey.every((k) => (k.verdict === 'unknown') === (k.reason !== undefined)), 'exactly the undecided keys give a reason');

  let explanation: LinExplanation | undefined;
  if (failures.length > 0 && options.explain !== false) {
    // Explain the failures that were cheapest to find (their windows are usually the easiest
    // to shrink) and show the smallest window.
    failures.sort((a, b) => a.steps - b.steps || a.part - b.part);
    let best: Omit<LinExplanation, 'text'> | undefined;
    for (const f of failures.slice(0, EXPLAIN_CANDIDATES)) {
      if (best && options.deadline && options.deadline()) break;
      const part = parts[f.part]!;
      const explainOptions: Parameters<typeof explainViolation<KvState, OpRecord, OpRecord>>[3] & {} = {
        maxConfigs: firstPassConfigs,
        unexplainedReads: kvUnexplainedReads,
      };
      if (options.deadline) explainOptions.deadline = options.deadline;
      if (options.explainBudgetSearches !== undefined) explainOptions.budgetSearches = options.explainBudgetSearches;
      const ex = explainViolation(model, part, f.failOp, explainOptions);
      const candidate: Omit<LinExplanation, 'text'> = {
        key: perKey[f.part]!.key,
        failing: part[f.failOp]!.input,
        window: ex.window.map((o) => o.input),
        partitionOps: part.length,
      };
      if (ex.startStates) candidate.startStates = ex.startStates;
      if (!best || candidate.window.length < best.window.length) best = candidate;
    }
    explanation = { ...best!, text: renderExplanation(best!) };
  }
  const result: LinCheckResult = { verdict, keys: parts.length, ops: ops.length, perKey };
  if (explanation) result.explanation = explanation;
  return result;
}

const FIRST_PASS_MAX_CONFIGS = 50_000;
/** Failing keys explained (cheapest first) to pick the smallest window. */
const EXPLAIN_CANDIDATES = 3;
const AFTER_FAILURE_MAX_CONFIGS = 5_000;

const SEVERITY: Record<LinVerdict, number> = { linearizable: 0, unknown: 1, 'not-linearizable': 2 };

/** not-linearizable outranks unknown: a definite violation on one key decides the history. */
export function worse(a: LinVerdict, b: LinVerdict): LinVerdict {
  return SEVERITY[b] > SEVERITY[a] ? b : a;
}

const BAR_WIDTH_CHARS = 40;

/**
 * The window as a table: one row per operation, grouped by client, with a bar over a common
 * time axis (`[===]` from invoke to completion, `[==…` for an operation that never completed).
 */
export function renderExplanation(ex: Omit<LinExplanation, 'text'>): string {
  const lines: string[] = [];
  lines.push(`key ${JSON.stringify(ex.key)}: no linearization of ${ex.window.length === 1 ? 'this operation' : `these ${ex.window.length} operations`} (of ${ex.partitionOps} on the key);`);
  lines.push(`  it fails at the completion of #${ex.failing.id} ${describeOp(ex.failing)} by client ${ex.failing.client}`);
  if (ex.startStates) {
    const shown = ex.startStates.slice(0, 4).map((s) => (s === null ? 'nil' : JSON.stringify(s)));
    lines.push(`  starting from the value${ex.startStates.length > 1 ? 's' : ''} the earlier history allows: ${shown.join(', ')}${ex.startStates.length > 4 ? ', …' : ''}`);
  }
  const w = [...ex.window].sort((a, b) => a.client - b.client || a.invokeUs - b.invokeUs || a.id - b.id);
  let t0 = Infinity;
  let t1 = -Infinity;
  for (const r of w) {
    t0 = Math.min(t0, r.invokeUs);
    t1 = Math.max(t1, r.completeUs ?? r.invokeUs, r.invokeUs);
  }
  const span = Math.max(1, t1 - t0);
  const col = (t: number): number => Math.round(((t - t0) / span) * (BAR_WIDTH_CHARS - 1));
  const labels = w.map((r) => `#${r.id} ${describeOp(r)}`);
  const labelWidth = Math.min(60, Math.max(...labels.map((l) => l.length)));
  lines.push(`  ${'client'.padEnd(6)}  ${'operation'.padEnd(labelWidth)}  ${'time →'.padEnd(BAR_WIDTH_CHARS)}  interval`);
  for (let i = 0; i < w.length; i++) {
    const r = w[i]!;
    const a = col(r.invokeUs);
    const open = r.completeUs === null || r.outcome === 'indeterminate';
    const b = open ? BAR_WIDTH_CHARS - 1 : col(r.completeUs!);
    let bar = ' '.repeat(a) + '[';
    if (b > a) bar += '='.repeat(Math.max(0, b - a - 1)) + (open ? '…' : ']');
    else bar = ' '.repeat(a) + (open ? '[…' : '|');
    const label = labels[i]!.length > labelWidth ? labels[i]!.slice(0, labelWidth - 1) + '…' : labels[i]!;
    const marker = r.id === ex.failing.id ? ' ◀ fails' : '';
    const interval = `${r.invokeUs}..${open ? '?' : r.completeUs}`;
    lines.push(`  ${String(r.client).padEnd(6)}  ${label.padEnd(labelWidth)}  ${bar.padEnd(BAR_WIDTH_CHARS)}  ${interval}${marker}`);
  }
  return lines.join('\n');
}
