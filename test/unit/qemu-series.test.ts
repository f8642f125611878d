// `protm patches check qemu` for real, on a throw-away two-patch series
// (test/fixtures/qemu-series) put on top of our Mali model's series: the
// first fixture patch is clean; the second must be reported, for QEMU's
// checkpatch (a C99 comment), for the compiler warning it adds (an unused
// variable) and for a file it changes that the build does not compile
// (hw/misc/mips_cpc.c, no MIPS target: its warnings cannot be checked, so
// it is not clean). The model's patches come first, and are applied and
// built but not checked (--from), so that the check tree has the same configuration
// headers as the QEMU the main job builds (config-poison.h lists every
// device symbol, and every object includes it): from an empty check tree,
// its first build is then ccache hits instead of QEMU's compile once more.
// It runs in the check's own tree and build directory
// (<cache>/trees/qemu-check).
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../tools/lib/paths.js';
import { firstChecked, type PatchVerdict } from '../../tools/patches/check.js';
import { readSeries } from '../../tools/patches/series.js';
import { lastJson, protm } from '../helpers/cli.js';

const fixtureDir = join(repoRoot, 'test/fixtures/qemu-series/qemu-patches');
const modelDir = join(repoRoot, 'qemu-patches');
const fixturePatches = readSeries(fixtureDir).patches;
const modelPatches = readSeries(modelDir).patches;

/** A patches root whose QEMU series is the model's, then the fixture's. */
const root = mkdtempSync(join(tmpdir(), 'protm-qemu-series-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const seriesDir = join(root, 'qemu-patches');
mkdirSync(seriesDir);
for (const p of modelPatches) copyFileSync(join(modelDir, p), join(seriesDir, p));
for (const p of fixturePatches) copyFileSync(join(fixtureDir, p), join(seriesDir, p));
const series = [...modelPatches, ...fixturePatches];
writeFileSync(join(seriesDir, 'series'), `${series.join('\n')}\n`);
const env = { PROTM_PATCHES_ROOT: root };
const [cleanPatch, brokenPatch] = fixturePatches as [string, string];

describe('patches check qemu', () => {
  it('passes a clean patch and fails one with checkpatch errors, a new warning and a change the build does not compile', async () => {
    const r = await protm(['patches', 'check', 'qemu', '--from', cleanPatch, '--json'], env);
    const why = `${r.stderr.slice(-3000)}\n${r.stdout.slice(-3000)}`;
    const summary = lastJson(r.stdout);
    // A verdict on the series, not a crash of the check itself.
    expect(summary.error, why).toBeUndefined();
    expect(summary.status, why).toBe('failed');
    expect(r.exitCode).toBe(1);

    const verdicts = summary.patches as PatchVerdict[];
    expect(verdicts.map((v) => v.patch)).toEqual(series);
    for (const v of verdicts.slice(0, modelPatches.length)) expect(v, JSON.stringify(v)).toMatchObject({ applies: true, unchecked: true });
    const [clean, broken] = verdicts.slice(modelPatches.length);
    expect(clean, JSON.stringify(clean)).toMatchObject({ applies: true, style: 'clean', builds: true, warnings: 0 });
    expect(broken, JSON.stringify(broken)).toMatchObject({ applies: true, style: 'issues', builds: true, warnings: 2 });
    expect(broken!.styleDetail).toMatch(/^ERROR: do not use C99 \/\/ comments\n#\d+: FILE: hw\/misc\/unimp\.c:\d+:/);
    expect(broken!.detail).toMatch(/hw\/misc\/unimp\.c:\d+:\d+: warning: unused variable [‘']unused[’']/);
    expect(broken!.detail).toMatch(/^hw\/misc\/mips_cpc\.c: not compiled by the check's build configuration, so its warnings are not checked$/m);

    const results = JSON.parse(readFileSync(summary.results as string, 'utf8')) as {
      counts: { passed: number; failed: number };
      cases: { name: string; status: string; reason?: string }[];
    };
    expect(results.counts).toMatchObject({ passed: 1, failed: 1, skipped: modelPatches.length });
    expect(results.cases.at(-1)).toMatchObject({ name: brokenPatch, status: 'fail', reason: 'checkpatch issues, 2 warnings' });
    expect(readFileSync(summary.junit as string, 'utf8')).toMatch(/<failure message="checkpatch issues, 2 warnings"/);
  });

  it('--from checks from the named patch on: the earlier ones are applied and built, and listed as not checked', async () => {
    const r = await protm(['patches', 'check', 'qemu', '--from', String(series.length), '--json'], env);
    const why = `${r.stderr.slice(-3000)}\n${r.stdout.slice(-3000)}`;
    const summary = lastJson(r.stdout);
    expect(summary.error, why).toBeUndefined();
    expect(summary.status, why).toBe('failed');
    expect(r.exitCode).toBe(1);
    const [before, broken] = (summary.patches as PatchVerdict[]).slice(-2);
    expect(before, JSON.stringify(before)).toMatchObject({ applies: true, unchecked: true, style: 'n/a', builds: null, warnings: null });
    expect(broken, JSON.stringify(broken)).toMatchObject({ applies: true, style: 'issues', builds: true, warnings: 2 });
    const results = JSON.parse(readFileSync(summary.results as string, 'utf8')) as {
      counts: { passed: number; failed: number; skipped: number };
      cases: { status: string; reason?: string }[];
    };
    expect(results.counts).toMatchObject({ passed: 0, failed: 1, skipped: series.length - 1 });
    expect(results.cases.at(-2)).toMatchObject({ status: 'skip', reason: expect.stringMatching(/before the --from patch/) });
    // The tree before the checked patch was built: a step of its own in the log.
    expect(readFileSync(summary.metadata as string, 'utf8')).toMatch(/build before 0002-[^"]*\(earlier patches applied, not checked\)/);
  });

  it('--from a patch the series does not have is a usage error naming the choices', async () => {
    const past = String(series.length + 1);
    const r = await protm(['patches', 'check', 'qemu', '--from', past, '--json'], env);
    expect(r.exitCode).toBe(2);
    expect(lastJson(r.stdout).error).toBe(`--from ${past}: no such patch in the series`);
    expect(r.stderr).toMatch(new RegExp(`a number from 1 to ${series.length}, or a file name in the series`));
  });

  it('--from takes a patch number or a file name', () => {
    const patches = ['0001-a.patch', '0002-b.patch'];
    expect(firstChecked(patches, '1')).toBe(0);
    expect(firstChecked(patches, '2')).toBe(1);
    expect(firstChecked(patches, '0002-b.patch')).toBe(1);
    for (const bad of ['0', '3', '0003-c.patch', '']) expect(() => firstChecked(patches, bad), bad).toThrow(/no such patch/);
  });
});
