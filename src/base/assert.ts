// Assertions: errors only a programmer can cause. In a simulation an assertion failure is a
// found bug with a seed attached, so it is told apart from every other error by its type (and,
// across worker threads, where only the message survives, by `isAssertionMessage`).

const PREFIX = 'assertion: ';

export class AssertionError extends Error {
  /** The condition that failed, without the prefix. */
  readonly what: string;
  constructor(what: string) {
    super(`${PREFIX}${what}`);
    this.name = 'AssertionError';
    this.what = what;
  }
}

/** Throws an AssertionError naming `what` unless `condition` holds. */
export function assert(condition: unknown, what: string | (() => string)): asserts condition {
  if (!condition) throw new AssertionError(typeof what === 'string' ? what : what());
}

/** Marks code that a complete switch can never reach. */
export function assertNever(value: never, what: string): never {
  throw new AssertionError(`unexpected ${what}: ${JSON.stringify(value)}`);
}

export function isAssertion(err: unknown): err is AssertionError {
  return err instanceof AssertionError;
}

/** For a failure reported as text (from a worker thread, or a trace): was it an assertion? */
export function isAssertionMessage(message: string): boolean {
  return message.startsWith(PREFIX);
}
