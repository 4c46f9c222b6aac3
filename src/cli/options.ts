// Parsing of flag values shared by commands. Bad values are UserErrors naming the flag.
import { mkdirSync } from 'node:fs';
import { UserError } from './errors.js';

export function parseSeed(text: string | undefined, flag = '--seed'): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new UserError(`${flag}: expected a non-negative integer, got "${text}"`);
  }
  return Number(text);
}

export function parsePositiveInt(text: string, flag: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1 || !Number.isSafeInteger(Number(text))) {
    throw new UserError(`${flag}: expected a positive integer, got "${text}"`);
  }
  return Number(text);
}

/** `A..B` inclusive, e.g. `1..100`. */
export function parseSeedRange(text: string, flag = '--seeds'): { from: number; to: number } {
  const match = /^(\d+)\.\.(\d+)$/.exec(text);
  if (match === null) throw new UserError(`${flag}: expected a range like 1..100, got "${text}"`);
  const from = Number(match[1]);
  const to = Number(match[2]);
  if (to < from) throw new UserError(`${flag}: the range ${text} is empty (end before start)`);
  return { from, to };
}

export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** A report is drawn from the trace: `--report DIR` without `--trace` writes it to DIR/trace.jsonl (DIR is created). */
export function traceForReport(report: string | undefined, trace: string | undefined): string | undefined {
  if (report === undefined || trace !== undefined) return trace;
  try {
    mkdirSync(report, { recursive: true });
  } catch {
    throw new UserError(`--report: cannot create the directory ${report}`);
  }
  return `${report.replace(/\/+$/, '')}/trace.jsonl`;
}
