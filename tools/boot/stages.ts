// Staged timeouts for a boot watched on its console. A single overall timeout
// either fires far too late or kills slow-but-healthy boots, and "timed out"
// says nothing about where. Each stage here has its own budget, starting when
// its marker line appears; when one runs out, the child is killed and the
// error names the stage, its timeout and the last lines printed.
//
// Markers are matched against whole lines with \r and colour codes removed but
// the printk timestamp kept, so a pattern can tell kernel messages
// ("[    1.2] ...") from userspace output written straight to the console.
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { ProtmError } from '../lib/errors.js';
import { unwrapKtapLine } from '../results/ktap.js';

/** A line pattern; for a RegExp, capture group 1 (if any) names the instance. */
export type Marker = RegExp | ((line: string) => boolean);

export interface Stage {
  name: string;
  /** Line that starts the stage. The first stage starts at spawn; any stage also starts when the one before it ends. */
  start?: Marker;
  /** Line that ends the stage. Without one, the stage lasts until a later stage starts (or, for the last, until output ends). */
  end?: Marker;
  timeoutSeconds: number;
  /** The stage recurs (e.g. once per check): each start..end is timed on its own. */
  repeat?: boolean;
}

export interface StageTiming {
  name: string;
  seconds: number;
}

/** What is needed of the child: a node ChildProcess or an execa subprocess. */
export interface WatchedChild {
  kill(signal?: NodeJS.Signals): boolean;
  readonly exitCode: number | null;
  readonly signalCode: NodeJS.Signals | null;
  once(event: 'exit', listener: () => void): unknown;
}

export interface WatchOptions {
  stages: Stage[];
  /** Lines of output quoted in errors (default 30). */
  tailLines?: number;
  /** Every output line, cleaned, e.g. for a log or a KtapParser. */
  onLine?: (line: string) => void;
  /** Called with the stage (or check) now being timed, e.g. for a progress line. */
  onStage?: (label: string) => void;
  /** How long to wait after SIGTERM before SIGKILL (default 3000 ms). */
  killGraceMs?: number;
}

export class StageTimeoutError extends ProtmError {
  constructor(
    readonly stage: string,
    readonly timeoutSeconds: number,
    readonly tail: string[],
  ) {
    super(
      `boot stage "${stage}" hung: not finished within its ${timeoutSeconds} s timeout\n--- last ${tail.length} lines of output ---\n${tail.join('\n')}`,
      'the stage timeouts are per stage; the whole console output is in the run log',
    );
    this.name = 'StageTimeoutError';
  }
}

export class StageExitError extends ProtmError {
  constructor(
    readonly stage: string,
    readonly how: string,
    readonly tail: string[],
  ) {
    super(`console output ended during boot stage "${stage}" (${how})\n--- last ${tail.length} lines of output ---\n${tail.join('\n')}`);
    this.name = 'StageExitError';
  }
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escape sequences is the point
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

function matches(marker: Marker | undefined, line: string): { name?: string } | undefined {
  if (!marker) return undefined;
  if (typeof marker === 'function') return marker(line) ? {} : undefined;
  marker.lastIndex = 0;
  const m = marker.exec(line);
  if (!m) return undefined;
  const name = m[1]?.trim();
  return name ? { name } : {};
}

/** Which stage is running, fed one line at a time; no timers, no I/O. */
export class StageTracker {
  readonly timings: StageTiming[] = [];
  finished = false;
  /** Bumped whenever a new stage or instance starts, i.e. the timer must restart. */
  generation = 0;
  private index = 0;
  private label = '';
  private since = 0;
  private instance = 1;
  /** A repeat instance not yet named by its start line ("check #2"). */
  private implicit = false;

  constructor(
    private readonly stages: Stage[],
    private readonly now: () => number = Date.now,
  ) {
    if (stages.length === 0) throw new Error('StageTracker: no stages');
    this.enter(0, undefined);
  }

  get current(): { label: string; timeoutSeconds: number } {
    return { label: this.label, timeoutSeconds: this.stages[this.index]!.timeoutSeconds };
  }

  feed(line: string): void {
    if (this.finished) return;
    this.checkEnd(line);
    if (this.finished) return;
    for (let j = this.index + 1; j < this.stages.length; j++) {
      const m = matches(this.stages[j]!.start, line);
      if (!m) continue;
      if (!this.implicit) this.record(this.label);
      this.enter(j, m.name);
      this.checkEnd(line);
      return;
    }
    const stage = this.stages[this.index]!;
    const m = stage.repeat ? matches(stage.start, line) : undefined;
    if (m?.name !== undefined) {
      // The next check announces itself ("# Subtest: name"): time it from here.
      if (!this.implicit) {
        this.record(this.label);
        this.instance++;
      }
      this.begin(`${stage.name}: ${m.name}`, false);
    }
  }

  /** Output ended: fine only in a last stage that has no end marker. */
  endOfOutput(): boolean {
    if (this.finished) return true;
    const last = this.index === this.stages.length - 1 && !this.stages[this.index]!.end;
    if (last) {
      this.record(this.label);
      this.finished = true;
    }
    return last;
  }

  private checkEnd(line: string): void {
    const stage = this.stages[this.index]!;
    const m = matches(stage.end, line);
    if (!m) return;
    // An unannounced check gets its name from its result line ("ok 3 name").
    this.record(this.implicit && m.name ? `${stage.name}: ${m.name}` : this.label);
    if (stage.repeat) {
      this.instance++;
      this.begin(`${stage.name} #${this.instance}`, true);
    } else if (this.index === this.stages.length - 1) {
      this.finished = true;
    } else {
      this.enter(this.index + 1, undefined);
    }
  }

  private enter(index: number, name: string | undefined): void {
    const stage = this.stages[index]!;
    this.index = index;
    this.instance = 1;
    if (name) this.begin(`${stage.name}: ${name}`, false);
    else if (stage.repeat) this.begin(`${stage.name} #1`, true);
    else this.begin(stage.name, false);
  }

  private begin(label: string, implicit: boolean): void {
    this.label = label;
    this.implicit = implicit;
    this.since = this.now();
    this.generation++;
  }

  private record(name: string): void {
    this.timings.push({ name, seconds: (this.now() - this.since) / 1000 });
  }
}

function hasExited(child: WatchedChild): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function waitForExit(child: WatchedChild, ms: number): Promise<boolean> {
  if (hasExited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(hasExited(child)), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** SIGTERM (QEMU exits cleanly on it), then SIGKILL if it is still there. */
async function stopChild(child: WatchedChild, graceMs: number): Promise<void> {
  if (hasExited(child)) return;
  child.kill('SIGTERM');
  if (await waitForExit(child, graceMs)) return;
  child.kill('SIGKILL');
  await waitForExit(child, graceMs);
}

function describeExit(child: WatchedChild): string {
  if (child.exitCode !== null) return `exit status ${child.exitCode}`;
  if (child.signalCode !== null) return `killed by ${child.signalCode}`;
  return 'output closed';
}

/**
 * Watch `output` (the child's console) through `opts.stages`. Resolves with
 * each stage's duration when the last stage ends; rejects with
 * StageTimeoutError (after killing the child) when a stage overruns, or with
 * StageExitError when output ends early.
 */
export function watchStages(child: WatchedChild, output: Readable, opts: WatchOptions): Promise<StageTiming[]> {
  const tracker = new StageTracker(opts.stages);
  const tailSize = opts.tailLines ?? 30;
  const graceMs = opts.killGraceMs ?? 3000;
  const tail: string[] = [];
  const decoder = new StringDecoder('utf8');
  let partial = '';
  let timer: NodeJS.Timeout | undefined;
  let generation = -1;
  let done = false;

  return new Promise((resolve, reject) => {
    const fail = (err: Error) => {
      done = true;
      clearTimeout(timer);
      reject(err);
    };
    const lastLines = () => (partial ? [...tail, partial] : [...tail]).slice(-tailSize);
    const arm = () => {
      if (tracker.generation === generation) return;
      generation = tracker.generation;
      clearTimeout(timer);
      const { label, timeoutSeconds } = tracker.current;
      opts.onStage?.(label);
      timer = setTimeout(() => {
        done = true;
        const lines = lastLines();
        void stopChild(child, graceMs).then(() => reject(new StageTimeoutError(label, timeoutSeconds, lines)));
      }, timeoutSeconds * 1000);
    };
    const onLine = (raw: string) => {
      const line = raw.replace(ANSI, '').replace(/\r/g, '');
      tail.push(line);
      if (tail.length > tailSize) tail.shift();
      opts.onLine?.(line);
      if (done) return;
      tracker.feed(unwrapKtapLine(line));
      if (tracker.finished) {
        done = true;
        clearTimeout(timer);
        resolve(tracker.timings);
      } else {
        arm();
      }
    };

    arm();
    output.on('data', (chunk: Buffer | string) => {
      const lines = (partial + (typeof chunk === 'string' ? chunk : decoder.write(chunk))).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) onLine(line);
    });
    output.once('end', () => {
      const rest = partial + decoder.end();
      partial = '';
      if (rest) onLine(rest);
      if (done) return;
      if (tracker.endOfOutput()) {
        done = true;
        clearTimeout(timer);
        resolve(tracker.timings);
        return;
      }
      const { label } = tracker.current;
      done = true;
      clearTimeout(timer);
      void waitForExit(child, graceMs).then(() => reject(new StageExitError(label, describeExit(child), lastLines())));
    });
    output.once('error', (err) => {
      if (done) return;
      void stopChild(child, graceMs).then(() => fail(err));
    });
  });
}

export interface BootTimeouts {
  firmware: number;
  kernel: number;
  userspace: number;
  check: number;
  poweroff: number;
}

/** Seconds; generous because QEMU emulates arm64 (TCG) on a small shared host. */
export const DEFAULT_BOOT_TIMEOUTS: BootTimeouts = { firmware: 120, kernel: 300, userspace: 300, check: 600, poweroff: 120 };

/** True once the top-level KTAP plan is complete (or the run bailed out). */
function ktapRunFinished(): (line: string) => boolean {
  let planned: number | undefined;
  return (line) => {
    const plan = /^1\.\.(\d+)/.exec(line);
    if (plan) {
      planned = Number(plan[1]);
      return planned === 0;
    }
    const result = /^(?:not )?ok (\d+)\b/.exec(line);
    if (result && planned !== undefined) return Number(result[1]) >= planned;
    return /^Bail out!/.test(line);
  };
}

/**
 * Stages of our QEMU boot: firmware (TF-A, OP-TEE, bootloader) until Linux
 * starts, the kernel until it runs init, userspace until the checks print
 * their KTAP header, each check from its `# Subtest:` line (or the previous
 * result) to its result line, and power-off. The checks' KTAP arrives through
 * the kernel log tagged "protm-ktap: " (see run-suite); watchStages hands the
 * tracker its untagged text, so these markers see plain KTAP, while in-kernel
 * KUnit output (timestamped, untagged) does not count as ours.
 * Call once per boot: the power-off marker keeps state.
 */
export function qemuBootStages(timeouts: Partial<BootTimeouts> = {}): Stage[] {
  const t = { ...DEFAULT_BOOT_TIMEOUTS, ...timeouts };
  const finished = ktapRunFinished();
  return [
    { name: 'firmware', timeoutSeconds: t.firmware },
    { name: 'kernel', start: /Booting Linux on physical CPU/, timeoutSeconds: t.kernel },
    { name: 'userspace', start: /Run \S+ as init process|Freeing unused kernel memory/, timeoutSeconds: t.userspace },
    {
      name: 'check',
      start: /^(?:KTAP version \d+|TAP version 1[34])$|^# Subtest: (.+)$/,
      end: /^(?:not )?ok \d+\b(?: -)?\s*([^#]*?)\s*(?:#.*)?$/,
      repeat: true,
      timeoutSeconds: t.check,
    },
    {
      name: 'poweroff',
      start: (line) => finished(line) || /reboot: (?:Power down|System halted)/.test(line),
      end: /reboot: (?:Power down|System halted)/,
      timeoutSeconds: t.poweroff,
    },
  ];
}
