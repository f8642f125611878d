// Quoting for the few places where a command must pass through `sh -c`:
// build-root scripts run by chroot, and the ccache launcher's own script.
// Everything else passes arguments to processes as arrays.

/** `s` as one single-quoted sh word. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
