// A user-facing failure: printed as one clear message (plus an optional hint)
// instead of a stack trace.
/** Exit status of a usage error (bad command, option or argument), as for commander's own. */
export const USAGE_ERROR = 2;

export class ProtmError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'ProtmError';
  }
}
