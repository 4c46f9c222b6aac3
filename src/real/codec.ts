// The one value codec of the real runtime: JSON, for disk records, wire frames and trace lines.
//
// Why JSON and not MessagePack (figures in README.md): on the store's own messages msgpackr was
// 1.0-1.3x as fast and 25-30 % smaller, 2x as fast only on whole-state snapshots (rare); that does
// not pay for a dependency, and JSON.parse of hostile bytes can only yield plain data (msgpackr's
// extensions can yield Dates, Maps, Sets, Errors), which keeps the "garbage closes the connection"
// rule simple.
//
// What JSON does not give back as written must never reach it: the simulator passes values by
// reference, so an `undefined` field, NaN or a Map survive there and would silently change here.
// `checkPlain` rejects them at the boundary (an assertion: only store code can write them).
import { AssertionError } from '../base/assert.js';

/** Bound on nesting depth of a stored or sent value (Raft entries are 3-4 deep). */
const PLAIN_DEPTH_MAX = 64;

export function encodeValue(value: unknown): string {
  return JSON.stringify(value);
}

export function decodeValue(text: string): unknown {
  return JSON.parse(text) as unknown;
}

/**
 * Throws an AssertionError unless `value` is plain JSON data that round-trips exactly: null,
 * booleans, strings, finite numbers, arrays of those, and objects with Object.prototype (or
 * null) whose fields are never undefined. `where` names the value in the message.
 * (-0 is accepted: it comes back as 0, and 0 === -0.)
 */
export function checkPlain(value: unknown, where: string): void {
  const problem = plainProblem(value, 0);
  if (problem !== null) throw new AssertionError(`${where}: not plain JSON data: ${problem}`);
}

function plainProblem(value: unknown, depth: number): string | null {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return null;
    case 'number':
      return Number.isFinite(value) ? null : `the number ${value}`;
    case 'object': {
      if (value === null) return null;
      if (depth >= PLAIN_DEPTH_MAX) return `nested deeper than ${PLAIN_DEPTH_MAX}`;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          const p = plainProblem(value[i], depth + 1);
          if (p !== null) return `[${i}]: ${p}`;
        }
        return null;
      }
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return `an instance of ${(value as object).constructor?.name ?? 'a class'}`;
      const obj = value as Record<string, unknown>;
      for (const key in obj) {
        const field = obj[key];
        if (field === undefined) return `.${key} is undefined`;
        const p = plainProblem(field, depth + 1);
        if (p !== null) return `.${key}${p.startsWith('[') || p.startsWith('.') ? '' : ': '}${p}`;
      }
      return null;
    }
    default:
      return `a ${typeof value}`;
  }
}
