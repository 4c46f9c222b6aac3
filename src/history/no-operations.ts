// The one error for a file in which nothing is an operation of the format it was read as:
// probably the wrong --format (an empty file, or Jepsen's `[]`, is an empty history instead).
import { UserError, locate } from '../base/errors.js';

export function noOperations(file: string, format: string): UserError {
  return new UserError(locate(file, `no operations of format ${format} found; is this the right --format?`));
}
