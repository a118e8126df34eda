// Exit codes and the errors that carry them. Anything else that escapes a command is a bug
// and is reported as one line (exit 1) unless --verbose asks for the stack.

export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  interrupted: 130,
} as const;

/** Bad input from the user: flags, environment or .env. One line, exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
  readonly exitCode = EXIT.usage;
}

/** Something went wrong that the user can act on: a message and what to do. */
export class UserFacingError extends Error {
  override name = 'UserFacingError';
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failure,
  ) {
    super(message);
  }
}
