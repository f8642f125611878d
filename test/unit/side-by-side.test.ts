// Work side by side in one protm (the main job builds QEMU beside the
// kernel): locks keep two chains of one process apart as they keep two
// processes apart, a failure on one side stops the other, and the shared log
// stays readable. Real steps (sh, sleep) in a private cache.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sideBySide } from '../../tools/lib/children.js';
import { withLock } from '../../tools/lib/lock.js';
import { runStep } from '../../tools/lib/process.js';
import { progress } from '../../tools/lib/progress.js';
import { RunRecord } from '../../tools/lib/run-record.js';

const savedCache = process.env.PROTM_CACHE;
const privateCache = mkdtempSync(join(tmpdir(), 'protm-side-by-side-'));
beforeAll(() => {
  process.env.PROTM_CACHE = privateCache;
  progress.quiet = true;
});
afterAll(() => {
  process.env.PROTM_CACHE = savedCache;
  progress.quiet = false;
  rmSync(privateCache, { recursive: true, force: true });
});

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A sleep no other process on the machine runs, to look for it afterwards. */
const LONG_SLEEP = `60.${process.pid}`;

describe('side by side in one protm', () => {
  it('a lock held by one chain keeps a parallel chain of the same process out, and its holder may take it again', async () => {
    const events: string[] = [];
    const chain = (name: string) =>
      withLock('shared-tree', async () => {
        events.push(`${name} in`);
        // Nested, as a build inside a build takes its tree's lock again.
        await withLock('shared-tree', async () => pause(300));
        events.push(`${name} out`);
      });
    await sideBySide(
      () => chain('a'),
      () => chain('b'),
    );
    expect(events).toEqual(['a in', 'a out', 'b in', 'b out']);
  });

  it("stops the other side's running step when one side fails, starts nothing more there, and throws the failure", async () => {
    const record = new RunRecord('unit-side-by-side');
    const marker = join(record.dir, 'second-step-ran');
    const started = Date.now();
    const run = sideBySide(
      async () => {
        await pause(500);
        await runStep(record, 'failing step', 'sh', ['-c', 'echo broken; exit 3']);
      },
      async () => {
        await runStep(record, 'long step', 'sleep', [LONG_SLEEP]).catch(() => undefined);
        await runStep(record, 'next step', 'touch', [marker]);
      },
    );
    await expect(run).rejects.toThrow(/failing step failed: exited with status 3/);
    expect(Date.now() - started).toBeLessThan(20_000);
    // By the time the failure is thrown, the other side has stopped.
    const left = await execa('pgrep', ['-f', `sleep ${LONG_SLEEP}`], { reject: false });
    expect(left.stdout, 'the long step still runs').toBe('');
    expect(existsSync(marker)).toBe(false);
  });

  it('a failure stops the steps of work that runs side by side within the other side, too', async () => {
    const record = new RunRecord('unit-side-by-side');
    const marker = join(record.dir, 'inner-next-step-ran');
    const started = Date.now();
    // As the main job: QEMU on one side; on the other, the kernel's compile
    // beside the secure world.
    const run = sideBySide(
      async () => {
        await pause(500);
        await runStep(record, 'failing step', 'sh', ['-c', 'echo broken; exit 3']);
      },
      () =>
        sideBySide(
          async () => {
            await runStep(record, 'inner long step', 'sleep', [LONG_SLEEP]).catch(() => undefined);
            await runStep(record, 'inner next step', 'touch', [marker]);
          },
          () => runStep(record, 'inner other step', 'sleep', [LONG_SLEEP]),
        ),
    );
    await expect(run).rejects.toThrow(/failing step failed: exited with status 3/);
    expect(Date.now() - started).toBeLessThan(20_000);
    const left = await execa('pgrep', ['-f', `sleep ${LONG_SLEEP}`], { reject: false });
    expect(left.stdout, 'an inner step still runs').toBe('');
    expect(existsSync(marker)).toBe(false);
  });

  it('writes whole lines to the log, each naming its step while another runs beside it', async () => {
    const record = new RunRecord('unit-side-by-side');
    // Each writes a line in two pieces, with the other's output in between.
    const halves = (word: string) => `for i in 1 2 3 4 5; do printf '${word}-'; sleep 0.1; echo "$i"; done`;
    await sideBySide(
      () => runStep(record, 'left', 'sh', ['-c', halves('left')]),
      () => runStep(record, 'right', 'sh', ['-c', halves('right')]),
    );
    const lines = readFileSync(record.logPath, 'utf8').split('\n');
    const output = lines.filter((l) => /left-|right-/.test(l) && !l.startsWith('## '));
    expect(output).toHaveLength(10);
    // A step's last lines may come after the other has ended: no name then.
    for (const l of output) expect(l).toMatch(/^(\[left\] )?left-[1-5]$|^(\[right\] )?right-[1-5]$/);
    expect(output.filter((l) => l.startsWith('[left] ')).length).toBeGreaterThan(2);
    expect(output.filter((l) => l.startsWith('[right] ')).length).toBeGreaterThan(2);
  });
});
