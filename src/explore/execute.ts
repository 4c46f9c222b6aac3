// Runs one scenario text for one seed, in process, the way `kvsim run FILE --seed N` does
// (same parsing, same engine choice, same bugs), and reduces the result to what exploration
// needs: the trace hash, which check failed, the coverage counters and the sizes shrinking
// measures. Optionally keeps every event (as JSON) to locate a divergence.
import { engineFactoryFor } from '../harness/engines.js';
import { UserError } from '../base/errors.js';
import { parseScenarioText } from '../scenario/load.js';
import { runScenario, type EngineFactory } from '../harness/runner.js';
import type { Scenario } from '../scenario/schema.js';
import { Tracer } from '../trace/tracer.js';
import { CoverageObserver, type CoverageCounts } from './coverage.js';
import { CHECK_NAMES, isUndecided, messageOf } from '../harness/verdicts.js';

/** The checks in the order a failure is named by (the first failing one). */
/** The order checks are reported in (the first failing one names a failure). */
export const CHECK_ORDER = CHECK_NAMES;
/** A run that threw an assertion (a found bug) fails this pseudo-check. */
export const CHECK_ASSERTION = 'assertion';
/** A run whose checks held but an `expect` line did not. */
export const CHECK_EXPECTATIONS = 'expectations';

export interface Failure {
  check: string;
  message: string;
}

export interface RunOutcome {
  seed: number;
  traceHash: string;
  events: number;
  /** The first failing check (CHECK_ORDER), else assertion or expectations; null when all held. */
  failure: Failure | null;
  /** Every check that failed (a shrink keeps the target one among them). */
  failing: string[];
  /** The message of each failing check. */
  messages: Record<string, string>;
  /** Checks that could not decide (a linearizability search out of budget): exit 3 if nothing failed. */
  undecided: string[];
  coverage: CoverageCounts;
  ops: number;
  faultsFired: number;
  /** Every event as JSON, when asked for (determinism diagnosis). */
  eventLog?: string[];
}

export interface ExecuteOptions {
  captureEvents?: boolean;
  /** Replaces the engine `kvsim run` would pick (tests plant processes this way). */
  engineFactory?: (scenario: Scenario, bugs: readonly string[]) => EngineFactory;
}

export function executeScenario(file: string, text: string, seed: number, bugs: readonly string[], options: ExecuteOptions = {}): RunOutcome {
  const loaded = parseScenarioText(file, text);
  const tracer = new Tracer();
  const coverage = new CoverageObserver();
  let completed = 0;
  tracer.listen((event) => {
    coverage.observe(event);
    if (event.type === 'client.complete') completed++;
  });
  const eventLog: string[] | undefined = options.captureEvents ? [] : undefined;
  if (eventLog !== undefined) tracer.listen((event) => eventLog.push(JSON.stringify(event)));
  const factory = (options.engineFactory ?? engineFactoryFor)(loaded.scenario, bugs);
  try {
    const summary = runScenario(loaded, { seed, bugs, tracer }, factory);
    const failing: string[] = [];
    const messages: Record<string, string> = {};
    for (const name of CHECK_ORDER) {
      const verdict = summary.checks[name];
      if (verdict.ok !== false) continue;
      failing.push(name);
      messages[name] = messageOf(verdict) ?? `${name} failed`;
    }
    if (failing.length === 0 && !summary.ok) {
      failing.push(CHECK_EXPECTATIONS);
      messages[CHECK_EXPECTATIONS] = summary.expectations.failed.join('; ');
    }
    const failure: Failure | null = failing.length > 0 ? { check: failing[0]!, message: messages[failing[0]!]! } : null;
    return {
      seed,
      traceHash: summary.traceHash,
      events: summary.events,
      failure,
      failing,
      messages,
      undecided: CHECK_ORDER.filter((name) => isUndecided(summary.checks[name])),
      coverage: coverage.counts(),
      ops: summary.ops.total,
      faultsFired: summary.faults,
      ...(eventLog !== undefined && { eventLog }),
    };
  } catch (err) {
    if (!(err instanceof Error) || err instanceof UserError) throw err;
    // An exception inside a simulation is a found bug; the trace up to it still hashes.
    return {
      seed,
      traceHash: tracer.hash(),
      events: tracer.events,
      failure: { check: CHECK_ASSERTION, message: err.message },
      failing: [CHECK_ASSERTION],
      messages: { [CHECK_ASSERTION]: err.message },
      undecided: [],
      coverage: coverage.counts(),
      ops: completed,
      faultsFired: 0,
      ...(eventLog !== undefined && { eventLog }),
    };
  }
}
