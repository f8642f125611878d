// Builds side by side share protm's pool of cores (tools/lib/jobserver.ts):
// one build alone runs a job per core, two together never run more, and a
// build killed while its make held extra cores does not keep them.
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { sideBySide } from '../../tools/lib/children.js';
import { repoRoot } from '../../tools/lib/paths.js';
import { runStep } from '../../tools/lib/process.js';
import { RunRecord } from '../../tools/lib/run-record.js';
import { usePrivateCache } from '../helpers/private-cache.js';

const cache = usePrivateCache('jobserver');

const cores = cpus().length;
const JOBS = 2 * cores + 2;

/**
 * A makefile of JOBS independent jobs, each logging its start and end (ns)
 * into its own file under `logs`; with `killMake`, the first job SIGKILLs
 * make after a second, while the others still run.
 */
function makefile(dir: string, seconds: number, killMake = false): string {
  const targets = Array.from({ length: JOBS }, (_, i) => `j${i}`);
  const text = [
    `all: ${targets.join(' ')}`,
    ...(killMake ? ['j0:', '\t@sleep 1; kill -9 $$PPID'] : []),
    `${targets.slice(killMake ? 1 : 0).join(' ')}:`,
    `\t@s=$$(date +%s%N); sleep ${seconds}; echo "$$s $$(date +%s%N)" > $(LOGS)/$@-$$$$`,
    '.PHONY: all',
    '',
  ].join('\n');
  const path = join(dir, 'Makefile');
  writeFileSync(path, text);
  return path;
}

/** The most jobs that ran at once, over every log in `logs`. */
function peak(logs: string): number {
  const events: [bigint, number][] = [];
  for (const f of readdirSync(logs)) {
    const [start, end] = readFileSync(join(logs, f), 'utf8').trim().split(' ').map(BigInt);
    events.push([start!, 1], [end!, -1]);
  }
  events.sort((a, b) => (a[0] === b[0] ? a[1] - b[1] : a[0] < b[0] ? -1 : 1));
  let now = 0;
  let most = 0;
  for (const [, d] of events) {
    now += d;
    most = Math.max(most, now);
  }
  return most;
}

function build(record: RunRecord, name: string, logs: string, seconds: number, killMake = false): Promise<number> {
  const dir = mkdtempSync(join(cache, `${name}-`));
  return runStep(record, name, 'make', ['-f', makefile(dir, seconds, killMake), `LOGS=${logs}`], { jobserver: 'make' });
}

describe('the pool of cores', () => {
  it('gives a build alone a job per core, and two builds side by side no more in all', async () => {
    const record = new RunRecord('test jobserver');
    const alone = mkdtempSync(join(cache, 'alone-'));
    await build(record, 'alone', alone, 0.4);
    expect(readdirSync(alone)).toHaveLength(JOBS);
    expect(peak(alone)).toBe(cores);

    const both = mkdtempSync(join(cache, 'both-'));
    await Promise.all([build(record, 'first', both, 0.4), build(record, 'second', both, 0.4)]);
    expect(readdirSync(both)).toHaveLength(2 * JOBS);
    expect(peak(both)).toBe(cores);
  });

  it('takes back the cores a killed make held', async () => {
    const record = new RunRecord('test jobserver kill');
    const killed = mkdtempSync(join(cache, 'killed-'));
    // SIGKILLed, make cannot give back the cores its running jobs hold.
    await expect(build(record, 'killed', killed, 3, true)).rejects.toThrow(/killed|signal|status/i);
    const after = mkdtempSync(join(cache, 'after-'));
    await build(record, 'after', after, 0.4);
    expect(peak(after)).toBe(cores);
  });

  it('does not start a build that waited for a core while the work beside it failed', async () => {
    const record = new RunRecord('test jobserver lane');
    const dir = mkdtempSync(join(cache, 'lane-'));
    const busy = join(dir, 'busy.mk');
    const jobs = Array.from({ length: cores }, (_, i) => `b${i}`);
    writeFileSync(busy, `all: ${jobs.join(' ')}\n${jobs.join(' ')}:\n\t@sleep 30\n.PHONY: all ${jobs.join(' ')}\n`);
    const mark = join(dir, 'started');
    const run = sideBySide(
      async () => {
        // Every core taken, then this side fails.
        void runStep(record, 'busy', 'make', ['-f', busy], { jobserver: 'make' }).catch(() => 0);
        await new Promise((r) => setTimeout(r, 1500));
        throw new Error('side a failed');
      },
      async () => {
        await new Promise((r) => setTimeout(r, 500));
        await runStep(record, 'waiting', 'sh', ['-c', `touch ${mark}`], { jobserver: 'make' });
      },
    );
    await expect(run).rejects.toThrow('side a failed');
    expect(existsSync(mark)).toBe(false);
  });

  it('hands a released core to a waiting take when nothing else keeps the process alive', async () => {
    // The race that once ended a kernel check with no verdict: kernel-doc
    // waited for a core while the last build released it, and nothing else
    // kept the process alive. Here a process takes every core, queues one
    // more take, and releases its cores from its last timer.
    const script = join(mkdtempSync(join(cache, 'waiter-')), 'waiter.mts');
    writeFileSync(
      script,
      [
        `import { takeSlot } from ${JSON.stringify(join(repoRoot, 'tools/lib/jobserver.ts'))};`,
        'const held = [];',
        `for (let i = 0; i < ${cores}; i++) held.push(await takeSlot('make'));`,
        "void takeSlot('make').then((slot) => { console.log('served'); slot.release(); });",
        'setTimeout(() => { for (const slot of held) slot.release(); }, 100);',
        '',
      ].join('\n'),
    );
    const r = await execa(process.execPath, ['--import', 'tsx', script], { cwd: repoRoot, reject: false });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('served');
  });
});
