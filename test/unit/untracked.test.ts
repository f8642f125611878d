// Which untracked files count as the developer's work (tools/patches/git.ts).
// The pinned Linux tree is Debian's, whose .gitignore ends with `/*`: there
// git ignores every new file, so without this a new file was in no hash, no
// snapshot and no export (the series' .kunitconfig was lost that way).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { editsHash, isClean, untrackedFiles, workTreeSnapshot } from '../../tools/patches/git.js';

const scratch = mkdtempSync(join(tmpdir(), 'protm-untracked-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function repo(name: string, gitignore: string): string {
  const dir = join(scratch, name);
  mkdirSync(join(dir, 'drivers'), { recursive: true });
  writeFileSync(join(dir, '.gitignore'), gitignore);
  writeFileSync(join(dir, 'drivers', 'a.c'), 'int a;\n');
  const git = (args: string[]) =>
    execFileSync('git', args, {
      cwd: dir,
      env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t.invalid', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t.invalid' },
    });
  git(['init', '-q']);
  git(['add', '-A', '-f']);
  git(['commit', '-q', '-m', 'base']);
  // protm's build directories live inside the source tree.
  mkdirSync(join(dir, '.protm-out', 'drivers'), { recursive: true });
  writeFileSync(join(dir, '.protm-out', 'drivers', 'a.o'), 'object');
  return dir;
}

describe('untracked files', () => {
  it("count in a tree whose .gitignore ignores everything (Debian's `/*`), except protm's build directories", async () => {
    const dir = repo('debian', '*.o\n/*\n!/debian/\n');
    expect(await isClean(dir)).toBe(true);
    const before = await editsHash(dir, 'HEAD');
    const snapshotBefore = await workTreeSnapshot(dir, join(scratch, 'index-1'));
    writeFileSync(join(dir, 'drivers', '.kunitconfig'), 'CONFIG_KUNIT=y\n');
    expect(await untrackedFiles(dir)).toEqual(['drivers/.kunitconfig']);
    expect(await isClean(dir)).toBe(false);
    const after = await editsHash(dir, 'HEAD');
    expect(after).not.toBe(before);
    const snapshot = await workTreeSnapshot(dir, join(scratch, 'index-2'));
    expect(snapshot).not.toBe(snapshotBefore);
    writeFileSync(join(dir, 'drivers', '.kunitconfig'), 'CONFIG_KUNIT=m\n');
    expect(await editsHash(dir, 'HEAD')).not.toBe(after);
    expect(await workTreeSnapshot(dir, join(scratch, 'index-3'))).not.toBe(snapshot);
  });

  it("follow the tree's own rules elsewhere", async () => {
    const dir = repo('plain', '*.o\n/.protm-out/\n');
    writeFileSync(join(dir, 'drivers', 'a.o'), 'object');
    writeFileSync(join(dir, 'drivers', 'b.c'), 'int b;\n');
    expect(await untrackedFiles(dir)).toEqual(['drivers/b.c']);
  });
});
