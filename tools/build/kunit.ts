// KUnit for the kernel series, for arm64 under QEMU, on the work tree as it
// is, with a build directory beside it (so the warm case recompiles only what
// changed). The raw KTAP it saves is parsed by our KTAP parser like any
// target suite.
//
// This is the driver developer's quick loop, so the kernel around the tests
// does not change when the driver does: images/kernel/kunit.config builds
// Panthor and its KUnit tests as modules. An edit of the driver recompiles
// its files and relinks two modules; the kernel Image is not relinked (its
// link with three kallsyms passes was a third of the loop). KUnit runs a
// module's suites when the module loads, so the boot needs an init that loads
// them (test/kunit/init.c, tools/build/kunit-initramfs.ts), which kunit.py's
// own boot has no way to do: protm boots the kernel itself
// (tools/boot/kunit.ts). kunit.py still owns the configuration (`kunit.py
// config`: a no-op while the .kunitconfig and the .config agree), and protm
// builds with kunit.py's make variables, so `kunit.py build` makes the same
// objects.
//
// Even with nothing to relink, Kbuild's walk of the whole tree takes about
// 5 s here. When every file changed since the last successful build is a C
// source or header of Panthor or of the TEE core (also a module here, see
// tools/build/kunit-plan.ts), or a header elsewhere that only their objects
// read (include/uapi/drm/panthor_drm.h, include/linux/tee_drv.h: Kbuild's
// dependency lists say which, tools/build/kbuild-deps.ts), protm rebuilds
// their modules alone, as an external-module build of each directory into
// the same place (make M=... MO=...): about 1.5 s plus the compile.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { bootKunit } from '../boot/kunit.js';
import { hostCcacheEnv } from '../host/ccache.js';
import { ProtmError } from '../lib/errors.js';
import { sha256 } from '../lib/hash.js';
import { repoPaths } from '../lib/paths.js';
import { runStep } from '../lib/process.js';
import type { RunRecord } from '../lib/run-record.js';
import { changedPaths, pathsWithChangedLine, workTreeSnapshot } from '../patches/git.js';
import { currentWorkTree } from '../patches/worktree.js';
import { objectsReading } from './kbuild-deps.js';
import { findDropped } from './kconfig.js';
import { withKernelTree } from './kernel.js';
import { kunitInitramfs } from './kunit-initramfs.js';
import { type BuildState, EXPORT_LINE, modularDirs, moduleDirOf, planBuild } from './kunit-plan.js';

export interface KunitRun {
  buildDir: string;
  /** Raw kernel output of the run (KTAP with printk timestamps). */
  log: string;
}

const CROSS_COMPILE = 'aarch64-linux-gnu-';
// Through ccache (our launcher is first on PATH, see hostCcacheEnv). Every
// make of the build directory must pass the same CC, or Kbuild sees a new
// command line for every object and compiles them all again.
const CC = `ccache ${CROSS_COMPILE}gcc`;
// What the boot needs: the kernel (uncompressed: QEMU loads it as it is,
// and gzip would add half a second to every relink) and the modules.
const MAKE_TARGETS = ['Image', 'modules'];
const KERNEL = 'arch/arm64/boot/Image';
/** Bump when the way the build directory is made changes (targets, make variables). */
const RECIPE = 1;

function readState(file: string): BuildState | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as BuildState;
  } catch {
    return undefined;
  }
}

export async function runKunit(record: RunRecord): Promise<KunitRun> {
  return withKernelTree(() => runKunitLocked(record));
}

async function runKunitLocked(record: RunRecord): Promise<KunitRun> {
  const wt = await currentWorkTree('kernel', record);
  // Inside the source tree, like kernelOutDir, so ccache shares objects between trees.
  const buildDir = join(wt.src, '.protm-kunit');
  // The boot's console, kept with the run's record.
  const log = join(record.dir, 'console.log');
  const kunitconfig = join(repoPaths.kernelFragments(), 'kunit.config');
  const kunitPy = join(wt.src, 'tools/testing/kunit/kunit.py');
  const common = ['--arch=arm64', `--cross_compile=${CROSS_COMPILE}`, `--kunitconfig=${kunitconfig}`, `--build_dir=${buildDir}`, `--make_options=CC=${CC}`];
  // Debian's python (kunit.py needs nothing else) and Debian's QEMU first on
  // PATH, after our ccache launcher.
  const opts = { cwd: wt.src, env: hostCcacheEnv() };

  await runStep(record, 'KUnit config', 'python3', [kunitPy, 'config', ...common], opts);
  const stateFile = join(buildDir, 'protm-build-state.json');
  const dotConfig = join(buildDir, '.config');
  const configText = readFileSync(dotConfig, 'utf8');
  const state: BuildState = {
    recipe: RECIPE,
    tree: await workTreeSnapshot(wt.src, join(buildDir, 'protm-snapshot.index')),
    config: sha256(configText),
  };
  const last = readState(stateFile);
  const builtBefore = existsSync(join(buildDir, KERNEL)) && existsSync(join(buildDir, 'modules.order'));
  const paths = last && builtBefore ? await changedPaths(wt.src, last.tree, state.tree) : undefined;
  const modular = modularDirs(configText);
  const inModules = (paths ?? []).filter((p) => moduleDirOf(p, modular));
  const exportEdits = last ? await pathsWithChangedLine(wt.src, last.tree, state.tree, inModules, EXPORT_LINE) : [];
  const headers = (paths ?? []).filter((p) => p.endsWith('.h'));
  const readers = objectsReading(buildDir, wt.src, headers);
  const plan = planBuild(last, state, { paths, modular, exportEdits, readers });
  record.set('kunit:build', plan);
  record.log(`\nKUnit build: ${plan.reason}`);
  const make = ['ARCH=arm64', `O=${buildDir}`, `--jobs=${cpus().length}`, `CC=${CC}`, `CROSS_COMPILE=${CROSS_COMPILE}`];
  // The previous state goes first: an interrupted or failed build must not
  // leave a state that says its edits were built.
  rmSync(stateFile, { force: true });
  if (plan.kind === 'modules') {
    for (const dir of plan.dirs ?? []) {
      await runStep(record, `KUnit modules build (make M=${dir})`, 'make', [...make, `M=${dir}`, `MO=${join(buildDir, dir)}`, 'modules'], opts);
    }
  } else if (plan.kind === 'full') {
    await runStep(record, `KUnit kernel build (make ${MAKE_TARGETS.join(' ')})`, 'make', [...make, ...MAKE_TARGETS], opts);
  }
  // Kbuild re-runs Kconfig when a Kconfig file changed, and may then drop an
  // option whose dependencies the edit broke: the tests would silently vanish.
  const builtConfig = existsSync(dotConfig) ? readFileSync(dotConfig, 'utf8') : '';
  const dropped = findDropped([{ name: 'kunit.config', text: readFileSync(kunitconfig, 'utf8') }], builtConfig);
  if (dropped.length > 0) {
    throw new ProtmError(
      `the KUnit kernel's .config lacks what ${kunitconfig} asks for: ${dropped.map((d) => `${d.option}=${d.wanted} (got ${d.got})`).join(', ')}`,
      'a Kconfig dependency of these options is not met in the work tree: check the Kconfig files the series changes',
    );
  }
  // The .config as the build left it (Kbuild may have re-run Kconfig).
  writeFileSync(stateFile, JSON.stringify({ ...state, config: sha256(builtConfig) }));
  const { cpio } = await kunitInitramfs(record, buildDir);
  const output = await bootKunit(record, { kernel: join(buildDir, KERNEL), cpio, consoleLog: log }, { env: opts.env });
  return { buildDir, log: output };
}
