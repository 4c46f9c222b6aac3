// One typed verdict per check, built from each checker's result. These are what a run summary's
// `checks` object holds (and what `--json` prints), so field names and their order are part of
// the command-line contract and of the trace hash (the run.summary event carries them): change
// a builder here only on purpose.
//
// Every verdict has `ok` (true, false, or null when the check does not apply to the run) and,
// when it failed or could not decide, a one-line `message`.
import type { RaftViolation, RaftInvariantStats } from '../check/raft-invariants.js';
import type { LinCheckResult, LinExplanation, LinVerdict } from '../check/linearizability.js';
import type { ConvergenceResult, EventualResult, EventualViolation, StalenessReport } from '../check/eventual.js';
import type { DurabilityResult } from '../check/durability.js';
import { livenessMessage, type LivenessResult } from '../check/liveness.js';
import { placementMessage, type PlacementResult } from '../check/placement.js';
import type { RaftEvent } from '../trace/events-raft.js';
import { assert } from '../base/assert.js';

/** The check does not apply to this run (the ping demo has no Raft, no history). */
export interface NotApplicable {
  readonly ok: null;
}
export const NOT_APPLICABLE: NotApplicable = { ok: null };

export type InvariantsVerdict =
  | ({ readonly ok: true } & RaftInvariantStats)
  | {
      readonly ok: false;
      readonly check: RaftViolation['check'];
      readonly atUs: number;
      readonly group: number;
      readonly message: string;
      readonly events: readonly RaftEvent[];
    };

export interface LinearizableVerdict {
  readonly ok: boolean | null;
  readonly verdict: LinVerdict;
  /** The search used its work budget: neither proved nor refuted. */
  readonly undecided?: true;
  readonly keys: number;
  readonly ops: number;
  readonly message?: string;
  readonly explanation?: LinExplanation;
}

export interface EventualVerdict {
  readonly ok: boolean;
  readonly violations: readonly EventualViolation[];
  readonly diverged: ConvergenceResult['diverged'];
  readonly staleness: StalenessReport;
  readonly message?: string;
}

export interface DurabilityVerdict extends DurabilityResult {
  readonly message?: string;
}

export interface LivenessVerdict extends LivenessResult {
  readonly message?: string;
}

export interface PlacementVerdict extends PlacementResult {
  readonly message?: string;
}

/** A run's checks, by name (the order is the order of the summary and of `--json`). */
export interface Checks {
  readonly invariants: InvariantsVerdict | NotApplicable;
  readonly linearizable: LinearizableVerdict | NotApplicable;
  readonly eventual: EventualVerdict | NotApplicable;
  readonly durability: DurabilityVerdict | NotApplicable;
  readonly liveness: LivenessVerdict | NotApplicable;
  /** Only when a placement driver manages membership (joins, leaves, replaces, read replicas). */
  readonly placement: PlacementVerdict | NotApplicable;
}
export type CheckName = keyof Checks;
export const CHECK_NAMES: readonly CheckName[] = ['invariants', 'linearizable', 'eventual', 'durability', 'liveness', 'placement'];

/** Any check's verdict, as the summary's readers see it. */
export type AnyVerdict = Checks[CheckName];

/** The failure or undecided message of a verdict, if it has one. */
export function messageOf(v: AnyVerdict): string | undefined {
  return 'message' in v ? v.message : undefined;
}

export function isUndecided(v: AnyVerdict): boolean {
  return 'undecided' in v && v.undecided === true;
}

/** Nothing failed for sure, but some check could not decide (exit 3 when nothing else failed). */
export function anyUndecided(checks: Checks): boolean {
  return CHECK_NAMES.some((name) => isUndecided(checks[name]));
}

export function invariantsVerdict(violation: RaftViolation | null, stats: RaftInvariantStats): InvariantsVerdict {
  if (violation === null) return { ok: true, ...stats };
  return {
    ok: false,
    check: violation.check,
    atUs: violation.t,
    group: violation.group,
    message: `${violation.check}${violation.group >= 0 ? ` in shard ${violation.group}` : ''} at ${violation.t}us: ${violation.message}`,
    events: violation.events,
  };
}

export function linearizableVerdict(lin: LinCheckResult, ops: number, budgetPolls: number): LinearizableVerdict {
  assert(lin.verdict !== 'not-linearizable' || lin.explanation !== undefined, 'a refuted history comes with an explanation');
  return {
    ok: lin.verdict === 'linearizable' ? true : lin.verdict === 'not-linearizable' ? false : null,
    verdict: lin.verdict,
    ...(lin.verdict === 'unknown' && {
      undecided: true as const,
      message: `undecided: the search used its work budget (checks.linearizabilityBudget ${budgetPolls})`,
    }),
    keys: lin.keys,
    ops,
    ...(lin.explanation !== undefined && { message: lin.explanation.text.split('\n')[0], explanation: lin.explanation }),
  };
}

export function eventualVerdict(eventual: EventualResult, convergence: ConvergenceResult): EventualVerdict {
  return {
    ok: eventual.ok && convergence.ok,
    violations: eventual.violations.slice(0, 5),
    diverged: convergence.diverged,
    staleness: eventual.staleness,
    ...(eventual.ok ? {} : { message: eventual.violations[0]?.message }),
    ...(convergence.ok
      ? {}
      : { message: `replicas did not converge: ${convergence.diverged.map((d) => `${d.machine}/shard ${d.shard}`).join(', ')}` }),
  };
}

export function durabilityVerdict(d: DurabilityResult): DurabilityVerdict {
  assert(d.ok === (d.lost.length === 0 && d.misrouted.length === 0), 'durability holds exactly when nothing is lost or misrouted');
  if (d.ok) return { ok: d.ok, acknowledged: d.acknowledged, lost: d.lost, misrouted: d.misrouted };
  const lost = d.lost[0];
  const misrouted = d.misrouted[0];
  const message =
    lost !== undefined
      ? `acknowledged put op ${lost.op} (${lost.key} at index ${lost.index}) lost on ${lost.machine}`
      : `acknowledged put op ${misrouted!.op} of ${misrouted!.key} stored in shard ${misrouted!.shard}, which does not own it (shard ${misrouted!.owner} does)`;
  return { ok: d.ok, acknowledged: d.acknowledged, lost: d.lost, misrouted: d.misrouted, message };
}

export function livenessVerdict(l: LivenessResult): LivenessVerdict {
  const message = livenessMessage(l);
  return { ...l, ...(message !== undefined && { message }) };
}

export function placementVerdict(p: PlacementResult): PlacementVerdict {
  const message = placementMessage(p);
  return { ...p, ...(message !== undefined && { message }) };
}
