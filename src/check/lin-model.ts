// The sequential specification a history is checked against. A model is a plain value; the
// search never looks inside states except through these functions.

/** One operation of a partition, as the search sees it. */
export interface LinOp<I, O> {
  input: I;
  output: O;
  invokeUs: number;
  /** null: no return event; see `optional`. */
  completeUs: number | null;
  /**
   * Optional operations (timed-out writes) may take effect at any moment after invocation, or
   * never. A required operation with completeUs null must take effect before the history ends.
   */
  optional: boolean;
}

export interface Model<S, I, O> {
  readonly name: string;
  init(): S;
  /** The state after applying `input` that produced `output`, or undefined if impossible. */
  step(state: S, input: I, output: O): S | undefined;
  /** Canonical form: equal keys if and only if equal states. */
  stateKey(state: S): string;
  /**
   * Operations with equal signatures have the same input and output, so one may stand for the
   * other (the search uses it to skip symmetric orders). Return a unique string to opt out.
   */
  signature(input: I, output: O): string;
  /** Splits a history into independent parts (e.g. per key); absent = one part. */
  partition?(ops: readonly LinOp<I, O>[]): LinOp<I, O>[][];
  describeState?(state: S): string;
  /**
   * Pruning hints (both or neither). `isObserver`: the operation never changes the state (a
   * read). `mayProduce`: could applying `writer` leave a state the observer accepts? It must
   * answer true when unsure. With them the search drops a configuration as soon as a pending
   * read can no longer be satisfied: its state is not accepted and every operation that could
   * produce an accepted state has already been linearized.
   */
  isObserver?(input: I, output: O): boolean;
  mayProduce?(writerInput: I, writerOutput: O, observerInput: I, observerOutput: O): boolean;
  /**
   * The model restricted to one partition's operations. It may merge states that no operation
   * of the partition can tell apart (equal `stateKey`), give interchangeable operations equal
   * signatures, and offer `eager` / `neverNeeded`. Must be exact for any subset of `ops` too
   * (the explainer searches sub-windows with it).
   */
  specialize?(ops: readonly LinOp<I, O>[]): Model<S, I, O>;
  /**
   * Linearizing this pending operation right now, in `state`, is never worse than doing it
   * later: `step(state)` has the same key as `state`, and every state `t` simulates
   * `step(t, op)` (whatever it allows afterwards, `t` allows too). The search then does it at
   * once instead of branching on it.
   */
  eager?(state: S, input: I, output: O): boolean;
  /**
   * An optional operation that no linearization needs: leaving it out of one keeps it valid.
   * The search ignores such operations.
   */
  neverNeeded?(input: I, output: O): boolean;
}

/** A model whose step may lead to several states. */
export interface NondeterministicModel<S, I, O> {
  readonly name: string;
  init(): S[];
  step(state: S, input: I, output: O): S[];
  stateKey(state: S): string;
  signature(input: I, output: O): string;
  partition?(ops: readonly LinOp<I, O>[]): LinOp<I, O>[][];
}

/**
 * Turns a nondeterministic model into a deterministic one whose states are sets of states
 * (sorted and deduplicated by key so equal sets have equal keys).
 */
export function powerSetModel<S, I, O>(m: NondeterministicModel<S, I, O>): Model<readonly S[], I, O> {
  const normalize = (states: S[]): S[] => {
    const byKey = new Map<string, S>();
    for (const s of states) byKey.set(m.stateKey(s), s);
    return [...byKey.keys()].sort().map((k) => byKey.get(k)!);
  };
  const model: Model<readonly S[], I, O> = {
    name: `powerset(${m.name})`,
    init: () => normalize(m.init()),
    step(states, input, output) {
      const next: S[] = [];
      for (const s of states) for (const t of m.step(s, input, output)) next.push(t);
      return next.length === 0 ? undefined : normalize(next);
    },
    stateKey: (states) => JSON.stringify(states.map((s) => m.stateKey(s))),
    signature: (input, output) => m.signature(input, output),
  };
  if (m.partition) model.partition = m.partition.bind(m);
  return model;
}
