// ccache for every build (kernel, KUnit, TF-A, OP-TEE on the host; QEMU and
// Mesa in their build roots). All of them reach ccache through one launcher
// directory first on PATH: a `ccache` there, and links named like the
// compilers for makefiles that name the compiler themselves (TF-A, OP-TEE:
// $(CROSS_COMPILE)gcc; QEMU's configure: gcc). Each is the launcher script,
// which picks ccache's mode for the compile and runs the real ccache.
//
// Depend mode: on a miss, ccache's default mode runs the preprocessor once
// to look for a preprocessed hit and then the compiler, which made our cold
// compiles 1.4x (QEMU) to 1.6x (kernel) as slow as the compiler alone. In
// depend mode ccache takes the headers from the dependency file the
// compiler writes anyway (the kernel's -Wp,-MMD, meson's -MD), so a miss
// costs one compile. Hits are the direct-mode hits the trees already share.
//
// Except for a source that embeds a file with `.incbin` (the kernel's
// initramfs, vDSO, configs.c, kheaders.c): no dependency file names an
// .incbin file, so depend mode would serve the object of an older initramfs.
// Such a source is compiled in the default mode, whose preprocessor pass
// sees the directive and leaves the compile uncached.
import { existsSync, mkdirSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir, cachePaths } from '../lib/paths.js';
import { shellQuote } from '../lib/shell.js';

const CCACHE = '/usr/bin/ccache';

/** The names that resolve to the launcher: ccache itself and the compilers our builds name. */
const LAUNCHER_NAMES = ['ccache', 'gcc', 'g++', 'aarch64-linux-gnu-gcc', 'aarch64-linux-gnu-g++'];

/** The launcher directory, in our own cache (build roots bind it at the same path). */
function ccacheBinDir(): string {
  return join(cacheDir(), 'ccache-bin');
}

function launcherScript(dir: string): string {
  return `#!/bin/sh
# protm's ccache launcher (tools/host/ccache.ts says why).
# Off PATH, so that ccache finds the real compiler, not this script again.
p=
IFS=:
for d in $PATH; do [ "$d" = ${shellQuote(dir)} ] || p=\${p:+$p:}$d; done
unset IFS
PATH=$p
name=\${0##*/}
[ "$name" = ccache ] || set -- "$name" "$@"
# A build root without ccache: the compiler alone.
[ -x ${CCACHE} ] || exec "$@"
incbin=
for a do
  case $a in
  *.c | *.S | *.s | *.cc | *.cpp) [ -f "$a" ] && grep -q incbin "$a" && incbin=1 ;;
  esac
done
if [ -n "$incbin" ]; then
  unset CCACHE_DEPEND
  export CCACHE_NODEPEND=1
else
  export CCACHE_DEPEND=1
fi
exec ${CCACHE} "$@"
`;
}

/** Write the launcher directory (idempotent; safe beside another protm doing the same). */
export function ensureCcacheBin(): string {
  const dir = ccacheBinDir();
  mkdirSync(dir, { recursive: true });
  const script = join(dir, 'protm-ccache');
  const text = launcherScript(dir);
  if (!existsSync(script) || readFileSync(script, 'utf8') !== text) {
    const tmp = `${script}.tmp-${process.pid}`;
    writeFileSync(tmp, text, { mode: 0o755 });
    renameSync(tmp, script);
  }
  for (const name of LAUNCHER_NAMES) {
    const link = join(dir, name);
    let target: string | undefined;
    try {
      target = readlinkSync(link);
    } catch {
      target = undefined;
    }
    if (target === 'protm-ccache') continue;
    rmSync(link, { force: true });
    symlinkSync('protm-ccache', link);
  }
  // Before the launcher, compilers were links straight to ccache here.
  rmSync(join(cacheDir(), 'ccache-masquerade'), { recursive: true, force: true });
  return dir;
}

/**
 * Where ccache keeps objects and how it names paths: one cache, and paths
 * below the trees directory hashed relative to it without the build
 * directory, so the same sources built in another tree or another cache
 * (a first run borrowing this one's ccache) hit the same objects. The
 * launcher adds the mode.
 */
export function ccacheSettings(): Record<string, string> {
  return { CCACHE_DIR: cachePaths.ccache(), CCACHE_BASEDIR: cachePaths.trees(), CCACHE_NOHASHDIR: '1' };
}

/**
 * PATH and ccache settings for a build on the host: `ccache` and the
 * compilers resolve to the launcher. Without ccache (a host `protm setup`
 * has not prepared) the compilers are found as usual.
 */
export function hostCcacheEnv(): Record<string, string> {
  const path = `/usr/bin:${process.env.PATH ?? ''}`;
  return { PATH: existsSync(CCACHE) ? `${ensureCcacheBin()}:${path}` : path, ...ccacheSettings() };
}
