// Running external programs: arguments always as arrays, output to the run's
// log, a live progress line (stage, elapsed, last output line), and on failure
// the last lines plus the log's path.

import { appendFileSync } from 'node:fs';
import { execa } from 'execa';
import { killGroupOnExit, laneStopped } from './children.js';
import { diskFullError } from './disk.js';
import { ProtmError } from './errors.js';
import { type JobserverClient, takeSlot } from './jobserver.js';
import { progress } from './progress.js';
import type { RunRecord } from './run-record.js';

export interface StepOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  /** Abort the step after this many seconds (default: none). */
  timeoutSeconds?: number;
  /** A non-zero exit is a result, not an error (the caller reads the verdict elsewhere). */
  allowFailure?: boolean;
  /**
   * A parallel build that shares protm's pool of cores (tools/lib/jobserver.ts):
   * `make` (inherits the pool's descriptors) or `ninja` (1.13, opens it by
   * name). Give it no -jN.
   */
  jobserver?: JobserverClient;
}

const TAIL_LINES = 30;

/** Steps running now in this process (the main job builds QEMU beside the kernel). */
let runningSteps = 0;

function notStarted(stage: string): ProtmError {
  return new ProtmError(`${stage}: not started, because work beside it failed`);
}

/** Run one command as a named step of `record`; throws ProtmError on failure. */
export async function runStep(record: RunRecord, stage: string, file: string, args: string[], opts: StepOptions = {}): Promise<number> {
  if (laneStopped()) throw notStarted(stage);
  const started = Date.now();
  const startedAt = record.secondsSinceStart(started);
  record.log(`\n## ${stage}: ${[file, ...args].join(' ')}${opts.cwd ? ` (in ${opts.cwd})` : ''}`);
  const tail: string[] = [];
  const ticker = progress.start(stage);
  if (opts.jobserver) ticker.update('waiting for a free core');
  const slot = opts.jobserver ? await takeSlot(opts.jobserver) : undefined;
  // The work beside it may have failed while this step waited for a core.
  if (slot && laneStopped()) {
    slot.release();
    ticker.stop(false);
    throw notStarted(stage);
  }
  const child = execa(file, args, {
    cwd: opts.cwd,
    env: { ...opts.env, ...slot?.env },
    extendEnv: true,
    all: true,
    buffer: false,
    reject: false,
    stdio: slot?.stdio ?? ['ignore', 'pipe', 'pipe'],
    timeout: opts.timeoutSeconds ? opts.timeoutSeconds * 1000 : undefined,
    // Its own process group, so that an interrupted protm stops the whole
    // tree under the step (make's compilers, ninja inside a build root).
    detached: true,
  });
  const release = killGroupOnExit(child);
  // The log gets whole lines, each naming its step while another runs beside it.
  const logLines = (lines: string[]) => {
    const prefix = runningSteps > 1 ? `[${stage}] ` : '';
    if (lines.length > 0) appendFileSync(record.logPath, lines.map((l) => `${prefix}${l}\n`).join(''));
  };
  runningSteps += 1;
  let partial = '';
  child.all?.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop() ?? '';
    logLines(lines);
    for (const line of lines) {
      if (line.trim().length === 0) continue;
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
      ticker.update(line);
    }
  });
  const result = await child.finally(() => {
    release();
    slot?.release();
    if (partial) logLines([partial]);
    runningSteps -= 1;
  });
  if (partial.trim()) tail.push(partial);
  const seconds = (Date.now() - started) / 1000;
  const ok = result.exitCode === 0 && !result.failed;
  const tolerated = opts.allowFailure === true && result.exitCode !== undefined && !result.timedOut;
  ticker.stop(ok || tolerated);
  if (ok || tolerated) {
    record.addStep({ name: stage, status: ok ? 'ok' : 'failed', seconds, startedAt, detail: ok ? undefined : `exit status ${result.exitCode}` });
    return result.exitCode ?? 0;
  }
  record.addStep({ name: stage, status: 'failed', seconds, startedAt });
  const full = diskFullError(tail, record.logPath);
  if (full) throw full;
  if (result.exitCode === undefined && (result as { code?: string }).code === 'ENOENT') {
    throw new ProtmError(
      `${stage} failed: ${file} is not installed (or not on PATH)`,
      'run `protm setup` (as root) to install the host packages, `protm doctor` to list what is missing',
    );
  }
  const why = result.timedOut
    ? `timed out after ${opts.timeoutSeconds}s`
    : result.exitCode === undefined
      ? `could not start ${file}: ${result.originalMessage ?? result.shortMessage}`
      : `exited with status ${result.exitCode}`;
  throw new ProtmError(`${stage} failed: ${why}\n--- last ${tail.length} lines ---\n${tail.join('\n')}\n--- full log: ${record.logPath}`);
}

/** Run a short command and return its stdout; for queries, not builds. */
export async function capture(file: string, args: string[], opts: StepOptions = {}): Promise<string> {
  const result = await execa(file, args, { cwd: opts.cwd, env: opts.env, reject: false, stdin: 'ignore' });
  if (result.exitCode !== 0 || result.failed) {
    throw new ProtmError(
      `${[file, ...args].join(' ')} failed: ${(result.stderr || result.shortMessage || '').toString().trim().split('\n').slice(-5).join('\n')}`,
    );
  }
  return result.stdout.toString();
}
