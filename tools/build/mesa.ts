// Mesa (panfrost Gallium driver with EGL/GBM/GLES2, panvk) with the
// mesa-patches series, built inside the trixie build root: Mesa 25.0.7 does
// not compile against sid's glibc, so it is built in the Debian release it
// came from.
//
// One build serves both uses: an arm64 cross-compiled release build, with
// its build directory next to the work tree (<tree>/out-arm64) and ccache,
// installed into the target (tools/run/target-run.ts) and, with the Panthor
// drm-shim it also builds, run on this machine under QEMU's user-mode
// emulator for the host checks (tools/run/host-checks.ts). A native build of
// its own for the host checks was a sixth of a cold CI's compiles.
// `protm patches check mesa` still builds natively (MESA_CHECK_OPTIONS).
//
// The Panthor uAPI header Mesa compiles against is not the one in Mesa's
// tree nor a copy in ours: it is what `make headers_install` makes of our
// kernel series (panthor-uapi.ts), written over include/drm-uapi/ before
// every build and part of the build's key.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { ensureBuildRoot, inBuildRoot } from '../host/buildroot.js';
import { requireRoot } from '../host/root.js';
import { cachedArtifact } from '../lib/artifact.js';
import { ProtmError } from '../lib/errors.js';
import { sha256 } from '../lib/hash.js';
import { withLock } from '../lib/lock.js';
import { cachePaths } from '../lib/paths.js';
import { runStep } from '../lib/process.js';
import type { RunRecord } from '../lib/run-record.js';
import { shellQuote } from '../lib/shell.js';
import { treeDir } from '../patches/components.js';
import { git } from '../patches/git.js';
import { buildTreeName, currentWorkTree, treeContent } from '../patches/worktree.js';
import { pinHash } from '../sources/fetch.js';
import { findPin, loadPins } from '../sources/pins.js';
import { panthorUapiHeader } from './panthor-uapi.js';

export const MESA_BUILD_ROOT = 'trixie-mesa';
/** The machines Mesa is built for: the target, and this host (the patch check only). */
export type MesaFlavour = 'arm64' | 'native';

/** Bump when the recipe changes in a way the key cannot see. */
const RECIPE = 1;

/** Where Mesa's tree reads the Panthor uAPI from. */
const UAPI_IN_TREE = 'include/drm-uapi/panthor_drm.h';

export const TRIPLET: Record<MesaFlavour, string> = { arm64: 'aarch64-linux-gnu', native: 'x86_64-linux-gnu' };

/** Only what Panthor GPUs use: panfrost (GL ES through EGL/GBM) and panvk. */
const COMMON_OPTIONS = [
  '-Dgallium-drivers=panfrost',
  '-Dvulkan-drivers=panfrost',
  // No window systems: surfaceless and GBM (DRM) EGL platforms only.
  '-Dplatforms=',
  '-Dglx=disabled',
  '-Degl=enabled',
  '-Dgbm=enabled',
  '-Dgles1=disabled',
  '-Dgles2=enabled',
  '-Dglvnd=disabled',
  '-Dllvm=disabled',
  '-Dvalgrind=disabled',
  '-Dlibunwind=disabled',
  '-Dlmsensors=disabled',
  '-Dgallium-va=disabled',
  '-Dgallium-vdpau=disabled',
  '-Dgallium-xa=disabled',
  '-Dvideo-codecs=',
  '-Dzstd=enabled',
  '-Dprefix=/usr',
  '-Dsysconfdir=/etc',
];

/**
 * The target's build; drm-shim is a few small files, installed beside the
 * drivers. -O2, as Debian builds Mesa, rather than the release type's -O3:
 * a sample of 81 of its 1203 compiles took 11% less CPU time (81.7 s
 * against 91.8 s, two runs each).
 */
export const MESA_OPTIONS = [
  ...COMMON_OPTIONS,
  `-Dlibdir=lib/${TRIPLET.arm64}`,
  '-Dtools=drm-shim',
  '-Dbuildtype=release',
  '-Doptimization=2',
  '-Db_ndebug=true',
  '-Dstrip=true',
];

/**
 * The native build of `protm patches check mesa`, which counts each patch's
 * new warnings: optimized, because GCC's flow warnings (maybe-uninitialized,
 * array-bounds, stringop-*) need the optimizer.
 */
export const MESA_CHECK_OPTIONS = [...COMMON_OPTIONS, `-Dlibdir=lib/${TRIPLET.native}`, '-Dtools=drm-shim', '-Dbuildtype=debugoptimized'];

/** Meson machine files: compilers through ccache (the cache lives under ours). */
const MACHINE_FILE: Record<MesaFlavour, string> = {
  arm64: `[binaries]
c = ['ccache', 'aarch64-linux-gnu-gcc']
cpp = ['ccache', 'aarch64-linux-gnu-g++']
ar = 'aarch64-linux-gnu-gcc-ar'
strip = 'aarch64-linux-gnu-strip'
pkg-config = 'aarch64-linux-gnu-pkg-config'

[host_machine]
system = 'linux'
cpu_family = 'aarch64'
cpu = 'armv8-a'
endian = 'little'
`,
  native: `[binaries]
c = ['ccache', 'gcc']
cpp = ['ccache', 'g++']
`,
};

export interface MesaBuild {
  /** Content-keyed artifact directory; `root/` holds the installed files (prefix /usr). */
  dir: string;
  root: string;
  /** The ICD manifest of panvk inside `root`, naming the library by its path on the target (/usr/...). */
  icd: string;
  /** Mesa's Panthor drm-shim inside `root` (LD_PRELOAD it to play a kernel). */
  drmShim: string;
  key: string;
  cached: boolean;
}

function mesaOutDir(): string {
  return join(treeDir(buildTreeName('mesa')), 'out-arm64');
}

/** The directories a Mesa build needs inside the build root. */
function mesaBinds(src: string, out: string): string[] {
  return [...new Set([dirname(src), dirname(out), cachePaths.sources(), cachePaths.ccache()])];
}

/**
 * Write the header from our kernel series over Mesa's copy, and hide the
 * difference from git: it is an input of the build, not an edit of the
 * developer's (it never goes into mesa-patches/).
 */
export async function overlayUapi(src: string, header: string): Promise<void> {
  const path = join(src, UAPI_IN_TREE);
  const text = readFileSync(header, 'utf8');
  if (!existsSync(path) || readFileSync(path, 'utf8') !== text) writeFileSync(path, text);
  await git(src, ['update-index', '--skip-worktree', UAPI_IN_TREE]);
}

/** Configure `out` when new or when the recipe changed, then ninja, and install into `installTo` if given. */
export async function buildMesaAt(
  record: RunRecord,
  flavour: MesaFlavour,
  src: string,
  out: string,
  installTo: string | undefined,
  label: string,
  options: string[],
): Promise<void> {
  requireRoot('building Mesa');
  const root = await ensureBuildRoot(record, MESA_BUILD_ROOT);
  const binds = mesaBinds(src, out);
  mkdirSync(cachePaths.ccache(), { recursive: true });
  const configureHash = sha256(JSON.stringify([pinHash(findPin(loadPins(), 'mesa')), basename(dirname(root)), options, MACHINE_FILE[flavour]])).slice(0, 16);
  const marker = join(out, '.protm-configure-hash');
  if (!existsSync(join(out, 'build.ninja')) || !existsSync(marker) || readFileSync(marker, 'utf8') !== configureHash) {
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out, { recursive: true });
    const machine = join(out, 'protm-machine.ini');
    writeFileSync(machine, MACHINE_FILE[flavour]);
    const fileOption = flavour === 'arm64' ? '--cross-file' : '--native-file';
    const c = inBuildRoot(
      root,
      binds,
      `meson setup ${fileOption} ${shellQuote(machine)} ${options.map(shellQuote).join(' ')} ${shellQuote(out)} ${shellQuote(src)}`,
    );
    await runStep(record, `mesa ${flavour} meson setup`, c.file, c.args, { env: c.env });
    writeFileSync(marker, configureHash);
  }
  const n = inBuildRoot(root, binds, `ninja -C ${shellQuote(out)} -j${cpus().length}`);
  await runStep(record, label, n.file, n.args, { env: n.env, timeoutSeconds: 3 * 3600 });
  if (installTo) {
    const i = inBuildRoot(root, [...binds, dirname(installTo)], `meson install -C ${shellQuote(out)} --no-rebuild --quiet --destdir ${shellQuote(installTo)}`);
    await runStep(record, `mesa ${flavour} install`, i.file, i.args, { env: i.env });
  }
}

/**
 * The work tree is locked while it is brought up to date and its identity
 * taken; the build itself holds only the build directory.
 */
export async function buildMesa(record: RunRecord): Promise<MesaBuild> {
  const header = await panthorUapiHeader(record);
  const root = await ensureBuildRoot(record, MESA_BUILD_ROOT);
  const { wt, keyParts } = await withLock(`tree-${buildTreeName('mesa')}`, async () => {
    const wt = await currentWorkTree('mesa', record);
    await overlayUapi(wt.src, header.path);
    const keyParts = {
      pin: pinHash(findPin(loadPins(), 'mesa')),
      tree: await treeContent(wt.src, wt.series.hash),
      uapi: header.sha256,
      buildRoot: basename(dirname(root)),
      options: MESA_OPTIONS,
      machine: MACHINE_FILE.arm64,
      recipe: RECIPE,
    };
    return { wt, keyParts };
  });
  const out = mesaOutDir();
  const artifact = await withLock(`build-${buildTreeName('mesa')}-arm64`, () =>
    cachedArtifact(record, 'mesa-arm64', keyParts, (dir) => buildMesaAt(record, 'arm64', wt.src, out, join(dir, 'root'), 'mesa arm64 ninja', MESA_OPTIONS)),
  );
  const build = describe(artifact.dir, artifact.key, artifact.cached);
  record.set('mesa-arm64', { ...build, series: { patches: wt.series.patches.length, hash: wt.series.hash }, uapiSha256: header.sha256 });
  return build;
}

function describe(dir: string, key: string, cached: boolean): MesaBuild {
  const root = join(dir, 'root');
  // Mesa names the manifest after the CPU of the machine file (armv8-a).
  const icdDir = join(root, 'usr/share/vulkan/icd.d');
  const manifests = existsSync(icdDir) ? readdirSync(icdDir).filter((f) => /^panfrost_icd\..*\.json$/.test(f)) : [];
  if (manifests.length !== 1) throw new ProtmError(`the Mesa build installed ${manifests.length} panvk ICD manifests in ${icdDir}, expected one`);
  const icd = join(icdDir, manifests[0]!);
  const lib = join(root, 'usr/lib', TRIPLET.arm64);
  const drmShim = join(lib, 'libpanfrost_noop_drm_shim.so');
  for (const f of [join(lib, 'libvulkan_panfrost.so'), join(lib, 'libEGL.so.1'), drmShim]) {
    if (!existsSync(f)) throw new ProtmError(`the Mesa build did not install ${f}`, 'check the meson options in tools/build/mesa.ts');
  }
  return { dir, root, icd, drmShim, key, cached };
}
