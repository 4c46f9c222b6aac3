// Which stretch of the run the space-time diagram shows: chosen with --window, else around the
// first violation, else around the first election after a fault.
import { UserError } from '../base/errors.js';
import { parseTimeUs } from '../base/time.js';
import type { ReportModel } from './aggregate.js';

export interface TimeWindow {
  fromUs: number;
  toUs: number;
  /** Why this window, in words for the report. */
  reason: string;
}

/** Around a violation: enough before it to see the messages that led there. */
const VIOLATION_BEFORE_US = 20_000;
const VIOLATION_AFTER_US = 10_000;
/** Around an election: the pre-vote and vote rounds come just before `elected`. */
const ELECTION_BEFORE_US = 30_000;
const ELECTION_AFTER_US = 10_000;
const FALLBACK_SPAN_US = 40_000;

export const WINDOW_EXPECTED = 'a window like 2.1s..2.15s or 2100ms..2150ms (a bare number is seconds)';

/** `FROM..TO`, each a time like 2.1s or 2100ms; throws a UserError naming the flag. */
export function parseWindow(text: string, flag = '--window'): { fromUs: number; toUs: number } {
  const parts = text.split('..');
  if (parts.length !== 2) throw new UserError(`${flag}: expected ${WINDOW_EXPECTED}, got "${text}"`);
  const fromUs = parseTimeUs(parts[0]!);
  const toUs = parseTimeUs(parts[1]!);
  if (fromUs === undefined || toUs === undefined) throw new UserError(`${flag}: expected ${WINDOW_EXPECTED}, got "${text}"`);
  if (toUs <= fromUs) throw new UserError(`${flag}: the window ${text} is empty (end not after start)`);
  return { fromUs, toUs };
}

export interface ViolationTime {
  tUs: number;
  what: string;
}

/** The earliest violation the run's verdicts place in time. */
export function firstViolation(model: ReportModel, eventualOpUs?: number): ViolationTime | undefined {
  const found: ViolationTime[] = [];
  const v = model.verdicts;
  if (v === null) return undefined;
  for (const c of v.checks) if (c.ok === false && c.atUs !== undefined) found.push({ tUs: c.atUs, what: `${c.name} violation` });
  if (v.linViolation !== undefined) {
    const f = v.linViolation.failing;
    found.push({ tUs: f.completeUs ?? f.invokeUs, what: `linearizability violation (op #${f.id} on ${v.linViolation.key})` });
  }
  if (eventualOpUs !== undefined && v.eventualViolations[0] !== undefined) {
    found.push({ tUs: eventualOpUs, what: `eventual-consistency violation (${v.eventualViolations[0].kind}, op #${v.eventualViolations[0].op})` });
  }
  found.sort((a, b) => a.tUs - b.tUs);
  return found[0];
}

export function defaultWindow(model: ReportModel, eventualOpUs?: number): TimeWindow {
  const clamp = (fromUs: number, toUs: number, reason: string): TimeWindow => ({ fromUs: Math.max(0, fromUs), toUs: Math.max(toUs, 1), reason });
  const violation = firstViolation(model, eventualOpUs);
  if (violation !== undefined) return clamp(violation.tUs - VIOLATION_BEFORE_US, violation.tUs + VIOLATION_AFTER_US, `around the first ${violation.what} at ${violation.tUs}us`);
  const firstFault = model.faults[0];
  const election = firstFault === undefined ? model.elections[0] : model.elections.find((e) => e.tUs >= firstFault.startUs);
  if (election !== undefined) {
    const after = firstFault === undefined ? '' : ` after the first fault (${firstFault.action} at ${firstFault.startUs}us)`;
    return clamp(election.tUs - ELECTION_BEFORE_US, election.tUs + ELECTION_AFTER_US, `around the first election${after}: shard ${election.group}, ${election.replica} in term ${election.term}`);
  }
  const startUs = firstFault?.startUs ?? 0;
  return clamp(startUs, startUs + FALLBACK_SPAN_US, firstFault === undefined ? 'the start of the run (no fault and no election)' : 'the first fault (no election after it)');
}
