// Bad conditions give one clear error naming the cause and the way out, a
// non-zero exit and a run record: not root, no route to the package archive,
// a tool that is not installed, QEMU that cannot start, QEMU that does not
// exit. Each condition is real (another uid, a closed port, a missing binary,
// a QEMU stand-in that ignores SIGTERM).
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { ProtmError } from '../../tools/lib/errors.js';
import { repoRoot } from '../../tools/lib/paths.js';
import { runStep } from '../../tools/lib/process.js';
import { RunRecord } from '../../tools/lib/run-record.js';
import { lastJson, protm } from '../helpers/cli.js';

const scratch = mkdtempSync(join(tmpdir(), 'protm-errors-'));
chmodSync(scratch, 0o777);
// Asynchronous: a large scratch tree removed synchronously blocks the test
// worker long enough for vitest's RPC to time out on a loaded machine.
afterAll(() => rm(scratch, { recursive: true, force: true }));

function resultsOf(stdout: string): { cases: { suite: string[]; name: string; status: string; reason?: string; diagnostics: string[] }[] } {
  return JSON.parse(readFileSync(lastJson(stdout).results as string, 'utf8'));
}

/**
 * A fake QEMU (an executable in the scratch directory named `name`) that
 * boots, reports one passing check and powers off, then runs `after`;
 * `before` runs first.
 */
function poweringOffQemu(name: string, after: string, before = ''): string {
  const fake = join(scratch, name);
  const boot = [
    'Booting Linux on physical CPU 0x0',
    'Run /init as init process',
    'protm-ktap: KTAP version 1',
    'protm-ktap: 1..1',
    'protm-ktap: ok 1 fake-check',
    'reboot: Power down',
  ].map((line, i) => `echo '[    ${i}.000000] ${line}'`);
  writeFileSync(fake, ['#!/bin/sh', before, ...boot, after, ''].join('\n'));
  chmodSync(fake, 0o755);
  return fake;
}

describe('clear errors', () => {
  it('not root: building QEMU says it needs root and how to proceed', async () => {
    const cache = join(scratch, 'nobody-cache');
    mkdirSync(cache, { recursive: true });
    chmodSync(cache, 0o777);
    const r = await execa(
      'setpriv',
      ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, join(repoRoot, 'bin', 'protm.js'), 'build', 'qemu'],
      {
        env: { PROTM_CACHE: cache, HOME: scratch },
        reject: false,
      },
    );
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/building QEMU needs root \(it enters a Debian build root with unshare and chroot\), and protm runs as uid 65534/);
    expect(r.stderr).toMatch(/hint: run protm as root/);
    expect(r.stderr).toMatch(/run record: \S+metadata\.json/);
  });

  it('no route to the package archive: names the archive and the way out', async () => {
    const r = await protm(['sources', 'fetch', 'busybox'], { PROTM_CACHE: join(scratch, 'offline-cache'), PROTM_DEBIAN_MIRROR: 'http://127.0.0.1:9/debian' });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/cannot reach the Debian archive at http:\/\/127\.0\.0\.1:9\/debian/);
    expect(r.stderr).toMatch(/hint: check the network, or set PROTM_DEBIAN_MIRROR/);
  });

  it('a tool that is not installed is named, with the way to install it', async () => {
    const previous = process.env.PROTM_CACHE;
    process.env.PROTM_CACHE = join(scratch, 'tool-cache');
    try {
      const record = new RunRecord('test missing tool');
      const run = runStep(record, 'frobnicate the widget', 'protm-no-such-tool', ['--now']);
      await expect(run).rejects.toThrow(ProtmError);
      await expect(run).rejects.toThrow(/frobnicate the widget failed: protm-no-such-tool is not installed/);
    } finally {
      // Assigning undefined would set the string "undefined" (a cache in the checkout).
      if (previous === undefined) delete process.env.PROTM_CACHE;
      else process.env.PROTM_CACHE = previous;
    }
  });

  it('QEMU that cannot start: one clear error, not a hang or a stage timeout', async () => {
    const r = await protm(['run', '--no-gpu', '--json'], { PROTM_QEMU: join(scratch, 'no-such-dir', 'qemu-system-aarch64') });
    expect(r.exitCode).toBe(1);
    expect(lastJson(r.stdout).error).toMatch(/QEMU could not be started \(\S+no-such-dir\/qemu-system-aarch64\): not found/);
  });

  it('QEMU that exits at once: its own words, and output that arrives after its exit neither crashes protm nor is lost', async () => {
    const fake = join(scratch, 'qemu-missing-library');
    // As a binary built against another libc fails; a child of the wrapper
    // still writes to stderr after the wrapper exited and the console (its
    // stdout) ended.
    writeFileSync(
      fake,
      `#!/bin/sh
exec >&-
echo "$0: /lib/x86_64-linux-gnu/libc.so.6: version \\\`GLIBC_2.42' not found" >&2
(sleep 3; echo 'late output' >&2) &
exit 1
`,
    );
    chmodSync(fake, 0o755);
    const r = await protm(['run', '--no-gpu', '--json'], { PROTM_QEMU: fake });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).not.toMatch(/ERR_STREAM_WRITE_AFTER_END|Unhandled 'error' event/);
    const summary = lastJson(r.stdout);
    expect(summary.error).toMatch(/^QEMU exited with status 1 during boot stage "\w+":\n.*GLIBC_2\.42' not found/);
    expect(r.stderr).toContain(`the full console is in ${join(dirname(summary.metadata as string), 'boot', 'console.log')}`);
    const consoleLog = readFileSync(join(dirname(summary.metadata as string), 'boot', 'console.log'), 'utf8');
    expect(consoleLog).toMatch(/\[qemu stderr\] late output/);
  });

  // The model under test may crash or trip an assertion while it shuts down:
  // the checks all passed, but the instrument did not.
  it('QEMU that dies of a signal after the power-off fails the run, with its last words', async () => {
    const fake = poweringOffQemu(
      'qemu-crashes-at-exit',
      "echo 'qemu-system-aarch64: ../hw/misc/mali_csf.c:123: mali_csf_reset: Assertion failed.' >&2\nkill -SEGV $$",
    );
    const r = await protm(['run', '--no-gpu', '--json'], { PROTM_QEMU: fake });
    expect(r.exitCode).toBe(1);
    const boot = resultsOf(r.stdout).cases.find((c) => c.suite[0] === 'boot');
    expect(boot).toMatchObject({ name: 'QEMU exited cleanly after the power-off', status: 'fail', reason: 'QEMU was killed by SIGSEGV after the power-off' });
    expect(boot?.diagnostics.join('\n')).toMatch(/mali_csf_reset: Assertion failed/);
    expect(resultsOf(r.stdout).cases.find((c) => c.name === 'fake-check')?.status).toBe('pass');
  });

  it('QEMU that does not exit after the power-off is killed and fails the run', async () => {
    const marker = `protm-stuck-qemu-${process.pid}`;
    // It never exits, and ignores SIGTERM.
    const fake = poweringOffQemu(marker, 'while :; do sleep 1; done', "trap '' TERM");
    const r = await protm(['run', '--no-gpu', '--json'], { PROTM_QEMU: fake });
    expect(r.exitCode).toBe(1);
    const boot = resultsOf(r.stdout).cases.find((c) => c.suite[0] === 'boot');
    expect(boot?.status).toBe('fail');
    expect(boot?.reason).toMatch(/QEMU did not exit within 15 s of the kernel's power-off; it was killed/);
    expect(resultsOf(r.stdout).cases.find((c) => c.name === 'fake-check')?.status).toBe('pass');
    let left = '';
    try {
      left = execFileSync('pgrep', ['-f', marker], { encoding: 'utf8' });
    } catch {
      // pgrep exits 1 when nothing matches
    }
    expect(left.trim()).toBe('');
    expect(existsSync(fake)).toBe(true);
  });
});
