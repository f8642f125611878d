// Which KUnit build a run makes (tools/build/kunit-plan.ts): the modules
// alone only when nothing but C files of directories built as modules
// changed since the last build, and the initramfs that loads them
// (tools/build/kunit-initramfs.ts).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { initramfsList } from '../../tools/build/kunit-initramfs.js';
import { type BuildState, EXPORT_LINE, modularDirs, planBuild } from '../../tools/build/kunit-plan.js';
import { pathsWithChangedLine } from '../../tools/patches/git.js';

const last: BuildState = { recipe: 1, tree: 'a'.repeat(40), config: 'c1' };
const now: BuildState = { ...last, tree: 'b'.repeat(40) };
const PANTHOR = 'drivers/gpu/drm/panthor';
const TEE = 'drivers/tee';
/** Both directories built as modules, as images/kernel/kunit.config has it. */
const changes = (paths: string[] | undefined, exportEdits: string[] = []) => ({ paths, modular: [TEE, PANTHOR], exportEdits });

describe('KUnit build plan', () => {
  it('rebuilds the modules alone when only Panthor sources and headers changed', () => {
    const plan = planBuild(last, now, changes([`${PANTHOR}/panthor_sched.c`, `${PANTHOR}/tests/panthor_protm_test.c`, `${PANTHOR}/panthor_gem.h`]));
    expect(plan).toMatchObject({ kind: 'modules', dirs: [PANTHOR] });
  });

  it("rebuilds the TEE core's module for an edit of tee_heap.c, before Panthor's when both changed", () => {
    expect(planBuild(last, now, changes([`${TEE}/tee_heap.c`]))).toMatchObject({ kind: 'modules', dirs: [TEE] });
    expect(planBuild(last, now, changes([`${PANTHOR}/panthor_gem.c`, `${TEE}/tee_private.h`]))).toMatchObject({ kind: 'modules', dirs: [TEE, PANTHOR] });
  });

  it('rebuilds the kernel when a directory is built in, not as a module', () => {
    const plan = planBuild(last, now, { paths: [`${TEE}/tee_heap.c`], modular: [PANTHOR], exportEdits: [] });
    expect(plan).toEqual({ kind: 'full', reason: `changed outside the modules' C files (${PANTHOR}): ${TEE}/tee_heap.c` });
  });

  it('rebuilds the kernel when a file outside the modules changed, and names it', () => {
    const plan = planBuild(last, now, changes([`${PANTHOR}/panthor_sched.c`, 'include/linux/tee_drv.h']));
    expect(plan).toEqual({ kind: 'full', reason: `changed outside the modules' C files (${TEE}, ${PANTHOR}): include/linux/tee_drv.h` });
  });

  it('rebuilds the kernel when an edit adds or removes an export, which the modules build would check against the old list', () => {
    const plan = planBuild(last, now, changes([`${TEE}/tee_heap.c`], [`${TEE}/tee_heap.c`]));
    expect(plan).toEqual({ kind: 'full', reason: `exports added or removed: ${TEE}/tee_heap.c` });
  });

  it('rebuilds the kernel for a Kconfig or Makefile, which change what is configured or built', () => {
    expect(planBuild(last, now, changes([`${PANTHOR}/Kconfig`])).kind).toBe('full');
    expect(planBuild(last, now, changes([`${PANTHOR}/tests/Makefile`])).kind).toBe('full');
    expect(planBuild(last, now, changes([`${TEE}/Makefile`])).kind).toBe('full');
  });

  it('rebuilds the kernel after a .config change, a recipe change, with no earlier build or nothing to compare', () => {
    const edit = changes([`${PANTHOR}/panthor_sched.c`]);
    expect(planBuild(last, { ...now, config: 'c2' }, edit).kind).toBe('full');
    expect(planBuild(last, { ...now, recipe: 2 }, edit).kind).toBe('full');
    expect(planBuild(undefined, now, edit).kind).toBe('full');
    expect(planBuild(last, now, changes(undefined)).kind).toBe('full');
  });

  it('builds nothing when nothing changed', () => {
    expect(planBuild(last, { ...last }, changes([])).kind).toBe('none');
  });

  it('takes a directory as modular only when its option is =m in the .config', () => {
    expect(modularDirs('CONFIG_TEE=m\nCONFIG_DRM_PANTHOR=m\n')).toEqual([TEE, PANTHOR]);
    expect(modularDirs('CONFIG_TEE=y\nCONFIG_DRM_PANTHOR=m\n')).toEqual([PANTHOR]);
    expect(modularDirs('# CONFIG_TEE is not set\nCONFIG_TEE_DMABUF_HEAPS=m\n')).toEqual([]);
  });
});

describe('export edits', () => {
  it('finds the files whose diff adds or removes an export, and only those', async () => {
    const repo = mkdtempSync(join(tmpdir(), 'protm-exports-'));
    try {
      const git = (args: string[]) => execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8' }).trim();
      git(['init', '-q']);
      writeFileSync(join(repo, 'a.c'), 'int a(void) { return 0; }\nEXPORT_SYMBOL_GPL(a);\n');
      writeFileSync(join(repo, 'b.c'), 'int b(void) { return 0; }\n');
      writeFileSync(join(repo, 'c.c'), 'int c(void) { return 0; }\n');
      git(['add', '.']);
      const before = git(['write-tree']);
      writeFileSync(join(repo, 'a.c'), 'int a(void) { return 1; }\nEXPORT_SYMBOL_GPL(a);\n');
      writeFileSync(join(repo, 'b.c'), 'int b(void) { return 0; }\nEXPORT_SYMBOL_IF_KUNIT(b);\n');
      writeFileSync(join(repo, 'c.c'), '');
      git(['add', '.']);
      const after = git(['write-tree']);
      await expect(pathsWithChangedLine(repo, before, after, ['a.c', 'b.c', 'c.c'], EXPORT_LINE)).resolves.toEqual(['b.c']);
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  });
});

describe('KUnit initramfs', () => {
  it('numbers the modules in the build order, so the init loads them in that order', () => {
    const list = initramfsList('/cache/init', ['/b/drivers/gpu/drm/drm_exec.ko', '/b/drivers/gpu/drm/panthor/panthor.ko']);
    expect(list.split('\n')).toEqual([
      'dir /dev 0755 0 0',
      'nod /dev/console 0600 0 0 c 5 1',
      'nod /dev/kmsg 0644 0 0 c 1 11',
      'file /init /cache/init 0755 0 0',
      'dir /modules 0755 0 0',
      'file /modules/00-drm_exec.ko /b/drivers/gpu/drm/drm_exec.ko 0644 0 0',
      'file /modules/01-panthor.ko /b/drivers/gpu/drm/panthor/panthor.ko 0644 0 0',
      '',
    ]);
  });
});
