// Shared by the history format tests.
import { UserError } from '../../src/base/errors.js';

/** The message of the UserError that `f` throws (fails the test if it throws none). */
export function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof UserError) return e.message;
    throw e;
  }
  throw new Error('no error');
}
