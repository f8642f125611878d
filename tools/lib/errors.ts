// A user-facing failure: printed as one clear message (plus an optional hint)
// instead of a stack trace.
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
