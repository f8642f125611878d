// The staged-timeout watcher against a fake QEMU (test/fixtures/boot/
// fake-qemu.mjs) run as a real child process: it hangs in each stage in turn
// and the watcher must name exactly that stage, within its 1 s timeout, and
// kill it.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { qemuBootStages, StageExitError, StageTimeoutError, StageTracker, watchStages } from '../../tools/boot/stages.js';
import { repoRoot } from '../../tools/lib/paths.js';
import { unwrapKtapLine } from '../../tools/results/ktap.js';

const FAKE_QEMU = join(repoRoot, 'test', 'fixtures', 'boot', 'fake-qemu.mjs');
const FAST = { firmware: 1, kernel: 1, userspace: 1, check: 1, poweroff: 1 };

interface Run {
  child: ChildProcess;
  lines: string[];
  /** When each stage label started being timed (ms since epoch). */
  started: Map<string, number>;
  outcome: Promise<{ ok: true; value: Awaited<ReturnType<typeof watchStages>> } | { ok: false; error: unknown; at: number }>;
}

function boot(args: string[], opts: { tailLines?: number; killGraceMs?: number } = {}): Run {
  const child = spawn(process.execPath, [FAKE_QEMU, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  const started = new Map<string, number>();
  const outcome = watchStages(child, child.stdout!, {
    stages: qemuBootStages(FAST),
    killGraceMs: opts.killGraceMs ?? 1000,
    tailLines: opts.tailLines,
    onLine: (line) => lines.push(line),
    onStage: (label) => started.set(label, Date.now()),
  }).then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error, at: Date.now() }),
  );
  return { child, lines, started, outcome };
}

describe('staged boot timeouts', () => {
  const hangs: Array<[phase: string, stage: string, lastLine: string]> = [
    ['firmware', 'firmware', 'I/TC: Primary CPU switching to normal world boot'],
    ['kernel', 'kernel', '[    0.412345] optee: revision 4.10 (12345678)'],
    ['userspace', 'userspace', 'protm-init: mounting /proc /sys /dev'],
    ['check', 'check: protected-alloc', '# protected-alloc: allocating 4 MiB from the protected heap'],
    ['poweroff', 'poweroff', 'protm-init: powering off'],
  ];

  for (const [phase, stage, lastLine] of hangs) {
    it(`names "${stage}" when the boot hangs there, and kills QEMU`, async () => {
      const run = boot(['--hang', phase]);
      const result = await run.outcome;
      expect(result.ok).toBe(false);
      if (result.ok) return;
      const error = result.error as StageTimeoutError;
      expect(error).toBeInstanceOf(StageTimeoutError);
      expect(error.stage).toBe(stage);
      expect(error.timeoutSeconds).toBe(1);
      expect(error.message).toContain(`boot stage "${stage}" hung: not finished within its 1 s timeout`);
      // The tail is what was printed, ending with the last line before the hang.
      expect(run.lines.at(-1)).toBe(lastLine);
      expect(error.tail).toEqual(run.lines.slice(-30));
      expect(error.message.endsWith(lastLine)).toBe(true);
      // Fired on time: one timeout after the stage began, plus the kill.
      const waited = (result.at - run.started.get(stage)!) / 1000;
      expect(waited).toBeGreaterThanOrEqual(0.95);
      expect(waited).toBeLessThan(3);
      expect(run.child.signalCode).toBe('SIGTERM');
    });
  }

  it('uses SIGKILL when QEMU ignores SIGTERM', async () => {
    const run = boot(['--hang', 'kernel', '--ignore-term'], { killGraceMs: 300 });
    const result = await run.outcome;
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect((result.error as StageTimeoutError).stage).toBe('kernel');
    expect(run.child.signalCode).toBe('SIGKILL');
  });

  it('quotes only the last tailLines lines', async () => {
    const run = boot(['--hang', 'userspace'], { tailLines: 3 });
    const result = await run.outcome;
    if (result.ok) throw new Error('expected a timeout');
    expect((result.error as StageTimeoutError).tail).toEqual(run.lines.slice(-3));
    expect(run.lines.length).toBeGreaterThan(3);
  });

  it('passes a boot that completes, with each stage and check timed', async () => {
    const run = boot([]);
    const result = await run.outcome;
    if (!result.ok) throw result.error;
    expect(result.value.map((t) => t.name)).toEqual(['firmware', 'kernel', 'userspace', 'check: tee-probe', 'check: protected-alloc', 'poweroff']);
    for (const t of result.value) expect(t.seconds).toBeGreaterThanOrEqual(0);
    expect(run.lines.at(-1)).toBe('[    9.876543] reboot: Power down');
    // Serial "\r\n" and lines split across writes arrive as whole, clean lines.
    expect(run.lines).toContain('NOTICE:  BL31: v2.12.1(release):');
    expect(run.lines.every((l) => !l.includes('\r'))).toBe(true);
    const code = await new Promise((resolve) => (run.child.exitCode !== null ? resolve(run.child.exitCode) : run.child.once('exit', resolve)));
    expect(code).toBe(0);
  });

  it('reports output ending early as the stage it ended in', async () => {
    const run = boot(['--exit', 'kernel']);
    const result = await run.outcome;
    if (result.ok) throw new Error('expected a failure');
    const error = result.error as StageExitError;
    expect(error).toBeInstanceOf(StageExitError);
    expect(error.stage).toBe('kernel');
    expect(error.how).toBe('exit status 3');
    expect(error.message).toContain('console output ended during boot stage "kernel" (exit status 3)');
  });
});

describe('stage tracking', () => {
  it('names checks that print no "# Subtest:" line by number, and times them by their result line', () => {
    let now = 0;
    const tracker = new StageTracker(qemuBootStages(), () => now);
    const feed = (line: string, advance = 0) => {
      now += advance;
      tracker.feed(line);
      return tracker.current.label;
    };
    expect(tracker.current).toEqual({ label: 'firmware', timeoutSeconds: 120 });
    expect(feed('[    0.000000] Booting Linux on physical CPU 0x0', 5000)).toBe('kernel');
    expect(feed('[    1.300000] Run /init as init process', 2000)).toBe('userspace');
    // In-kernel KUnit output carries a printk timestamp: not our checks.
    expect(feed('[    1.400000] KTAP version 1', 100)).toBe('userspace');
    expect(feed(unwrapKtapLine('[    1.800000] protm-ktap: KTAP version 1'), 400)).toBe('check #1');
    expect(feed('1..3')).toBe('check #1');
    expect(feed('ok 1 tee-probe', 1000)).toBe('check #2');
    expect(feed('# Subtest: heap', 100)).toBe('check: heap');
    expect(feed('not ok 2 heap # ENOMEM', 3000)).toBe('check #3');
    expect(tracker.current.timeoutSeconds).toBe(600);
    expect(feed('ok 3 gpu # SKIP no GPU', 500)).toBe('poweroff');
    expect(tracker.finished).toBe(false);
    feed('[    9.9] reboot: Power down', 700);
    expect(tracker.finished).toBe(true);
    expect(tracker.timings).toEqual([
      { name: 'firmware', seconds: 5 },
      { name: 'kernel', seconds: 2 },
      { name: 'userspace', seconds: 0.5 },
      { name: 'check: tee-probe', seconds: 1 },
      { name: 'check: heap', seconds: 3 },
      { name: 'check: gpu', seconds: 0.5 },
      { name: 'poweroff', seconds: 0.7 },
    ]);
  });

  it('takes caller stages, skips a stage whose marker never shows, and ends a last stage without end marker with the output', () => {
    let now = 0;
    const tracker = new StageTracker(
      [
        { name: 'a', timeoutSeconds: 1 },
        { name: 'b', start: /^B$/, timeoutSeconds: 2 },
        { name: 'c', start: /^C (\w+)$/, timeoutSeconds: 3 },
      ],
      () => now,
    );
    now = 10;
    tracker.feed('C final');
    expect(tracker.current).toEqual({ label: 'c: final', timeoutSeconds: 3 });
    expect(tracker.endOfOutput()).toBe(true);
    expect(tracker.timings.map((t) => t.name)).toEqual(['a', 'c: final']);
  });
});
