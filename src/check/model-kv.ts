// Sequential specifications over OpRecords, one object (key) at a time. The input and the
// output of an operation are the same record: its kind and arguments, and what it returned.
import type { OpRecord } from '../history/op.js';
import type { LinOp, Model } from './lin-model.js';

/** A key's value; null = missing. */
export type KvState = string | null;

function stateKey(s: KvState): string {
  // A leading tag keeps null apart from the string "nil".
  return s === null ? '-' : '+' + s;
}

function signature(r: OpRecord, _out: OpRecord): string {
  return `${r.op}\u0001${r.outcome}\u0001${r.value === undefined || r.value === null ? '\u0002' : r.value}\u0001${r.expect === undefined || r.expect === null ? '\u0002' : r.expect}`;
}

function partitionByKey(ops: readonly LinOp<OpRecord, OpRecord>[]): LinOp<OpRecord, OpRecord>[][] {
  const byKey = new Map<string, LinOp<OpRecord, OpRecord>[]>();
  for (const op of ops) {
    const list = byKey.get(op.input.key);
    if (list) list.push(op);
    else byKey.set(op.input.key, [op]);
  }
  return [...byKey.values()];
}

const orNull = (v: string | null | undefined): KvState => (v === undefined ? null : v);

/** get / put / cas on one value. A failed cas compared unequal; an indeterminate one may have either result. */
function stepRegisterLike(s: KvState, r: OpRecord): KvState | undefined {
  switch (r.op) {
    case 'get':
      return s === orNull(r.value) ? s : undefined;
    case 'put':
      return orNull(r.value);
    case 'cas': {
      const equal = s === orNull(r.expect);
      if (r.outcome === 'ok') return equal ? orNull(r.value) : undefined;
      if (r.outcome === 'failed') return equal ? undefined : s;
      return equal ? orNull(r.value) : s;
    }
    case 'append':
      return undefined;
    default: {
      const never: never = r.op;
      throw new Error(`unknown op ${String(never)}`);
    }
  }
}

/**
 * Key-value object: get, put, append (concatenates to the value; a missing key counts as ""),
 * cas. `missingValue` is what a key holds before any write: null for kvsim's store, "" for
 * Porcupine's kv logs.
 */
export function kvModel(missingValue: string | null = null): Model<KvState, OpRecord, OpRecord> {
  return keyedModel('kv', missingValue, true);
}

/** Register: read (get), write (put), compare-and-set; append is not an operation of it. */
export function registerModel(initial: string | null = null): Model<KvState, OpRecord, OpRecord> {
  return keyedModel('register', initial, false);
}

/** The two models differ only in their name, initial value and whether append exists. */
function keyedModel(name: string, initial: string | null, appends: boolean): Model<KvState, OpRecord, OpRecord> {
  const model: Model<KvState, OpRecord, OpRecord> = {
    name,
    init: () => initial,
    step: appends ? (s, r) => (r.op === 'append' ? (s ?? '') + (r.value ?? '') : stepRegisterLike(s, r)) : (s, r) => stepRegisterLike(s, r),
    stateKey,
    signature,
    partition: partitionByKey,
    describeState: (s) => (s === null ? 'nil' : JSON.stringify(s)),
    isObserver,
    mayProduce,
  };
  model.specialize = (ops) => specializeKv(model, ops, appends);
  return model;
}

/** stateKey of every value no operation of the partition can observe. */
const UNOBSERVED_KEY = '!';

/**
 * The model restricted to one key's operations, merging the values nobody can see.
 *
 * A value is *observed* if a get returns it or a cas compares against it; with appends on the
 * key, a value is also observed if it is a prefix of an observed value (appends may still turn
 * it into one). Every unobserved value behaves the same under every operation of the key: gets
 * and successful cas fail, failed and indeterminate cas leave it unchanged, appends keep it
 * unobserved, puts replace it. So all unobserved values share one state key (a bisimulation:
 * exact), and a put or append whose result is unobserved from every state (a "killer": a put
 * of a value no read returns, an append whose text no read contains) is interchangeable with
 * any other killer: they share one signature, so the search never orders them among
 * themselves.
 *
 * Without failed cas, the unobserved state U is also the bottom of the simulation order:
 * every state allows whatever U allows (from U only puts, appends and cas that failed or
 * may not have happened can be linearized, and every state accepts those, leading to states
 * that again allow whatever U's successors allow). Then a killer is never needed to make a
 * linearization work — it can only destroy information — so:
 * - an optional killer can be left out (`neverNeeded`);
 * - a pending killer in state U is linearized at once (`eager`): later, it would lead to U
 *   again, which any state simulates.
 */
function specializeKv(
  base: Model<KvState, OpRecord, OpRecord>,
  ops: readonly LinOp<OpRecord, OpRecord>[],
  appends: boolean,
): Model<KvState, OpRecord, OpRecord> {
  // In the register model an append never succeeds: it changes no state and kills nothing.
  let hasAppend = false;
  let hasFailedCas = false;
  const observed = new Set<KvState>();
  for (const o of ops) {
    const r = o.input;
    if (r.op === 'append') hasAppend = appends;
    else if (r.op === 'get') observed.add(orNull(r.value));
    else if (r.op === 'cas') {
      observed.add(orNull(r.expect));
      if (r.outcome === 'failed') hasFailedCas = true;
    }
  }
  const observedStrings = [...observed].filter((v): v is string => v !== null).sort();
  /** Some observed string starts with s (binary search for the least string >= s). */
  const prefixOfObserved = (s: string): boolean => {
    let lo = 0;
    let hi = observedStrings.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (observedStrings[mid]! < s) lo = mid + 1;
      else hi = mid;
    }
    return lo < observedStrings.length && observedStrings[lo]!.startsWith(s);
  };
  const isObserved = (s: KvState): boolean => {
    if (observed.has(s)) return true;
    if (!hasAppend) return false;
    // A missing key appends like "".
    return prefixOfObserved(s ?? '');
  };
  const killer = (r: OpRecord): boolean => {
    if (r.op === 'put') return !isObserved(orNull(r.value));
    if (r.op === 'append' && hasAppend) {
      const a = r.value ?? '';
      return a !== '' && !observedStrings.some((v) => v.includes(a));
    }
    return false;
  };
  const bottom = !hasFailedCas;
  const model: Model<KvState, OpRecord, OpRecord> = {
    ...base,
    name: `${base.name}/observed`,
    step(s, r, out) {
      // An append to an unobserved value stays unobserved; skip building the longer string.
      if (r.op === 'append' && hasAppend && !isObserved(s)) return s;
      return base.step(s, r, out);
    },
    stateKey: (s) => (isObserved(s) ? base.stateKey(s) : UNOBSERVED_KEY),
    signature: (r, out) => (killer(r) ? `kill\u0001${r.outcome}` : base.signature(r, out)),
  };
  delete model.specialize;
  if (bottom) {
    model.eager = (s, r) => killer(r) && !isObserved(s);
    model.neverNeeded = (r) => killer(r);
  }
  return model;
}

const isObserver = (r: OpRecord): boolean => r.op === 'get';

/** Can `w` leave exactly the value get `g` returned? Conservative. */
function mayProduce(w: OpRecord, _wo: OpRecord, g: OpRecord): boolean {
  const v = orNull(g.value);
  switch (w.op) {
    case 'get':
      return false;
    case 'put':
      return orNull(w.value) === v;
    case 'cas':
      return w.outcome !== 'failed' && orNull(w.value) === v;
    case 'append':
      return v !== null && v.endsWith(w.value ?? '');
    default: {
      const never: never = w.op;
      throw new Error(`unknown op ${String(never)}`);
    }
  }
}

/**
 * For explanations: how many reads in the window return a value that neither a start state nor
 * the window's writes could produce (a put or cas of the value, or a start/put value followed
 * by appends in the window). The explainer only drops operations while this does not grow, so
 * it never "explains" a violation by deleting the write a read saw.
 */
export function kvUnexplainedReads(window: readonly LinOp<OpRecord, OpRecord>[], startStates: readonly KvState[]): number {
  const bases = new Set<KvState>(startStates);
  const appended: string[] = [];
  for (const op of window) {
    const r = op.input;
    if (r.op === 'put' || (r.op === 'cas' && r.outcome !== 'failed')) bases.add(orNull(r.value));
    else if (r.op === 'append' && r.value) appended.push(r.value);
  }
  let count = 0;
  for (const op of window) {
    const r = op.input;
    if (r.op !== 'get') continue;
    const v = orNull(r.value);
    if (!decomposes(v, bases, appended)) count++;
  }
  return count;
}

/** v = base + a1 + a2 + … with a base from `bases` and appends from `appended` (reuse allowed). */
function decomposes(v: KvState, bases: ReadonlySet<KvState>, appended: readonly string[]): boolean {
  if (bases.has(v)) return true;
  if (v === null || appended.length === 0) return false;
  // reachable[i]: v.slice(0, i) is a base followed by appends.
  const reachable = new Uint8Array(v.length + 1);
  if (bases.has('') || bases.has(null)) reachable[0] = 1;
  for (const b of bases) if (b !== null && v.startsWith(b)) reachable[b.length] = 1;
  for (let i = 0; i < v.length; i++) {
    if (reachable[i] !== 1) continue;
    for (const a of appended) if (v.startsWith(a, i)) reachable[i + a.length] = 1;
  }
  return reachable[v.length] === 1;
}
