// Which KUnit build a run makes (tools/build/kunit-plan.ts): the modules
// alone only when nothing but C files of directories built as modules, or
// headers only their objects read (tools/build/kbuild-deps.ts), changed since
// the last build, and the initramfs that loads them
// (tools/build/kunit-initramfs.ts).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dependencies, objectsReading } from '../../tools/build/kbuild-deps.js';
import { initramfsList } from '../../tools/build/kunit-initramfs.js';
import { type BuildState, EXPORT_LINE, modularDirs, planBuild } from '../../tools/build/kunit-plan.js';
import { pathsWithChangedLine } from '../../tools/patches/git.js';

const last: BuildState = { recipe: 1, tree: 'a'.repeat(40), config: 'c1' };
const now: BuildState = { ...last, tree: 'b'.repeat(40) };
const PANTHOR = 'drivers/gpu/drm/panthor';
const TEE = 'drivers/tee';
/** Both directories built as modules, as images/kernel/kunit.config has it. */
const changes = (paths: string[] | undefined, exportEdits: string[] = [], readers: Record<string, string[]> = {}) => ({
  paths,
  modular: [TEE, PANTHOR],
  exportEdits,
  readers,
});

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
    const plan = planBuild(last, now, changes([`${PANTHOR}/panthor_sched.c`, 'kernel/fork.c']));
    expect(plan).toEqual({ kind: 'full', reason: `changed outside the modules' C files (${TEE}, ${PANTHOR}): kernel/fork.c` });
  });

  it('rebuilds the modules alone for a header elsewhere that only their objects read, every module that reads it', () => {
    const readers = {
      'include/linux/tee_drv.h': [`${PANTHOR}/panthor_gem.o`, `${TEE}/tee_core.o`, `${PANTHOR}/tests/panthor_protm_test.o`],
      'include/uapi/drm/panthor_drm.h': [`${PANTHOR}/panthor_drv.o`],
    };
    expect(planBuild(last, now, changes(['include/uapi/drm/panthor_drm.h'], [], readers))).toMatchObject({ kind: 'modules', dirs: [PANTHOR] });
    expect(planBuild(last, now, changes(['include/linux/tee_drv.h'], [], readers))).toMatchObject({ kind: 'modules', dirs: [TEE, PANTHOR] });
    // A header of one module directory that the other's code reads rebuilds both.
    const shared = { [`${TEE}/tee_private.h`]: [`${TEE}/tee_core.o`, `${PANTHOR}/panthor_gem.o`] };
    expect(planBuild(last, now, changes([`${TEE}/tee_private.h`], [], shared))).toMatchObject({ kind: 'modules', dirs: [TEE, PANTHOR] });
  });

  it('rebuilds the kernel for a header a built-in object reads, and names that object', () => {
    const readers = { 'include/linux/dma-buf.h': [`${TEE}/tee_heap.o`, 'drivers/dma-buf/dma-buf.o', 'drivers/dma-buf/dma-heap.o'] };
    expect(planBuild(last, now, changes(['include/linux/dma-buf.h'], [], readers))).toEqual({
      kind: 'full',
      reason: `changed outside the modules' C files (${TEE}, ${PANTHOR}): include/linux/dma-buf.h (read by drivers/dma-buf/dma-buf.o, drivers/dma-buf/dma-heap.o)`,
    });
  });

  it('rebuilds the kernel for a header outside the modules that no object read (a new one may hide another on the include path)', () => {
    const plan = planBuild(last, now, changes(['include/linux/tee_new.h'], [], { 'include/linux/tee_new.h': [] }));
    expect(plan).toEqual({ kind: 'full', reason: `changed outside the modules' C files (${TEE}, ${PANTHOR}): include/linux/tee_new.h` });
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

describe("Kbuild's dependency lists", () => {
  // Both forms Kbuild writes: a whole build runs the compiler in the build
  // directory (a dot directory of the tree), an external-module build in the
  // module's directory under it, with the source as an absolute path.
  const WHOLE = [
    'savedcmd_drivers/dma-buf/dma-buf.o := gcc -c -o drivers/dma-buf/dma-buf.o ../drivers/dma-buf/dma-buf.c',
    '',
    'source_drivers/dma-buf/dma-buf.o := ../drivers/dma-buf/dma-buf.c',
    '',
    'deps_drivers/dma-buf/dma-buf.o := \\',
    '    $(wildcard include/config/DMABUF_SYSFS_STATS) \\',
    '  ../include/linux/dma-buf.h \\',
    '  ../arch/arm64/include/asm/tee_drv.h \\',
    '  ../drivers/dma-buf/../tee/tee_private.h \\',
    '',
    'drivers/dma-buf/dma-buf.o: $(deps_drivers/dma-buf/dma-buf.o)',
    '',
    '$(deps_drivers/dma-buf/dma-buf.o):',
    '',
  ].join('\n');
  const MODULE = [
    'savedcmd_panthor_gem.o := gcc -c -o panthor_gem.o /src/drivers/gpu/drm/panthor/panthor_gem.c',
    '',
    'source_panthor_gem.o := ../../../../../drivers/gpu/drm/panthor/panthor_gem.c',
    '',
    'deps_panthor_gem.o := \\',
    '  ../../../../../include/linux/dma-buf.h \\',
    '  /src/include/linux/tee_drv.h \\',
    '',
    'panthor_gem.o: $(deps_panthor_gem.o)',
    '',
  ].join('\n');

  it('reads the files an object was made from, as paths in the source tree', () => {
    expect([...dependencies(WHOLE, '/src')]).toEqual([
      'drivers/dma-buf/dma-buf.c',
      'include/linux/dma-buf.h',
      'arch/arm64/include/asm/tee_drv.h',
      'drivers/tee/tee_private.h',
    ]);
    expect([...dependencies(MODULE, '/src')]).toEqual(['drivers/gpu/drm/panthor/panthor_gem.c', 'include/linux/dma-buf.h', 'include/linux/tee_drv.h']);
  });

  it("finds every object of a build directory that read a header, and nothing through the build directory's link to the tree", () => {
    const src = mkdtempSync(join(tmpdir(), 'protm-kbuild-deps-'));
    try {
      const build = join(src, '.protm-kunit');
      mkdirSync(join(build, 'drivers/dma-buf'), { recursive: true });
      mkdirSync(join(build, 'drivers/gpu/drm/panthor'), { recursive: true });
      writeFileSync(join(build, 'drivers/dma-buf/.dma-buf.o.cmd'), WHOLE);
      writeFileSync(join(build, 'drivers/gpu/drm/panthor/.panthor_gem.o.cmd'), MODULE.replaceAll('/src/', `${src}/`));
      // Not a dependency list, and a link back to the tree (Kbuild's "source").
      writeFileSync(join(build, 'drivers/dma-buf/dma-buf.o'), 'include/linux/dma-buf.h');
      mkdirSync(join(src, 'drivers/other'), { recursive: true });
      writeFileSync(join(src, 'drivers/other/.other.o.cmd'), WHOLE);
      symlinkSync(src, join(build, 'source'));
      const readers = objectsReading(build, src, ['include/linux/dma-buf.h', 'include/linux/tee_drv.h', 'include/linux/unread.h']);
      expect(Object.fromEntries(Object.entries(readers).map(([h, objects]) => [h, objects.sort()]))).toEqual({
        'include/linux/dma-buf.h': ['drivers/dma-buf/dma-buf.o', 'drivers/gpu/drm/panthor/panthor_gem.o'],
        'include/linux/tee_drv.h': ['drivers/gpu/drm/panthor/panthor_gem.o'],
        'include/linux/unread.h': [],
      });
    } finally {
      rmSync(src, { recursive: true, force: true });
    }
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
