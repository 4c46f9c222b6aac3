// Errors a user can cause. They carry one line naming the file, the place in it and what was
// expected; the CLI prints that line and exits with the code. Never a stack trace.

export const EXIT_OK = 0;
export const EXIT_CHECK_FAILED = 1;
export const EXIT_BAD_INPUT = 2;
export const EXIT_UNDECIDED = 3;

export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_BAD_INPUT,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/** Formats a located message: `file:line:col: path: message`. Missing parts are left out. */
export function locate(file: string, message: string, where?: { line?: number; col?: number; path?: string }): string {
  let head = file;
  if (where?.line !== undefined) {
    head += `:${where.line}`;
    if (where.col !== undefined) head += `:${where.col}`;
  }
  const path = where?.path ? ` ${where.path}:` : '';
  return `${head}:${path} ${message}`;
}
