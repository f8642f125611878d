// Build roots: Debian chroots made with mmdebstrap for components whose
// build needs newer tools than the host has (QEMU 10.2 needs meson >= 1.5;
// Mesa 25.0.7 builds only against trixie's glibc). Described by
// images/buildroots/NAME.json and cached by content (suite, packages).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cachedArtifact } from '../lib/artifact.js';
import { ProtmError } from '../lib/errors.js';
import { repoRoot } from '../lib/paths.js';
import { runStep } from '../lib/process.js';
import type { RunRecord } from '../lib/run-record.js';
import { debianMirror } from '../sources/apt.js';
import { ccacheSettings, ensureCcacheBin } from './ccache.js';
import { requireRoot } from './root.js';

interface BuildRootSpec {
  suite: string;
  packages: string[];
  architectures?: string[];
}

const specDir = () => join(repoRoot, 'images', 'buildroots');

export function buildRootNames(): string[] {
  return existsSync(specDir())
    ? readdirSync(specDir())
        .filter((f) => f.endsWith('.json'))
        .map((f) => f.replace(/\.json$/, ''))
        .sort()
    : [];
}

function loadSpec(name: string): BuildRootSpec {
  if (!buildRootNames().includes(name)) throw new ProtmError(`no build root named "${name}"`, `known: ${buildRootNames().join(', ')}`);
  return JSON.parse(readFileSync(join(specDir(), `${name}.json`), 'utf8')) as BuildRootSpec;
}

/** The chroot directory for `name`, created on first use. */
export async function ensureBuildRoot(record: RunRecord, name: string): Promise<string> {
  const spec = loadSpec(name);
  requireRoot(`the ${name} build root`);
  const artifact = await cachedArtifact(record, `buildroot-${name}`, spec, async (out) => {
    const root = join(out, 'root');
    await runStep(
      record,
      `build root ${name} (mmdebstrap ${spec.suite})`,
      'mmdebstrap',
      [
        '--variant=buildd',
        '--aptopt=Acquire::Check-Valid-Until "false"',
        ...(spec.architectures?.length ? [`--architectures=amd64,${spec.architectures.join(',')}`] : []),
        `--include=${spec.packages.join(',')}`,
        spec.suite,
        root,
        debianMirror(),
      ],
      { timeoutSeconds: 1800 },
    );
  });
  return join(artifact.dir, 'root');
}

/**
 * A shell script that runs `script` inside the build root `root`, with `binds`
 * (and our ccache launcher) bind-mounted at their own paths, in a private
 * mount namespace.
 */
export function inBuildRoot(root: string, buildBinds: string[], script: string): { file: string; args: string[]; env: Record<string, string> } {
  const launcher = ensureCcacheBin();
  const binds = [...new Set([...buildBinds, launcher])];
  const outer = [
    'R="$PROTM_ROOT"',
    'mount -t proc proc "$R/proc"',
    'mount --rbind /dev "$R/dev"',
    ...binds.map((_, i) => `d="$PROTM_BIND_${i}"; mkdir -p "$R$d"; mount --bind "$d" "$R$d"`),
    'exec chroot "$R" sh -ec "$PROTM_SCRIPT"',
  ].join('\n');
  const env: Record<string, string> = { PROTM_ROOT: root, PROTM_SCRIPT: script, LC_ALL: 'C.UTF-8', ...ccacheEnv(launcher) };
  for (const [i, b] of binds.entries()) env[`PROTM_BIND_${i}`] = b;
  return { file: 'unshare', args: ['--mount', '--propagation', 'private', '--', 'sh', '-ec', outer], env };
}

/**
 * The build root's PATH and ccache settings. Compilers run through ccache:
 * `ccache` (Mesa's machine files) and gcc (QEMU's configure) resolve to our
 * `launcher` directory (first on PATH, see tools/host/ccache.ts), with the
 * cache under ours. Paths below the trees directory are hashed relative to
 * the build directory, so trees/<c> and trees/<c>-check
 * (the same src/out layout) share their objects: the patch check's rebuilds
 * are mostly cache hits.
 */
function ccacheEnv(launcher: string): Record<string, string> {
  return {
    PATH: `${launcher}:/usr/lib/ccache:/usr/sbin:/usr/bin:/sbin:/bin`,
    // Mesa's debug builds compile with -g: without CCACHE_NOHASHDIR the build
    // directory's absolute path is hashed and two trees never share an object.
    ...ccacheSettings(),
    // Identify the compiler by its content, not its mtime: a build root
    // made anew (another cache, a first run) has the same gcc with other
    // mtimes, and would otherwise share nothing.
    CCACHE_COMPILERCHECK: 'content',
  };
}
