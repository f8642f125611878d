// KUnit for the kernel series, for arm64 under QEMU, on the work tree as it
// is, with a build directory beside it (so the warm case recompiles only what
// changed). The raw KTAP it saves is parsed by our KTAP parser like any
// target suite.
//
// This is the driver developer's quick loop, so it does not call `kunit.py
// run`: that runs `make olddefconfig` and then `make all compile_commands.json
// scripts_gdb` every time, which on a 2-core machine costs about 10 s before
// any test starts even when nothing changed. kunit.py still owns the
// configuration (`kunit.py config`: a no-op while the .kunitconfig and the
// .config agree) and the boot and its output (`kunit.py exec`); between the
// two, protm builds the one file exec boots with the same make variables as
// kunit.py, so the objects are the same either way.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { hostCcacheEnv } from '../host/ccache.js';
import { ProtmError } from '../lib/errors.js';
import { repoPaths } from '../lib/paths.js';
import { runStep } from '../lib/process.js';
import type { RunRecord } from '../lib/run-record.js';
import { currentWorkTree } from '../patches/worktree.js';
import { findDropped } from './kconfig.js';
import { withKernelTree } from './kernel.js';

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
// The file kunit.py's arm64 QEMU configuration boots (arch/arm64/boot/).
const KERNEL_TARGET = 'Image.gz';

export async function runKunit(record: RunRecord): Promise<KunitRun> {
  return withKernelTree(() => runKunitLocked(record));
}

async function runKunitLocked(record: RunRecord): Promise<KunitRun> {
  const wt = await currentWorkTree('kernel', record);
  // Inside the source tree, like kernelOutDir, so ccache shares objects between trees.
  const buildDir = join(wt.src, '.protm-kunit');
  // A log left from an earlier run must never be read as this run's result.
  const log = join(buildDir, 'test.log');
  rmSync(log, { force: true });
  const kunitconfig = join(repoPaths.kernelFragments(), 'kunit.config');
  const kunitPy = join(wt.src, 'tools/testing/kunit/kunit.py');
  const common = ['--arch=arm64', `--cross_compile=${CROSS_COMPILE}`, `--kunitconfig=${kunitconfig}`, `--build_dir=${buildDir}`, `--make_options=CC=${CC}`];
  // Debian's python (kunit.py needs nothing else) and Debian's QEMU first on
  // PATH, after our ccache launcher.
  const opts = { cwd: wt.src, env: hostCcacheEnv() };

  await runStep(record, 'KUnit config', 'python3', [kunitPy, 'config', ...common], opts);
  await runStep(
    record,
    `KUnit kernel build (make ${KERNEL_TARGET})`,
    'make',
    ['ARCH=arm64', `O=${buildDir}`, `--jobs=${cpus().length}`, `CC=${CC}`, `CROSS_COMPILE=${CROSS_COMPILE}`, KERNEL_TARGET],
    opts,
  );
  // Kbuild re-runs Kconfig when a Kconfig file changed, and may then drop an
  // option whose dependencies the edit broke: the tests would silently vanish.
  const dotConfig = join(buildDir, '.config');
  const dropped = findDropped(
    [{ name: 'kunit.config', text: readFileSync(kunitconfig, 'utf8') }],
    existsSync(dotConfig) ? readFileSync(dotConfig, 'utf8') : '',
  );
  if (dropped.length > 0) {
    throw new ProtmError(
      `the KUnit kernel's .config lacks what ${kunitconfig} asks for: ${dropped.map((d) => `${d.option}=${d.wanted} (got ${d.got})`).join(', ')}`,
      'a Kconfig dependency of these options is not met in the work tree: check the Kconfig files the series changes',
    );
  }
  // kunit.py's exit status is non-zero when a test fails: the verdict comes
  // from parsing its log, so only a missing log is an error here.
  await runStep(record, 'KUnit run (arm64, QEMU)', 'python3', [kunitPy, 'exec', ...common, '--timeout=300'], { ...opts, allowFailure: true });
  if (!existsSync(log)) throw new ProtmError(`kunit.py left no ${log}: the kernel did not boot`, `see ${record.logPath}`);
  return { buildDir, log: readFileSync(log, 'utf8') };
}
