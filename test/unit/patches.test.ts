// The patch engine on the real pinned Linux tree, with a throw-away two-patch
// series (test/fixtures/kernel-series). A sparse git worktree of the cached
// base keeps this fast: only drivers/gpu/drm/panthor is checked out.
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../tools/lib/paths.js';
import { RunRecord } from '../../tools/lib/run-record.js';
import { exportSeries } from '../../tools/patches/export.js';
import { git, gitTry } from '../../tools/patches/git.js';
import { readSeries } from '../../tools/patches/series.js';
import { applySeriesAt, BASE_TAG, ensureBase, seriesCommits } from '../../tools/patches/worktree.js';

const fixture = join(repoRoot, 'test/fixtures/kernel-series/kernel-patches');
let scratch: string;
let main: string;
let tree: string;

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'protm-patches-'));
  main = await ensureBase('kernel', new RunRecord('test patches'));
  tree = join(scratch, 'tree');
  await git(main, ['worktree', 'add', '-q', '--no-checkout', '--detach', tree, BASE_TAG]);
  await git(tree, ['sparse-checkout', 'set', '--no-cone', '/drivers/gpu/drm/panthor/']);
  await git(tree, ['checkout', '-q', '--detach', BASE_TAG]);
  process.env.PROTM_PATCHES_ROOT = join(scratch, 'exported');
  // The fixture was exported by "Protm Test": exporting as them gives the same bytes.
  process.env.GIT_AUTHOR_NAME = 'Protm Test';
  process.env.GIT_AUTHOR_EMAIL = 'test@protm.invalid';
});

afterAll(async () => {
  delete process.env.PROTM_PATCHES_ROOT;
  delete process.env.GIT_AUTHOR_NAME;
  delete process.env.GIT_AUTHOR_EMAIL;
  rmSync(scratch, { recursive: true, force: true });
  await git(main, ['worktree', 'prune']);
  // The test tree's own branch (protm/<its parent directory>).
  await git(main, ['branch', '-D', `protm/${basename(scratch)}`]);
});

function files(dir: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(dir)
      .sort()
      .map((f) => [f, readFileSync(join(dir, f), 'utf8')]),
  );
}

describe('patch series engine', () => {
  it('applies one commit per patch, in series order', async () => {
    const series = readSeries(fixture);
    expect(series.patches).toHaveLength(2);
    await applySeriesAt(tree, series);
    const commits = await seriesCommits(tree);
    expect(commits).toHaveLength(2);
    const subjects = await git(tree, ['log', '--reverse', '--format=%s', `${BASE_TAG}..HEAD`]);
    expect(subjects.split('\n')).toEqual([
      'drm/panthor: Terminate the protected-section warning with a newline',
      'drm/panthor: Document what the interface entry flags describe',
    ]);
    expect(readFileSync(join(tree, 'drivers/gpu/drm/panthor/panthor_fw.c'), 'utf8')).toContain('not supported, ignoring\\n");');
  });

  it('exports the applied series byte-identically to the input', async () => {
    const result = await exportSeries('kernel', tree);
    expect(result.patches).toEqual(readSeries(fixture).patches);
    expect(files(result.dir)).toEqual(files(fixture));
  });

  it("exports with the exporter's git identity: From:, Signed-off-by and the cover letter, nothing of the previous author", async () => {
    // Long enough for format-patch to fold the From: header.
    process.env.GIT_AUTHOR_NAME = 'Ada Exporter of the Protected Content Pipeline';
    process.env.GIT_AUTHOR_EMAIL = 'ada.exporter@users.noreply.protected-content.example.org';
    try {
      const result = await exportSeries('kernel', tree);
      for (const name of [...result.patches, '0000-cover-letter.patch']) {
        const text = readFileSync(join(result.dir, name), 'utf8');
        const who = 'Ada Exporter of the Protected Content Pipeline <ada.exporter@users.noreply.protected-content.example.org>';
        expect(text.split('\n')[1], name).toBe(`From: ${who}`);
        expect(text.split('\n')[2], name).toMatch(/^(Date|Subject): /);
        expect(text, name).not.toContain('test@protm.invalid');
        if (name !== '0000-cover-letter.patch') expect(text.split('\n'), name).toContain(`Signed-off-by: ${who}`);
      }
    } finally {
      process.env.GIT_AUTHOR_NAME = 'Protm Test';
      process.env.GIT_AUTHOR_EMAIL = 'test@protm.invalid';
      await exportSeries('kernel', tree);
    }
  });

  it('re-exporting an unchanged tree changes no file', async () => {
    const result = await exportSeries('kernel', tree);
    expect(result.changed).toEqual([]);
  });

  it('keeps its state to its own worktree, leaving the main work tree alone', async () => {
    // The main work tree is the developer's: whatever they left in it (staged
    // or not) must be exactly as it was.
    const before = await git(main, ['rev-parse', 'HEAD']);
    const status = await git(main, ['status', '--porcelain', '--untracked-files=no']);
    const staged = await git(main, ['diff', '--cached']);
    await applySeriesAt(tree, readSeries(fixture));
    expect(await git(main, ['rev-parse', 'HEAD'])).toBe(before);
    expect(await git(main, ['status', '--porcelain', '--untracked-files=no'])).toBe(status);
    expect(await git(main, ['diff', '--cached'])).toBe(staged);
  });

  it('applying the same series twice gives the same commits', async () => {
    const first = await seriesCommits(tree);
    await applySeriesAt(tree, readSeries(fixture));
    expect(await seriesCommits(tree)).toEqual(first);
  });

  it('refuses to export uncommitted edits', async () => {
    const file = join(tree, 'drivers/gpu/drm/panthor/panthor_fw.c');
    const original = readFileSync(file, 'utf8');
    writeFileSync(file, `${original}\n`);
    try {
      await expect(exportSeries('kernel', tree)).rejects.toThrow(/uncommitted changes/);
    } finally {
      writeFileSync(file, original);
    }
  });

  it('names the patch and shows the failing hunk when a patch does not apply', async () => {
    const broken = join(scratch, 'broken');
    cpSync(fixture, broken, { recursive: true });
    const second = readSeries(fixture).patches[1]!;
    const path = join(broken, second);
    // Corrupt a context line so the hunk no longer matches the pinned tree.
    writeFileSync(path, readFileSync(path, 'utf8').replace(' #define CSF_FW_BINARY_IFACE_ENTRY_RD', ' #define CSF_FW_BINARY_IFACE_ENTRY_READ'));
    await expect(applySeriesAt(tree, readSeries(broken))).rejects.toThrow(
      new RegExp(
        `patch ${second.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} does not apply \\(drivers/gpu/drm/panthor/panthor_fw\\.c:\\d+\\)[\\s\\S]*--- failing hunk ---\\n@@ -\\d+`,
      ),
    );
    // The first patch applied; the failed one left no half-applied state.
    expect(await seriesCommits(tree)).toHaveLength(1);
    expect(await git(tree, ['status', '--porcelain', '--untracked-files=no'])).toBe('');
  });

  it('applies the series again after a `git am` that was killed half-way', async () => {
    const broken = join(scratch, 'interrupted');
    cpSync(fixture, broken, { recursive: true });
    const second = readSeries(fixture).patches[1]!;
    writeFileSync(
      join(broken, second),
      readFileSync(join(broken, second), 'utf8').replace(' #define CSF_FW_BINARY_IFACE_ENTRY_RD', ' #define CSF_FW_BINARY_IFACE_ENTRY_READ'),
    );
    // What a kill leaves: git am stopped on a patch, its state still there.
    await git(tree, ['checkout', '-q', '-f', '--detach', BASE_TAG]);
    const stopped = await gitTry(tree, ['am', join(broken, second)]);
    expect(stopped.ok).toBe(false);
    expect(existsSync(join(await git(tree, ['rev-parse', '--absolute-git-dir']), 'rebase-apply'))).toBe(true);
    await applySeriesAt(tree, readSeries(fixture));
    expect(await seriesCommits(tree)).toHaveLength(2);
  });
});
