// KUnit for the kernel series: the kernel's own kunit.py, for arm64 under
// QEMU, on the work tree as it is, with a build directory beside it (so the
// warm case recompiles only what changed). The raw KTAP it saves is parsed
// by our KTAP parser like any target suite.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { hostCcacheEnv } from '../host/ccache.js';
import { ProtmError } from '../lib/errors.js';
import { withLock } from '../lib/lock.js';
import { repoPaths } from '../lib/paths.js';
import { runStep } from '../lib/process.js';
import type { RunRecord } from '../lib/run-record.js';
import { buildTreeName, currentWorkTree } from '../patches/worktree.js';

export interface KunitRun {
  buildDir: string;
  /** Raw kernel output of the run (KTAP with printk timestamps). */
  log: string;
}

export async function runKunit(record: RunRecord): Promise<KunitRun> {
  return withLock(`tree-${buildTreeName('kernel')}`, () => runKunitLocked(record));
}

async function runKunitLocked(record: RunRecord): Promise<KunitRun> {
  const wt = await currentWorkTree('kernel', record);
  // Inside the source tree, like kernelOutDir, so ccache shares objects between trees.
  const buildDir = join(wt.src, '.protm-kunit');
  // kunit.py does not rewrite test.log when the kernel fails to build: a log
  // left from an earlier run must never be read as this run's result.
  const log = join(buildDir, 'test.log');
  rmSync(log, { force: true });
  const kunitconfig = join(repoPaths.kernelFragments(), 'kunit.config');
  // kunit.py's exit status is non-zero when a test fails: the verdict comes
  // from parsing its log, so only a missing log is an error here.
  await runStep(
    record,
    'kunit (arm64, QEMU)',
    'python3',
    [
      join(wt.src, 'tools/testing/kunit/kunit.py'),
      'run',
      '--arch=arm64',
      '--cross_compile=aarch64-linux-gnu-',
      `--kunitconfig=${kunitconfig}`,
      `--build_dir=${buildDir}`,
      `--jobs=${cpus().length}`,
      '--make_options=CC=ccache aarch64-linux-gnu-gcc',
      '--timeout=300',
    ],
    {
      cwd: wt.src,
      // Debian's python (kunit.py needs nothing else) and Debian's QEMU
      // first on PATH, after our ccache launcher (`ccache` in CC).
      env: hostCcacheEnv(),
      allowFailure: true,
    },
  );
  if (!existsSync(log)) throw new ProtmError(`kunit.py left no ${log}: the kernel did not build or boot`, `see ${record.logPath}`);
  return { buildDir, log: readFileSync(log, 'utf8') };
}
