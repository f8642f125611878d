// Verdicts that cannot lie: a run that tested nothing, a GPU that never
// probed, a kernel that misuses the GPU while its checks pass, a KUnit build
// that failed, an edit nobody exported. Each fault is
// injected for real (a kernel series with one more patch, an edit in the
// developer's work tree) and the verdict must be red, or must not depend on it.
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { withLock } from '../../tools/lib/lock.js';
import { repoRoot } from '../../tools/lib/paths.js';
import { treeDir } from '../../tools/patches/components.js';
import { buildTreeName } from '../../tools/patches/worktree.js';
import { lastJson, protm } from '../helpers/cli.js';

interface ResultsDoc {
  status: string;
  counts: { total: number; passed: number; failed: number; skipped: number };
  cases: { suite: string[]; name: string; status: string; reason?: string }[];
}

const scratch = mkdtempSync(join(tmpdir(), 'protm-verdicts-'));
// Asynchronous: a large scratch tree removed synchronously blocks the test
// worker long enough for vitest's RPC to time out on a loaded machine.
afterAll(() => rm(scratch, { recursive: true, force: true }));

function results(stdout: string): { summary: Record<string, unknown>; doc: ResultsDoc } {
  const summary = lastJson(stdout);
  return { summary, doc: JSON.parse(readFileSync(summary.results as string, 'utf8')) as ResultsDoc };
}

/** The kernel tree a command's run record says it built (`tree:kernel` in its metadata.json). */
function kernelTreeOf(stdout: string): { src: string; head: string; exactSeries: boolean; editsHash: string } {
  const meta = JSON.parse(readFileSync(lastJson(stdout).metadata as string, 'utf8')) as Record<string, unknown>;
  return meta['tree:kernel'] as { src: string; head: string; exactSeries: boolean; editsHash: string };
}

/**
 * A patches root holding the checkout's series of `component` plus one patch
 * made by each edit on top of it (in protm's exact-series tree, which is
 * reset after). The tree's lock is held meanwhile: another test file may be
 * building from that tree at the same time, and must never compile the edit.
 */
async function seriesWithExtraPatch(component: 'kernel' | 'qemu', name: string, ...edits: ((src: string) => void)[]): Promise<string> {
  const built = await protm(['build', component]);
  expect(built.exitCode, built.stderr).toBe(0);
  return withLock(`tree-${buildTreeName(component)}`, async () => patchesOnTop(component, name, edits));
}

/** One patch per edit, numbered from 99 on, after the checkout's series of `component`. */
function patchesOnTop(component: 'kernel' | 'qemu', name: string, edits: ((src: string) => void)[]): string {
  const src = join(treeDir(buildTreeName(component)), 'src');
  const root = join(scratch, name);
  const dir = `${component}-patches`;
  cpSync(join(repoRoot, dir), join(root, dir), { recursive: true });
  for (const c of ['kernel', 'qemu', 'mesa']) {
    if (c !== component && existsSync(join(repoRoot, `${c}-patches`))) symlinkSync(join(repoRoot, `${c}-patches`), join(root, `${c}-patches`));
  }
  const git = (args: string[]) =>
    execFileSync('git', args, {
      cwd: src,
      encoding: 'utf8',
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 'protm test',
        GIT_AUTHOR_EMAIL: 'test@protm.invalid',
        GIT_COMMITTER_NAME: 'protm test',
        GIT_COMMITTER_EMAIL: 'test@protm.invalid',
      },
    });
  for (const [i, edit] of edits.entries()) {
    edit(src);
    git(['commit', '-qam', `test: ${name} (${i + 1})`]);
  }
  const n = String(edits.length);
  const patches = git(['format-patch', `-${n}`, '--zero-commit', '-o', join(root, dir), '--start-number', '99'])
    .trim()
    .split('\n');
  git(['reset', '-q', '--hard', `HEAD~${n}`]);
  const series = join(root, dir, 'series');
  writeFileSync(series, `${readFileSync(series, 'utf8')}${patches.map((p) => `${p.split('/').pop()}\n`).join('')}`);
  return root;
}

/** An edit that breaks the build of a C file. */
function appendNotC(path: string): void {
  writeFileSync(path, `${readFileSync(path, 'utf8')}\nthis line is not C;\n`);
}

function replaceIn(path: string, from: string, to: string): void {
  const text = readFileSync(path, 'utf8');
  expect(text).toContain(from);
  writeFileSync(path, text.replace(from, to));
}

describe('verdicts', () => {
  it('a run in which every case skipped is a failure, not a pass (--no-gpu, GPU suite)', async () => {
    const r = await protm(['run', '--suite', 'panthor-protm', '--no-gpu', '--json']);
    expect(r.exitCode).toBe(1);
    const { summary, doc } = results(r.stdout);
    expect(summary.status).toBe('failed');
    expect(doc.status).toBe('nothing passed');
    expect(doc.counts.total).toBeGreaterThanOrEqual(10);
    expect(doc.counts.skipped).toBe(doc.counts.total);
  });

  it('a kernel whose Panthor probe fails makes the GPU suite fail, even though its checks would skip', async () => {
    const root = await seriesWithExtraPatch('kernel', 'probe-fails', (src) =>
      replaceIn(join(src, 'drivers/gpu/drm/panthor/panthor_drv.c'), '\treturn panthor_device_init(ptdev);\n}', '\treturn -ENODEV;\n}'),
    );
    const r = await protm(['run', '--suite', 'gpu-basic', '--json'], { PROTM_PATCHES_ROOT: root });
    expect(r.exitCode, r.stderr.slice(-3000)).toBe(1);
    const { doc } = results(r.stdout);
    const probe = doc.cases.find((c) => c.name === 'Mali GPU probed by Panthor');
    expect(probe).toMatchObject({ suite: ['boot'], status: 'fail' });
    expect(probe?.reason).toMatch(/Panthor never reported "\[drm\] Initialized panthor"/);
    expect(doc.counts.passed).toBe(0);
  });

  // The model writes to the firmware's protected sections with secure
  // accesses at each protected-mode entry (QEMU patch 57): a kernel that
  // maps ordinary memory there passed every protected check before.
  it("a kernel that backs the firmware's protected sections with normal memory fails protected-mode", async () => {
    const root = await seriesWithExtraPatch('kernel', 'prot-sections-normal', (src) =>
      replaceIn(
        join(src, 'drivers/gpu/drm/panthor/panthor_fw.c'),
        '\t\tret = panthor_vm_map_bo_range(fw->vm, bo, offset, size,\n' +
          '\t\t\t\t\t      layout->sections[i].va_start,\n' +
          '\t\t\t\t\t      flags | DRM_PANTHOR_VM_BIND_OP_MAP_PROTECTED);\n',
        '\t\tstruct panthor_kernel_bo *normal =\n' +
          '\t\t\tpanthor_kernel_bo_create(ptdev, fw->vm, size, DRM_PANTHOR_BO_NO_MMAP, 0,\n' +
          '\t\t\t\t\t\t PANTHOR_VM_KERNEL_AUTO_VA, "not-protected");\n\n' +
          '\t\tret = IS_ERR(normal) ? PTR_ERR(normal) :\n' +
          '\t\t      panthor_vm_map_bo_range(fw->vm, to_panthor_bo(normal->obj), 0, size,\n' +
          '\t\t\t\t\t      layout->sections[i].va_start, flags);\n',
      ),
    );
    const r = await protm(['run', '--suite', 'protected-mode', '--json'], { PROTM_PATCHES_ROOT: root });
    expect(r.exitCode, r.stderr.slice(-3000)).toBe(1);
    const { doc } = results(r.stdout);
    // Setup itself succeeds: the fault comes with the first protected work.
    expect(doc.cases.find((c) => c.name === 'protm_setup_ready')?.status).toBe('pass');
    expect(doc.cases.find((c) => c.name === 'protected_job_writes_protected_buffer')?.status).toBe('fail');
    expect(doc.counts.failed).toBeGreaterThanOrEqual(5);
  });

  // The model reports the kernel's misuse of the GPU, which the hardware
  // would not report at all, as host errors (QEMU patch 62): a kernel that
  // sends a stray UNLOCK after each address space UPDATE completes every
  // check, and its run must still fail.
  it("a kernel that breaks a rule of the GPU's interface fails the run, though every check passes", async () => {
    const root = await seriesWithExtraPatch('kernel', 'stray-unlock', (src) =>
      replaceIn(
        join(src, 'drivers/gpu/drm/panthor/panthor_mmu.c'),
        '\treturn as_send_cmd_and_wait(ptdev, as_nr, AS_COMMAND_UPDATE);\n}\n\nstatic int panthor_mmu_as_disable(',
        '\tas_send_cmd_and_wait(ptdev, as_nr, AS_COMMAND_UPDATE);\n' +
          '\treturn as_send_cmd_and_wait(ptdev, as_nr, AS_COMMAND_UNLOCK);\n}\n\nstatic int panthor_mmu_as_disable(',
      ),
    );
    const r = await protm(['run', '--suite', 'panthor-protm', '--json'], { PROTM_PATCHES_ROOT: root });
    expect(r.exitCode, r.stderr.slice(-3000)).toBe(1);
    const { doc } = results(r.stdout);
    const misuse = doc.cases.find((c) => c.name === 'the kernel broke no rule of the GPU interface');
    expect(misuse).toMatchObject({ suite: ['console'], status: 'fail' });
    expect(misuse?.reason).toMatch(/mali_csf_host_error AS\d command 3 with no region locked/);
    expect(doc.cases.filter((c) => c.status === 'fail').map((c) => c.name)).toEqual([misuse?.name]);
    expect(doc.counts.passed).toBeGreaterThanOrEqual(10);
  });

  it('protm kunit on a series that does not build fails; it never reports an earlier run', async () => {
    const good = await protm(['kunit', '--json']);
    expect(good.exitCode, good.stderr.slice(-3000)).toBe(0);
    const root = await seriesWithExtraPatch('kernel', 'kunit-breaks', (src) => appendNotC(join(src, 'drivers/gpu/drm/panthor/panthor_drv.c')));
    const r = await protm(['kunit', '--json'], { PROTM_PATCHES_ROOT: root });
    expect(r.exitCode).toBe(1);
    expect(lastJson(r.stdout)).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(
        /^KUnit (kernel|modules) build \(make [^)]+\) failed: exited with status \d+\n[\s\S]*panthor_drv\.c:\d+:\d+: error: [\s\S]*--- full log: /,
      ),
    });
    expect(r.stdout).not.toMatch(/\d+ passed, 0 failed/);
  });

  it('protm qtest on a series whose qtests do not build fails, and runs no old qtest binary', async () => {
    const root = await seriesWithExtraPatch('qemu', 'qtest-breaks', (src) => appendNotC(join(src, 'tests/qtest/mali-csf-test.c')));
    const r = await protm(['qtest', '--json'], { PROTM_PATCHES_ROOT: root });
    expect(r.exitCode).toBe(1);
    expect(lastJson(r.stdout)).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/^qemu qtests failed: exited with status \d+\n[\s\S]*mali-csf-test\.c:\d+:\d+: error: [\s\S]*--- full log: /),
    });
    // The compute qtests' binary from the last build must not have run.
    expect(r.stdout).not.toMatch(/\d+ passed/);
  });

  // Each edit breaks a check of the series' KUnit suite in code only the
  // modules read: the run must rebuild those modules alone and report the
  // check failing, which an old module would pass. A header outside the
  // module directories goes by the objects that read it (Kbuild's dependency
  // lists): tee_drv.h is read by the TEE core's and Panthor's.
  it.each([
    {
      file: 'drivers/gpu/drm/panthor/panthor_gem.c',
      from: 'return size && size <= U64_MAX - PAGE_SIZE && buf_size == PAGE_ALIGN(size);',
      to: 'return size != 0;',
      dirs: ['drivers/gpu/drm/panthor'],
      check: 'protected_size',
    },
    {
      file: 'drivers/tee/tee_heap.c',
      from: '\tif (!dmabuf || dmabuf->ops != &tee_heap_buf_ops)\n\t\treturn false;\n',
      to: '\tif (!dmabuf)\n\t\treturn false;\n\tif (dmabuf->ops != &tee_heap_buf_ops)\n\t\treturn true;\n',
      dirs: ['drivers/tee'],
      check: 'exporter_check',
    },
    {
      file: 'include/linux/tee_drv.h',
      from: '\tTEE_DMA_HEAP_SECURE_VIDEO_PLAY = 1,\n',
      to: '\tTEE_DMA_HEAP_SECURE_VIDEO_PLAY = 0,\n',
      dirs: ['drivers/tee', 'drivers/gpu/drm/panthor'],
      check: 'heap_policy',
    },
  ])('protm kunit after an edit of $file alone rebuilds the modules that read it alone, and runs the edited code', async ({ file, from, to, dirs, check }) => {
    const good = await protm(['kunit', '--json']);
    expect(good.exitCode, good.stderr.slice(-3000)).toBe(0);
    const root = await seriesWithExtraPatch('kernel', `kunit-${check}-fails`, (src) => replaceIn(join(src, file), from, to));
    const r = await protm(['kunit', '--json'], { PROTM_PATCHES_ROOT: root });
    expect(r.exitCode, r.stderr.slice(-3000)).toBe(1);
    const { summary, doc } = results(r.stdout);
    const meta = JSON.parse(readFileSync(summary.metadata as string, 'utf8')) as Record<string, unknown>;
    expect(meta['kunit:build']).toMatchObject({ kind: 'modules', dirs });
    expect(doc.cases.find((c) => c.name === check)).toMatchObject({ suite: ['panthor-protm'], status: 'fail' });
    expect(doc.cases.filter((c) => c.status === 'pass').length).toBeGreaterThanOrEqual(13);
  });

  // The W=1 compile runs in a build directory of its own, beside the
  // Image's build: a warning only W=1 shows must still count, and a patch
  // that does not build must say so. W=1 also runs kernel-doc on the C files
  // it compiles, whose "Warning:" lines are not the compiler's; the check
  // runs kernel-doc on touched headers too, and counts only what the patch
  // adds (panthor_fw.c and others have kernel-doc warnings upstream). The
  // series' KUnit test file is not in the Image's configuration: W=1 must
  // still compile it (as `protm kunit` does), count its warnings, and fail a
  // patch whose test file does not compile, though the Image builds.
  it('patches check kernel counts the warnings only W=1 shows (compiler and kernel-doc, the KUnit file too), and fails a patch that does not build', async () => {
    const drv = (src: string) => join(src, 'drivers/gpu/drm/panthor/panthor_drv.c');
    const kunitFile = (src: string) => join(src, 'drivers/gpu/drm/panthor/tests/panthor_protm_test.c');
    const probe = 'static int panthor_probe(struct platform_device *pdev)\n';
    const suite = 'static struct kunit_suite panthor_protm_test_suite = {\n';
    const misdocumented = (name: string) =>
      `/**\n * struct ${name} - kernel-doc that names a member the struct does not have\n * @absent: Not a member.\n */\nstruct ${name} {\n\tint present;\n};\n\n`;
    const root = await seriesWithExtraPatch(
      'kernel',
      'w1-warning-then-no-build',
      (src) => {
        replaceIn(drv(src), probe, `static const int panthor_w1_unused = 1;\n\n${misdocumented('panthor_w1_doc')}${probe}`);
        const heapH = join(src, 'drivers/gpu/drm/panthor/panthor_heap.h');
        replaceIn(heapH, '\n#endif\n', `\n${misdocumented('panthor_w1_header_doc')}#endif\n`);
        replaceIn(kunitFile(src), suite, `static const int panthor_w1_test_unused = 1;\n\n${suite}`);
      },
      (src) => replaceIn(kunitFile(src), suite, `#error this test file does not build\n\n${suite}`),
      (src) => replaceIn(drv(src), probe, `#error this patch does not build\n\n${probe}`),
    );
    const series = readFileSync(join(root, 'kernel-patches', 'series'), 'utf8')
      .trim()
      .split('\n');
    const r = await protm(['patches', 'check', 'kernel', '--from', String(series.length - 2), '--json'], { PROTM_PATCHES_ROOT: root });
    expect(r.exitCode, r.stderr.slice(-3000)).toBe(1);
    const verdicts = lastJson(r.stdout).patches as { patch: string; builds: boolean; warnings: number | null; detail?: string; unchecked?: boolean }[];
    expect(verdicts.filter((v) => !v.unchecked).map((v) => v.patch)).toEqual(series.slice(-3));
    const [warns, testBreaks, breaks] = verdicts.slice(-3);
    // A compiler warning in each C file, and two kernel-doc warnings in each of drv.c and heap.h.
    expect(warns, warns?.detail).toMatchObject({ builds: true, warnings: 6 });
    expect(warns?.detail).toMatch(/panthor_drv\.c:\d+:\d+: warning: .panthor_w1_unused. defined but not used \[-Wunused-const-variable=\]/);
    expect(warns?.detail).toMatch(/panthor_protm_test\.c:\d+:\d+: warning: .panthor_w1_test_unused. defined but not used/);
    expect(warns?.detail).toMatch(/panthor_drv\.c:\d+: kernel-doc: Excess struct member 'absent' description in 'panthor_w1_doc'/);
    expect(warns?.detail).toMatch(/panthor_heap\.h:\d+: kernel-doc: struct member 'present' not described in 'panthor_w1_header_doc'/);
    expect(testBreaks).toMatchObject({ builds: false, warnings: null });
    expect(testBreaks?.detail).toMatch(
      /^the W=1 compile of the touched files failed [^\n]*\n[\s\S]*panthor_protm_test\.c:\d+:\d+: error: #error this test file does not build/,
    );
    expect(breaks).toMatchObject({ builds: false, warnings: null });
    expect(breaks?.detail).toMatch(/panthor_drv\.c:\d+:\d+: error: #error this patch does not build/);
  });

  it("builds for tests use exactly the checkout's series: an unexported edit in the developer's tree is not built, and metadata says what was", async () => {
    const devSrc = join(treeDir('kernel'), 'src');
    const file = join(devSrc, 'drivers/gpu/drm/panthor/panthor_drv.c');
    const before = await protm(['build', 'kernel', '--json']);
    expect(before.exitCode, before.stderr).toBe(0);
    const original = readFileSync(file);
    const saved = join(scratch, 'panthor_drv.c.orig');
    copyFileSync(file, saved);
    try {
      writeFileSync(file, `${original}\n#error an edit that was never exported\n`);
      const r = await protm(['build', 'kernel', '--json']);
      expect(r.exitCode, r.stderr.slice(-3000)).toBe(0);
      const tree = kernelTreeOf(r.stdout);
      expect(tree.src).toBe(join(treeDir('kernel-exact'), 'src'));
      expect(tree.exactSeries).toBe(true);
      expect(tree.head).toMatch(/^[0-9a-f]{40}$/);
      expect(tree.editsHash).toMatch(/^[0-9a-f]{64}$/);
      // The same tree as the build before the edit. Not the same Image: the
      // initramfs list is the kernel tree's too, and a test file running
      // beside this one (target-run's suites) may rewrite it in between.
      const built = kernelTreeOf(before.stdout);
      expect({ head: tree.head, editsHash: tree.editsHash }).toEqual({ head: built.head, editsHash: built.editsHash });
    } finally {
      copyFileSync(saved, file);
    }
    expect(readFileSync(file).equals(original)).toBe(true);
  });
});
