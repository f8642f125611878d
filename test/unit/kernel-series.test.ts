// The kernel series as a product: every patch applies, is checkpatch
// --strict clean, builds on its own and adds no W=1 warning; its KUnit
// tests pass under QEMU. Warm, both reuse build directories in the cache.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { lastJson, protm } from '../helpers/cli.js';

describe('kernel series', () => {
  it('is bisectable and style-clean (protm patches check kernel)', async () => {
    const r = await protm(['patches', 'check', 'kernel', '--json']);
    const summary = lastJson(r.stdout);
    expect(summary.status, `${r.stderr.slice(-3000)}\n${r.stdout.slice(-3000)}`).toBe('ok');
    const series = readFileSync('kernel-patches/series', 'utf8').trim().split('\n');
    const verdicts = summary.patches as { patch: string; applies: boolean; style: string; builds: boolean; warnings: number }[];
    expect(verdicts.map((v) => v.patch)).toEqual(series);
    for (const v of verdicts) expect(v, v.patch).toMatchObject({ applies: true, style: 'clean', builds: true, warnings: 0 });
  });

  it('passes its KUnit tests (protm kunit)', async () => {
    const r = await protm(['kunit', '--json']);
    const summary = lastJson(r.stdout);
    expect(summary.status, `${r.stderr.slice(-3000)}\n${r.stdout.slice(-3000)}`).toBe('ok');
    const doc = JSON.parse(readFileSync(summary.results as string, 'utf8')) as {
      counts: { passed: number; failed: number };
      cases: { suite: string[]; status: string }[];
    };
    expect(doc.counts.failed).toBe(0);
    expect(doc.cases.filter((c) => c.suite.includes('panthor-protm') && c.status === 'pass').length).toBeGreaterThanOrEqual(13);
  });
});
