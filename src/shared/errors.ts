/**
 * Errors the user can act on. A `UserInputError` is bad input (exit code 2): its message is one
 * line naming the file and what is wrong. Anything else that escapes a command is a failure
 * during work (exit code 1).
 */
export class UserInputError extends Error {
  override readonly name = 'UserInputError';
  constructor(
    /** The file or folder the problem is in, when there is one. */
    readonly path: string | undefined,
    message: string,
  ) {
    super(path === undefined ? message : `${path}: ${message}`);
  }
}

export function isUserInputError(error: unknown): error is UserInputError {
  return error instanceof UserInputError;
}
