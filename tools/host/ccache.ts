// ccache for host builds whose makefiles name the compiler themselves (TF-A,
// OP-TEE: $(CROSS_COMPILE)gcc). A directory of symlinks to ccache, named like
// the compilers, goes first on PATH (ccache's "masquerade" mode: it finds the
// real compiler further down PATH). The cache and its path rules are the
// kernel's, so trees in another cache (a first run borrowing this one's
// ccache) hit the same objects.
import { existsSync, mkdirSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { cachePaths } from '../lib/paths.js';

const CCACHE = '/usr/bin/ccache';

/**
 * Where ccache keeps objects and how it names paths: one cache, and paths
 * below the trees directory hashed relative to it without the build
 * directory, so the same sources built in another tree or another cache
 * (a first run borrowing this one's ccache) hit the same objects.
 *
 * Depend mode: on a miss, ccache's default mode runs the preprocessor once
 * to look for a preprocessed hit and then the compiler, which made every
 * cold build 1.4x (QEMU) to 1.6x (kernel) as slow as the compiler alone.
 * In depend mode it reads the headers from the dependency file the compiler
 * writes anyway (-MD, or the kernel's -Wp,-MMD), so a miss costs only the
 * compile. Hits are the direct-mode hits we rely on between trees; objects
 * cached in the default mode still hit. A compile without a dependency file
 * falls back to the default mode by itself.
 */
export function ccacheSettings(): Record<string, string> {
  return { CCACHE_DIR: cachePaths.ccache(), CCACHE_BASEDIR: cachePaths.trees(), CCACHE_NOHASHDIR: '1', CCACHE_DEPEND: '1' };
}

/** PATH and ccache settings under which `compilers` (e.g. aarch64-linux-gnu-gcc) go through ccache. */
export function hostCcacheEnv(compilers: string[]): Record<string, string> {
  const dir = join(dirname(cachePaths.ccache()), 'ccache-masquerade');
  mkdirSync(dir, { recursive: true });
  for (const name of compilers) {
    const link = join(dir, name);
    let target: string | undefined;
    try {
      target = readlinkSync(link);
    } catch {
      target = undefined;
    }
    if (target === CCACHE) continue;
    rmSync(link, { force: true });
    symlinkSync(CCACHE, link);
  }
  return {
    // Without ccache (a host `protm setup` has not prepared) the compilers are found as usual.
    PATH: `${existsSync(CCACHE) ? `${dir}:` : ''}/usr/bin:${process.env.PATH ?? ''}`,
    ...ccacheSettings(),
  };
}
