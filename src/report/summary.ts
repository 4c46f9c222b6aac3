// The verdicts a trace carries in its run.summary event, read back as typed values.
// run.summary's `summary` is free-form JSON (each check adds its own details), so this is a
// parse boundary: every field is checked before use and anything unexpected is left out.
import type { LinExplanation } from '../check/linearizability.js';
import type { OpRecord } from '../history/op.js';
import { validateOpRecord } from '../history/op.js';

export interface CheckVerdict {
  name: string;
  /** null: not applicable to this run. */
  ok: boolean | null;
  message?: string;
  /** Simulated time the check points at, when it names one. */
  atUs?: number;
}

/** The linearizability checker's explanation, as `run.summary` carries it. */
export type LinViolation = LinExplanation;

export interface EventualViolationRef {
  kind: string;
  op: number;
  message: string;
}

export interface StalenessSummary {
  reads: number;
  stale: number;
  versionsBehind: { p50: number; p99: number; max: number };
  timeBehindUs: { p50: number; p99: number; max: number };
}

/** One region's figures as the run summary's `byRegion` gives them (src/harness/geo.ts: from the client history). */
export interface SummaryLatency {
  ops: number;
  ok: number;
  p50Us: number;
  p99Us: number;
}

export interface SummaryRead extends SummaryLatency {
  stale: number;
  staleShare: number;
  stalenessP99Us: number;
}

export interface SummaryRegion {
  clients: number;
  put: SummaryLatency;
  reads: Record<string, SummaryRead>;
}

export interface RunVerdicts {
  checks: CheckVerdict[];
  linViolation?: LinViolation;
  eventualViolations: EventualViolationRef[];
  staleness?: StalenessSummary;
  ops?: { total: number; ok: number; failed: number; indeterminate: number };
  elections?: number;
  staleReads?: number;
  /** Only for a run with a topology, and only when the summary carries it. */
  byRegion?: Record<string, SummaryRegion>;
  writesMaxGapUs?: number;
}

function obj(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function pct(v: unknown): { p50: number; p99: number; max: number } {
  const o = obj(v);
  return { p50: num(o?.['p50']) ?? 0, p99: num(o?.['p99']) ?? 0, max: num(o?.['max']) ?? 0 };
}

function latencyFigures(v: unknown): SummaryLatency {
  const o = obj(v);
  return { ops: num(o?.['ops']) ?? 0, ok: num(o?.['ok']) ?? 0, p50Us: num(o?.['p50Us']) ?? 0, p99Us: num(o?.['p99Us']) ?? 0 };
}

function regionFigures(v: unknown): SummaryRegion | undefined {
  const o = obj(v);
  if (o === undefined) return undefined;
  const reads: Record<string, SummaryRead> = {};
  for (const [level, raw] of Object.entries(obj(o['reads']) ?? {})) {
    const r = obj(raw);
    if (r === undefined) continue;
    reads[level] = { ...latencyFigures(r), stale: num(r['stale']) ?? 0, staleShare: num(r['staleShare']) ?? 0, stalenessP99Us: num(r['stalenessP99Us']) ?? 0 };
  }
  return { clients: num(o['clients']) ?? 0, put: latencyFigures(o['put']), reads };
}

function opRecord(v: unknown): OpRecord | undefined {
  const r = validateOpRecord(v);
  return typeof r === 'string' ? undefined : r;
}

export function parseVerdicts(summary: Record<string, unknown>): RunVerdicts {
  const out: RunVerdicts = { checks: [], eventualViolations: [] };
  const checks = obj(summary['checks']) ?? {};
  for (const [name, raw] of Object.entries(checks)) {
    const c = obj(raw);
    if (c === undefined) continue;
    const ok = c['ok'] === true ? true : c['ok'] === false ? false : null;
    const verdict: CheckVerdict = { name, ok };
    const message = str(c['message']);
    if (message !== undefined) verdict.message = message;
    const atUs = num(c['atUs']);
    if (atUs !== undefined) verdict.atUs = atUs;
    out.checks.push(verdict);
    if (name === 'linearizable') {
      const ex = obj(c['explanation']);
      const failing = opRecord(ex?.['failing']);
      const windowRaw = ex?.['window'];
      if (ex !== undefined && failing !== undefined && Array.isArray(windowRaw)) {
        const window = windowRaw.map(opRecord).filter((r): r is OpRecord => r !== undefined);
        const lin: LinViolation = { key: str(ex['key']) ?? failing.key, failing, window, partitionOps: num(ex['partitionOps']) ?? window.length, text: str(ex['text']) ?? '' };
        const starts = ex['startStates'];
        if (Array.isArray(starts)) lin.startStates = starts.filter((s): s is string | null => s === null || typeof s === 'string');
        out.linViolation = lin;
      }
    }
    if (name === 'eventual') {
      const violations = c['violations'];
      if (Array.isArray(violations)) {
        for (const v of violations) {
          const o = obj(v);
          const op = num(o?.['op']);
          if (o === undefined || op === undefined) continue;
          out.eventualViolations.push({ kind: str(o['kind']) ?? 'violation', op, message: str(o['message']) ?? '' });
        }
      }
      const st = obj(c['staleness']);
      if (st !== undefined) {
        out.staleness = { reads: num(st['reads']) ?? 0, stale: num(st['stale']) ?? 0, versionsBehind: pct(st['versionsBehind']), timeBehindUs: pct(st['timeBehindUs']) };
      }
    }
  }
  const ops = obj(summary['ops']);
  if (ops !== undefined) out.ops = { total: num(ops['total']) ?? 0, ok: num(ops['ok']) ?? 0, failed: num(ops['failed']) ?? 0, indeterminate: num(ops['indeterminate']) ?? 0 };
  const elections = num(summary['elections']);
  if (elections !== undefined) out.elections = elections;
  const staleReads = num(summary['staleReads']);
  if (staleReads !== undefined) out.staleReads = staleReads;
  const byRegion = obj(summary['byRegion']);
  if (byRegion !== undefined) {
    const regions: Record<string, SummaryRegion> = {};
    for (const [region, raw] of Object.entries(byRegion)) {
      const figures = regionFigures(raw);
      if (figures !== undefined) regions[region] = figures;
    }
    out.byRegion = regions;
  }
  const maxGapUs = num(obj(summary['writes'])?.['maxGapUs']);
  if (maxGapUs !== undefined) out.writesMaxGapUs = maxGapUs;
  return out;
}

