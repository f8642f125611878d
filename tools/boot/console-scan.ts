// Scans a console log (normal world or secure world) for reports that mean
// the run is broken even when every check printed "ok": oopses, WARNs, BUGs,
// sanitizer, leak and lockdep reports, panics, stalls, and firmware panics;
// and the GPU model's log for requests the kernel made against the
// hardware's rules.
// Patterns are anchored at the start of the message (after the printk
// timestamp) so a test that merely mentions "BUG:" in its own output, or a
// boot banner such as "kasan: KernelAddressSanitizer initialized", does not
// count.
import { stripConsolePrefix } from '../results/ktap.js';

export type FindingKind =
  | 'oops'
  | 'bug'
  | 'warn'
  | 'kasan'
  | 'kmemleak'
  | 'lockdep'
  | 'panic'
  | 'rcu-stall'
  | 'hung-task'
  | 'gpu-firmware'
  | 'gpu-protm-entry'
  | 'optee-panic'
  | 'tfa-panic'
  | 'gpu-host-error';

export interface ConsoleFinding {
  kind: FindingKind;
  /** Which log it came from: "normal" or "secure" (consoles), or MODEL_SOURCE. */
  source: string;
  /** 1-based line number in the log. */
  line: number;
  /** The matching line without timestamp. */
  text: string;
  /** A few lines before and after, as they appear in the log. */
  context: string[];
}

export interface ScanOptions {
  source?: string;
  /** Lines of context kept before and after each finding (defaults 2 and 8). */
  before?: number;
  after?: number;
  /** Findings whose line matches one of these are ignored (expected reports). */
  allow?: RegExp[];
}

export const FINDING_TITLES: Record<FindingKind, string> = {
  oops: 'kernel oops',
  bug: 'kernel BUG',
  warn: 'kernel WARN',
  kasan: 'KASAN report',
  kmemleak: 'kmemleak report',
  lockdep: 'lockdep report',
  panic: 'kernel panic',
  'rcu-stall': 'RCU stall',
  'hung-task': 'hung task',
  'gpu-firmware': 'GPU firmware interface failure',
  'gpu-protm-entry': 'failed protected-mode entry',
  'optee-panic': 'OP-TEE panic',
  'tfa-panic': 'TF-A panic',
  'gpu-host-error': 'GPU driven against its rules',
};

/** The source name of the GPU model's log (QEMU's trace of mali_csf_host_error). */
export const MODEL_SOURCE = 'model';

// First match wins, so the specific kinds come before the generic "BUG:"
// (a KASAN report starts "BUG: KASAN:", arm64's BUG() oops says
// "Internal error: Oops - BUG").
const RULES: ReadonlyArray<readonly [FindingKind, RegExp]> = [
  ['kasan', /^(?:BUG: )?KASAN: /],
  ['kmemleak', /^unreferenced object\b|^kmemleak: \d+ new suspected memory leaks?/],
  [
    'lockdep',
    /^(?:WARNING|INFO): (?:possible circular locking dependency|possible recursive locking|inconsistent lock state|possible irq lock inversion dependency|\S+-safe -> \S+-unsafe lock order|suspicious RCU usage|bad unlock balance|held lock freed|lock held when returning to user space|Nested lock was not taken)/,
  ],
  ['oops', /^Internal error: Oops\b|^Unable to handle kernel /],
  ['bug', /^kernel BUG at |^BUG: /],
  // Up to 6.x "WARNING: CPU: 0 PID: 1 at file:line"; since then
  // "WARNING: file:line at func+0x../0x.. [module], CPU#0: comm/pid".
  ['warn', /^WARNING: CPU: \d+ PID: \d+|^WARNING: (?:\S+:\d+ )?at .+, CPU#\d+: /],
  ['panic', /^Kernel panic - not syncing/],
  ['rcu-stall', /^(?:rcu: )?INFO: \S+ (?:self-)?detected (?:expedited )?stalls?\b/],
  ['hung-task', /^INFO: task \S+ blocked.* for more than \d+ seconds/],
  // Panthor lost the GPU firmware: the MCU faulted in its own address space
  // (AS0, which only the driver maps) or left a request unanswered. Fault and
  // hang recovery of user groups (their VMs are AS1 and up) prints neither.
  ['gpu-firmware', /^panthor \S+: \[drm\] \*ERROR\* (?:Unhandled Page fault in AS0 |.* request timedout)/],
  // Panthor asked for protected mode and the GPU never entered it, so it
  // reset the GPU. No check provokes this; a check whose work still
  // completed after the reset would pass without it.
  ['gpu-protm-entry', /^panthor \S+: \[drm\] \*ERROR\* Protected mode entry timed out\b/],
  // OP-TEE core: "E/TC:0 0 Panic 'msg' at core/...:123 <func>".
  ['optee-panic', /^E\/TC:.*\bPanic\b/],
  ['tfa-panic', /^PANIC at PC : 0x|^Unhandled Exception (?:in EL3|from lower EL)/],
  // The GPU model saw the kernel break a rule of the hardware's interface (a
  // command while the address space is busy, an unprotected buffer where
  // protected memory is needed, a write to a read-only register), which the
  // hardware would not report at all. QEMU's trace line, after the host
  // time when PROTM_QEMU_LOG asks for it.
  ['gpu-host-error', /^(?:\d{4}-\d\d-\d\dT\S+ )?mali_csf_host_error /],
];

function classify(text: string): FindingKind | undefined {
  for (const [kind, pattern] of RULES) if (pattern.test(text)) return kind;
  return undefined;
}

export function scanConsole(log: string, opts: ScanOptions = {}): ConsoleFinding[] {
  const before = opts.before ?? 2;
  const after = opts.after ?? 8;
  const lines = log.split('\n').map((l) => l.replace(/\r$/, ''));
  if (lines[lines.length - 1] === '') lines.pop();
  const findings: ConsoleFinding[] = [];
  lines.forEach((raw, i) => {
    const text = stripConsolePrefix(raw).trim();
    const kind = classify(text);
    if (!kind || opts.allow?.some((re) => re.test(text))) return;
    findings.push({
      kind,
      source: opts.source ?? 'normal',
      line: i + 1,
      text,
      context: lines.slice(Math.max(0, i - before), i + after + 1),
    });
  });
  return findings;
}

/** One line for a person: "kernel oops (normal console, line 812): Unable to handle ...". */
export function describeFinding(f: ConsoleFinding): string {
  const where = f.source === MODEL_SOURCE ? "the GPU model's log" : `${f.source} console`;
  return `${FINDING_TITLES[f.kind]} (${where}, line ${f.line}): ${f.text}`;
}
