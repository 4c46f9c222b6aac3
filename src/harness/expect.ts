// `expect` lines: assertions on the run summary, e.g. `elections: ">= 1"`,
// `checks.invariants.ok: true`, `checks.linearizable: false` (short for `.ok`).
import { UserError, locate } from '../base/errors.js';

export interface ExpectationResult {
  ok: boolean;
  failed: string[];
}

const COMPARISON = /^\s*(>=|<=|==|!=|>|<)\s*(-?\d+(?:\.\d+)?)\s*$/;

/** The value at a dotted path, or undefined if the path does not exist. */
export function valueAtPath(root: unknown, path: string): { found: boolean; value: unknown } {
  let node: unknown = root;
  for (const part of path.split('.')) {
    if (node === null || typeof node !== 'object' || !Object.prototype.hasOwnProperty.call(node, part)) {
      return { found: false, value: undefined };
    }
    node = (node as Record<string, unknown>)[part];
  }
  // `checks.X: true` means the check's verdict.
  if (node !== null && typeof node === 'object' && 'ok' in node) node = (node as { ok: unknown }).ok;
  return { found: true, value: node };
}

export function evaluateExpectations(
  file: string,
  expect: Record<string, boolean | number | null | string>,
  summary: unknown,
  positions: Map<string, { line: number; col: number }>,
): ExpectationResult {
  const failed: string[] = [];
  for (const [path, wanted] of Object.entries(expect)) {
    const { found, value } = valueAtPath(summary, path);
    if (!found) {
      const pos = positions.get(path);
      throw new UserError(
        locate(file, `unknown summary field "${path}"; expected a field of the run summary such as elections, staleReads, ops.ok, checks.invariants`, {
          line: pos?.line,
          col: pos?.col,
          path: `expect.${path}`,
        }),
      );
    }
    if (!holds(value, wanted)) failed.push(`${path}: expected ${JSON.stringify(wanted)}, got ${JSON.stringify(value)}`);
  }
  return { ok: failed.length === 0, failed };
}

function holds(value: unknown, wanted: boolean | number | null | string): boolean {
  if (typeof wanted !== 'string') return value === wanted;
  const match = COMPARISON.exec(wanted);
  if (match === null) return value === wanted;
  if (typeof value !== 'number') return false;
  const bound = Number(match[2]);
  switch (match[1]) {
    case '>=': return value >= bound;
    case '<=': return value <= bound;
    case '>': return value > bound;
    case '<': return value < bound;
    case '==': return value === bound;
    case '!=': return value !== bound;
    default: return false;
  }
}
