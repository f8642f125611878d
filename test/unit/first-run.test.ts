// A user's first impression: the README's main command on a fresh clone with
// an empty cache. Downloads and ccache are borrowed from the real cache
// (PROTM_SHARED_CACHE, so this fits CI's time), everything else starts from
// nothing: apt state, work trees, build roots, build directories, products.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cacheDir, repoRoot } from '../../tools/lib/paths.js';
import { lastJson, protmAt } from '../helpers/cli.js';

const scratch = mkdtempSync(join(tmpdir(), 'protm-first-run-'));
// Asynchronous: a large scratch tree removed synchronously blocks the test
// worker long enough for vitest's RPC to time out on a loaded machine.
afterAll(() => rm(scratch, { recursive: true, force: true }));

describe('first run', () => {
  it('npx protm run on a fresh clone with an empty cache passes the default suite', async () => {
    const clone = join(scratch, 'clone');
    execFileSync('git', ['clone', '-q', repoRoot, clone]);
    symlinkSync(join(repoRoot, 'node_modules'), join(clone, 'node_modules'));
    const cache = join(scratch, 'cache');
    expect(existsSync(cache)).toBe(false);
    const r = await protmAt(clone, ['run', '--json'], { PROTM_CACHE: cache, PROTM_SHARED_CACHE: cacheDir() });
    const summary = lastJson(r.stdout);
    expect(summary.status, `${r.stderr.slice(-4000)}\n${r.stdout.slice(-2000)}`).toBe('ok');
    const doc = JSON.parse(readFileSync(summary.results as string, 'utf8')) as { counts: { passed: number; failed: number } };
    expect(doc.counts.failed).toBe(0);
    expect(doc.counts.passed).toBeGreaterThan(5);
    // It really started from nothing: every product was built by this run.
    const meta = JSON.parse(readFileSync(summary.metadata as string, 'utf8')) as { steps: { name: string; status: string }[]; seconds: number };
    // (A product built earlier in the same run is "cached" when asked for again.)
    for (const step of ['build root sid-qemu', 'optee-os: build', 'tfa: build bl1 bl2 bl31', 'kernel Image', 'qemu ninja qemu-system-aarch64']) {
      expect(meta.steps.find((s) => s.name.startsWith(step))?.status, step).toBe('ok');
    }
    process.stderr.write(`first run from an empty cache: ${meta.seconds.toFixed(0)} s\n`);
  });
});
