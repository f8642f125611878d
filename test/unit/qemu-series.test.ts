// `protm patches check qemu` for real, on a throw-away two-patch series
// (test/fixtures/qemu-series) against the pinned QEMU: the first patch is
// clean; the second must be reported, for QEMU's checkpatch (a C99 comment)
// and for the compiler warning it adds (an unused variable). It runs in the
// check's own tree and build directory (<cache>/trees/qemu-check): cold, one
// full QEMU build in the sid build root; warm, two small incremental builds.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../tools/lib/paths.js';
import { firstChecked, type PatchVerdict } from '../../tools/patches/check.js';
import { lastJson, protm } from '../helpers/cli.js';

const fixture = join(repoRoot, 'test/fixtures/qemu-series');

describe('patches check qemu', () => {
  it('passes a clean patch and fails one with checkpatch errors and a new warning', async () => {
    const r = await protm(['patches', 'check', 'qemu', '--json'], { PROTM_PATCHES_ROOT: fixture });
    const why = `${r.stderr.slice(-3000)}\n${r.stdout.slice(-3000)}`;
    const summary = lastJson(r.stdout);
    // A verdict on the series, not a crash of the check itself.
    expect(summary.error, why).toBeUndefined();
    expect(summary.status, why).toBe('failed');
    expect(r.exitCode).toBe(1);

    const series = readFileSync(join(fixture, 'qemu-patches/series'), 'utf8').trim().split('\n');
    const verdicts = summary.patches as PatchVerdict[];
    expect(verdicts.map((v) => v.patch)).toEqual(series);
    const [clean, broken] = verdicts;
    expect(clean, JSON.stringify(clean)).toMatchObject({ applies: true, style: 'clean', builds: true, warnings: 0 });
    expect(broken, JSON.stringify(broken)).toMatchObject({ applies: true, style: 'issues', builds: true, warnings: 1 });
    expect(broken!.styleDetail).toMatch(/^ERROR: do not use C99 \/\/ comments\n#\d+: FILE: hw\/misc\/unimp\.c:\d+:/);
    expect(broken!.detail).toMatch(/hw\/misc\/unimp\.c:\d+:\d+: warning: unused variable [‘']unused[’']/);

    const results = JSON.parse(readFileSync(summary.results as string, 'utf8')) as {
      counts: { passed: number; failed: number };
      cases: { name: string; status: string; reason?: string }[];
    };
    expect(results.counts).toMatchObject({ passed: 1, failed: 1 });
    expect(results.cases[1]).toMatchObject({ name: series[1], status: 'fail', reason: 'checkpatch issues, 1 warnings' });
    expect(readFileSync(summary.junit as string, 'utf8')).toMatch(/<failure message="checkpatch issues, 1 warnings"/);
  });

  it('--from checks from the named patch on: the earlier ones are applied and built, and listed as not checked', async () => {
    const r = await protm(['patches', 'check', 'qemu', '--from', '2', '--json'], { PROTM_PATCHES_ROOT: fixture });
    const why = `${r.stderr.slice(-3000)}\n${r.stdout.slice(-3000)}`;
    const summary = lastJson(r.stdout);
    expect(summary.error, why).toBeUndefined();
    expect(summary.status, why).toBe('failed');
    expect(r.exitCode).toBe(1);
    const [before, broken] = summary.patches as PatchVerdict[];
    expect(before, JSON.stringify(before)).toMatchObject({ applies: true, unchecked: true, style: 'n/a', builds: null, warnings: null });
    expect(broken, JSON.stringify(broken)).toMatchObject({ applies: true, style: 'issues', builds: true, warnings: 1 });
    const results = JSON.parse(readFileSync(summary.results as string, 'utf8')) as {
      counts: { passed: number; failed: number; skipped: number };
      cases: { status: string; reason?: string }[];
    };
    expect(results.counts).toMatchObject({ passed: 0, failed: 1, skipped: 1 });
    expect(results.cases[0]).toMatchObject({ status: 'skip', reason: expect.stringMatching(/before the --from patch/) });
    // The tree before the checked patch was built: a step of its own in the log.
    expect(readFileSync(summary.metadata as string, 'utf8')).toMatch(/build before 0002-[^"]*\(earlier patches applied, not checked\)/);
  });

  it('--from a patch the series does not have is a usage error naming the choices', async () => {
    const r = await protm(['patches', 'check', 'qemu', '--from', '3', '--json'], { PROTM_PATCHES_ROOT: fixture });
    expect(r.exitCode).toBe(2);
    expect(lastJson(r.stdout).error).toBe('--from 3: no such patch in the series');
    expect(r.stderr).toMatch(/a number from 1 to 2, or a file name in the series/);
  });

  it('--from takes a patch number or a file name', () => {
    const patches = ['0001-a.patch', '0002-b.patch'];
    expect(firstChecked(patches, '1')).toBe(0);
    expect(firstChecked(patches, '2')).toBe(1);
    expect(firstChecked(patches, '0002-b.patch')).toBe(1);
    for (const bad of ['0', '3', '0003-c.patch', '']) expect(() => firstChecked(patches, bad), bad).toThrow(/no such patch/);
  });
});
