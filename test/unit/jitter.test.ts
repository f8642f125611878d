// PROTM_QEMU_JITTER: a bad value is a usage error, and the jitter really
// stops the child's process group for the asked lengths, then lets it run.
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { parseJitter, startJitter } from '../../tools/boot/jitter.js';
import { ProtmError, USAGE_ERROR } from '../../tools/lib/errors.js';

describe('PROTM_QEMU_JITTER', () => {
  it('is off when unset, MIN-MAX milliseconds when set, and a usage error otherwise', () => {
    expect(parseJitter(undefined)).toBeUndefined();
    expect(parseJitter('')).toBeUndefined();
    expect(parseJitter('20-140')).toEqual({ minMs: 20, maxMs: 140 });
    for (const bad of ['on', '20', '0-10', '50-10', '1-9999', '-5-10']) {
      let err: unknown;
      try {
        parseJitter(bad);
      } catch (e) {
        err = e;
      }
      expect(err, bad).toBeInstanceOf(ProtmError);
      expect((err as ProtmError).exitCode, bad).toBe(USAGE_ERROR);
      expect((err as ProtmError).message, bad).toContain(`PROTM_QEMU_JITTER=${bad}`);
    }
  });

  it("stops the child's process group for the asked time at random moments, and lets it run once ended", async () => {
    // A child in its own process group, as QEMU is, printing its clock every 5 ms.
    const child = spawn(process.execPath, ['-e', 'setInterval(() => console.log(Date.now()), 5)'], {
      detached: true,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const ticks: number[] = [];
    let partial = '';
    child.stdout.on('data', (d: Buffer) => {
      const lines = (partial + d.toString()).split('\n');
      partial = lines.pop() ?? '';
      ticks.push(...lines.map(Number));
    });
    try {
      await sleep(300);
      const jitter = startJitter(child, { minMs: 120, maxMs: 150 });
      await sleep(2000);
      const { stops, stoppedMs } = jitter.end();
      const endedAt = ticks.length;
      await sleep(300);
      expect(stops).toBeGreaterThanOrEqual(2);
      expect(stoppedMs).toBeGreaterThanOrEqual(120 * (stops - 1));
      // The child's own clock shows each stop as a gap of at least MIN between two ticks.
      const gaps = ticks.slice(1).map((t, i) => t - (ticks[i] as number));
      expect(gaps.filter((g) => g >= 115).length).toBeGreaterThanOrEqual(stops - 1);
      // Once ended, it runs: ticks keep coming.
      expect(ticks.length - endedAt).toBeGreaterThan(20);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
