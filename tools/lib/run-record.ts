// A run record: one directory per command invocation holding the full log and
// metadata.json (pins, hashes, host, step durations, the exact reproducer).

import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, hostname, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_KEEP_RUNS, pruneRuns, RUNNING_FILE } from './gc.js';
import { cachePaths, repoRoot } from './paths.js';

export interface StepRecord {
  name: string;
  status: 'ok' | 'failed' | 'skipped' | 'cached';
  seconds: number;
  /** When the step started, in seconds since the run did: steps run side by side. */
  startedAt?: number;
  detail?: string;
}

export class RunRecord {
  readonly dir: string;
  readonly logPath: string;
  readonly steps: StepRecord[] = [];
  readonly facts: Record<string, unknown> = {};
  private readonly started = Date.now();
  /** metadata.json has been written. */
  written = false;

  constructor(readonly command: string) {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    this.dir = join(cachePaths.runs(), `${stamp}-${command.replace(/\s+/g, '-')}`);
    mkdirSync(this.dir, { recursive: true });
    // Until metadata.json is written: another protm's pruning keeps this record.
    writeFileSync(join(this.dir, RUNNING_FILE), `${process.pid}\n`);
    pruneRuns(Number(process.env.PROTM_KEEP_RUNS ?? DEFAULT_KEEP_RUNS), this.dir);
    this.logPath = join(this.dir, 'run.log');
    appendFileSync(this.logPath, `# protm ${process.argv.slice(2).join(' ')}\n`);
  }

  /** Seconds since this run started (at `when`, default now). */
  secondsSinceStart(when = Date.now()): number {
    return Math.round((when - this.started) / 100) / 10;
  }

  log(text: string): void {
    appendFileSync(this.logPath, text.endsWith('\n') ? text : `${text}\n`);
  }

  /** Record a finished step; one without `startedAt` started `seconds` ago. */
  addStep(step: StepRecord): void {
    this.steps.push({ ...step, startedAt: step.startedAt ?? this.secondsSinceStart(Date.now() - step.seconds * 1000) });
  }

  /** Record a fact for metadata.json (pins, hashes, artifact paths...). */
  set(key: string, value: unknown): void {
    this.facts[key] = value;
  }

  write(status: 'ok' | 'failed', error?: string): string {
    const path = join(this.dir, 'metadata.json');
    const metadata = {
      command: this.command,
      status,
      error,
      reproduce: reproducer(),
      startedAt: new Date(this.started).toISOString(),
      seconds: (Date.now() - this.started) / 1000,
      checkout: checkoutState(),
      host: { hostname: hostname(), kernel: release(), cpus: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
      steps: this.steps,
      ...this.facts,
      log: this.logPath,
    };
    writeFileSync(path, `${JSON.stringify(metadata, null, 2)}\n`);
    rmSync(join(this.dir, RUNNING_FILE), { force: true });
    this.written = true;
    return path;
  }
}

function reproducer(): string[] {
  const env = Object.entries(process.env)
    .filter(([k]) => k.startsWith('PROTM_'))
    .map(([k, v]) => `${k}=${v}`);
  return [...env, 'npx', 'protm', ...process.argv.slice(2)];
}

function checkoutState(): { commit?: string; dirty?: boolean } {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], { cwd: repoRoot, encoding: 'utf8' }).trim().length > 0;
    return { commit, dirty };
  } catch {
    return {};
  }
}
