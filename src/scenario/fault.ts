// A fault's action as a discriminated union, parsed once from the validated scenario shape
// (`FaultSpec`, one optional key per action, which stays the YAML-facing form that generators
// and the shrinker write). The fault scheduler and the engines switch on `kind` with an
// exhaustiveness check, so a new action is one case here, one in `actionOf`, and then whatever
// the compiler names.
import { assertNever, AssertionError } from '../base/assert.js';
import { parseDurationUs } from '../base/time.js';
import { FAULT_ACTIONS, type FaultActionName, type FaultSpec } from './schema.js';
import type { ProtocolEventName } from './protocol-events.js';
import type { MessageClass } from '../store/protocol.js';

/** A target as written (n3, random, leader(shard 2), ...); see target.ts. */
type TargetText = string;
type Side = readonly TargetText[];

export type FaultAction =
  | { readonly kind: 'partition'; readonly sides: readonly Side[] }
  | { readonly kind: 'isolate'; readonly target: TargetText }
  | { readonly kind: 'oneway'; readonly from: Side; readonly to: Side }
  | { readonly kind: 'bridge'; readonly sides: readonly [readonly string[], readonly string[]]; readonly via: string }
  | { readonly kind: 'heal' }
  | { readonly kind: 'crash'; readonly target: TargetText }
  | { readonly kind: 'restart'; readonly target: TargetText | 'all' }
  | { readonly kind: 'pause'; readonly target: TargetText }
  | { readonly kind: 'resume'; readonly target: TargetText | 'all' }
  | { readonly kind: 'skew'; readonly target: TargetText; readonly offsetUs: number; readonly driftPpm: number }
  | { readonly kind: 'drop'; readonly probability: number }
  | { readonly kind: 'duplicate'; readonly probability: number }
  | { readonly kind: 'delay'; readonly extraUs: number; readonly links: DelayLinks | null }
  | { readonly kind: 'reorder'; readonly on: boolean }
  | { readonly kind: 'clog'; readonly links: { readonly around: TargetText } | { readonly from: TargetText; readonly to: TargetText } }
  | { readonly kind: 'slowDisk'; readonly target: TargetText; readonly factor: number }
  | { readonly kind: 'spike'; readonly factor: number; readonly key: string | null }
  | { readonly kind: 'transfer'; readonly shard: number; readonly to: TargetText | null }
  | { readonly kind: 'join'; readonly machine: string }
  | { readonly kind: 'leave'; readonly machine: string }
  | { readonly kind: 'replace'; readonly machine: string }
  /** `messages`: the classes of messages garbled (null: every message). */
  | { readonly kind: 'garble'; readonly probability: number; readonly messages: readonly MessageClass[] | null };

/** The links a targeted delay slows: between two targets (both ways), or around one. */
export type DelayLinks = { readonly between: readonly [TargetText, TargetText] } | { readonly around: TargetText };

export type FaultKind = FaultAction['kind'];

// Every action key of the schema is a kind, and no kind lacks a key: a compile-time check.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const KINDS_MATCH_SCHEMA: Same<FaultKind, FaultActionName> = true;
void KINDS_MATCH_SCHEMA;

/** Every action, in the schema's order (the generator draws kinds by position in this list). */
export const FAULT_KINDS: readonly FaultKind[] = FAULT_ACTIONS;

/**
 * Whether an action stays in force until undone (by its `for`, a later heal/restart/resume, or
 * the settle at the end of the run) rather than being done once. A `Record` over every kind:
 * a new kind that is not listed here does not compile.
 */
const LASTING: Readonly<Record<FaultKind, boolean>> = {
  partition: true,
  isolate: true,
  oneway: true,
  bridge: true,
  heal: false,
  crash: true,
  restart: false,
  pause: true,
  resume: false,
  skew: true,
  drop: true,
  duplicate: true,
  delay: true,
  reorder: true,
  clog: true,
  slowDisk: true,
  spike: true,
  transfer: false,
  join: false,
  leave: false,
  replace: false,
  garble: true,
};

export function isLasting(kind: FaultKind): boolean {
  return LASTING[kind];
}

/** A kind named in a trace (which may come from another version): lasting only if known to be. */
export function isLastingName(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(LASTING, name) && LASTING[name as FaultKind];
}

/**
 * The one action key a fault has: a validated fault, or the YAML-facing input form the
 * generator and shrinker write (the same keys, before defaults and conversions).
 */
export function actionName(fault: Partial<Record<FaultActionName, unknown>>): FaultActionName {
  for (const name of FAULT_ACTIONS) if (fault[name] !== undefined) return name;
  throw new AssertionError('a validated fault has an action');
}

/** A signed duration such as "-50ms" (validated by the schema). */
function signedDurationUs(text: string): number {
  const negative = text.startsWith('-');
  return (negative ? -1 : 1) * (parseDurationUs(negative ? text.slice(1) : text) ?? 0);
}

export function actionOf(f: FaultSpec): FaultAction {
  const kind = actionName(f);
  switch (kind) {
    case 'partition':
      return { kind, sides: f.partition! };
    case 'isolate':
      return { kind, target: f.isolate! };
    case 'oneway':
      return { kind, from: f.oneway!.from, to: f.oneway!.to };
    case 'bridge':
      return { kind, sides: f.bridge!.sides, via: f.bridge!.via };
    case 'heal':
      return { kind };
    case 'crash':
      return { kind, target: f.crash! };
    case 'restart':
      return { kind, target: f.restart! };
    case 'pause':
      return { kind, target: f.pause! };
    case 'resume':
      return { kind, target: f.resume! };
    case 'skew':
      return { kind, target: f.skew!.machine, offsetUs: signedDurationUs(f.skew!.offset ?? '0'), driftPpm: f.skew!.driftPpm ?? 0 };
    case 'drop':
      return { kind, probability: f.drop! };
    case 'duplicate':
      return { kind, probability: f.duplicate! };
    case 'garble': {
      const g = f.garble!;
      return typeof g === 'number' ? { kind, probability: g, messages: null } : { kind, probability: g.rate, messages: [...new Set(g.messages)] };
    }
    case 'delay': {
      const d = f.delay!;
      if (typeof d === 'number') return { kind, extraUs: d, links: null };
      return { kind, extraUs: d.extra, links: d.between !== undefined ? { between: d.between } : { around: d.around! } };
    }
    case 'reorder':
      return { kind, on: f.reorder! };
    case 'clog': {
      const c = f.clog!;
      return { kind, links: typeof c === 'string' ? { around: c } : { from: c.from, to: c.to } };
    }
    case 'slowDisk':
      return { kind, target: f.slowDisk!.machine, factor: f.slowDisk!.factor };
    case 'spike':
      return { kind, factor: f.spike!.factor, key: f.spike!.key ?? null };
    case 'transfer':
      return { kind, shard: f.transfer!.shard, to: f.transfer!.to ?? null };
    case 'join':
      return { kind, machine: f.join! };
    case 'leave':
      return { kind, machine: f.leave! };
    case 'replace':
      return { kind, machine: f.replace! };
    default:
      return assertNever(kind, 'fault action');
  }
}

/** A `when` that waits for a state (a leader elected, operations completed). */
export type StateCondition = Pick<NonNullable<FaultSpec['when']>, 'leaderElected' | 'opsCompleted'>;

/**
 * When a fault fires: once at a time, every interval in a window, once a condition holds, or
 * the nth time a protocol event happens (of one shard, if it says), after a delay.
 */
export type FaultTrigger =
  | { readonly kind: 'at'; readonly atUs: number }
  | { readonly kind: 'every'; readonly everyUs: number; readonly fromUs: number; readonly untilUs: number | null }
  | { readonly kind: 'when'; readonly condition: StateCondition }
  | { readonly kind: 'event'; readonly event: ProtocolEventName; readonly shard: number | null; readonly nth: number; readonly delayUs: number };

export function triggerOf(f: FaultSpec): FaultTrigger {
  if (f.at !== undefined) return { kind: 'at', atUs: f.at };
  if (f.every !== undefined) return { kind: 'every', everyUs: f.every, fromUs: f.from ?? f.every, untilUs: f.until ?? null };
  if (f.when?.event !== undefined) {
    const w = f.when;
    return { kind: 'event', event: f.when.event, shard: w.shard ?? null, nth: w.nth ?? 1, delayUs: w.delay ?? 0 };
  }
  if (f.when !== undefined) return { kind: 'when', condition: f.when };
  throw new AssertionError('a validated fault has a trigger');
}
