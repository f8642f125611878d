// Mesa (panfrost Gallium driver with EGL/GBM/GLES2, panvk) with the
// mesa-patches series, built inside the trixie build root: Mesa 25.0.7 does
// not compile against sid's glibc, so it is built in the Debian release it
// came from. Two flavours of the same work tree, each with its own build
// directory next to it (<tree>/out-<flavour>) and ccache:
//
//   arm64   cross-compiled release build installed into the target (see
//           mesa-overlay.ts);
//   native  x86-64 debug build with Mesa's drm-shim, so the protected
//           paths run on the host with no GPU (host checks).
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
export const MESA_FLAVOURS = ['arm64', 'native'] as const;
export type MesaFlavour = (typeof MESA_FLAVOURS)[number];

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

const NATIVE_OPTIONS = [...COMMON_OPTIONS, `-Dlibdir=lib/${TRIPLET.native}`, '-Dtools=drm-shim'];

export const MESA_OPTIONS: Record<MesaFlavour, string[]> = {
  arm64: [...COMMON_OPTIONS, `-Dlibdir=lib/${TRIPLET.arm64}`, '-Dbuildtype=release', '-Db_ndebug=true', '-Dstrip=true'],
  // Unoptimized: the host checks run a few small programs on the shim, so
  // what counts is the compile (cold, in every CI on a new machine), not
  // the speed of the code; a debug build also keeps Mesa's debug checks.
  native: [...NATIVE_OPTIONS, '-Dbuildtype=debug'],
};

/**
 * The native build of `protm patches check mesa`, which counts each patch's
 * new warnings: optimized, because GCC's flow warnings (maybe-uninitialized,
 * array-bounds, stringop-*) need the optimizer.
 */
export const MESA_CHECK_OPTIONS = [...NATIVE_OPTIONS, '-Dbuildtype=debugoptimized'];

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
  flavour: MesaFlavour;
  /** Content-keyed artifact directory; `root/` holds the installed files (prefix /usr). */
  dir: string;
  root: string;
  /** The ICD manifest of panvk inside `root`, naming the library by its path on the target (/usr/...). */
  icd: string;
  /** native only: Mesa's Panthor drm-shim (LD_PRELOAD it). */
  drmShim?: string;
  key: string;
  cached: boolean;
}

export function mesaOutDir(flavour: MesaFlavour): string {
  return join(treeDir(buildTreeName('mesa')), `out-${flavour}`);
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
  installTo?: string,
  label = `mesa ${flavour} ninja`,
  options = MESA_OPTIONS[flavour],
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
 * taken; the build itself holds only its flavour's build directory, so the
 * two flavours of one tree can build at the same time (they read the same
 * sources and write different directories).
 */
export async function buildMesa(record: RunRecord, flavour: MesaFlavour): Promise<MesaBuild> {
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
      options: MESA_OPTIONS[flavour],
      machine: MACHINE_FILE[flavour],
      recipe: RECIPE,
    };
    return { wt, keyParts };
  });
  const out = mesaOutDir(flavour);
  const artifact = await withLock(`build-${buildTreeName('mesa')}-${flavour}`, () =>
    cachedArtifact(record, `mesa-${flavour}`, keyParts, async (dir) => {
      await buildMesaAt(record, flavour, wt.src, out, join(dir, 'root'));
      if (flavour === 'native') {
        const shim = join(out, 'src/panfrost/drm-shim/libpanfrost_noop_drm_shim.so');
        if (!existsSync(shim)) throw new ProtmError(`the native Mesa build has no drm-shim (${shim})`);
        writeFileSync(join(dir, basename(shim)), readFileSync(shim));
      }
    }),
  );
  const build = describe(flavour, artifact.dir, artifact.key, artifact.cached);
  record.set(`mesa-${flavour}`, { ...build, series: { patches: wt.series.patches.length, hash: wt.series.hash }, uapiSha256: header.sha256 });
  return build;
}

function describe(flavour: MesaFlavour, dir: string, key: string, cached: boolean): MesaBuild {
  const root = join(dir, 'root');
  // Mesa names the manifest after the host CPU meson knows (x86_64; for the
  // cross build the machine file's cpu, armv8-a).
  const icdDir = join(root, 'usr/share/vulkan/icd.d');
  const manifests = existsSync(icdDir) ? readdirSync(icdDir).filter((f) => /^panfrost_icd\..*\.json$/.test(f)) : [];
  if (manifests.length !== 1) throw new ProtmError(`the ${flavour} Mesa build installed ${manifests.length} panvk ICD manifests in ${icdDir}, expected one`);
  const icd = join(icdDir, manifests[0]!);
  for (const f of [join(root, 'usr/lib', TRIPLET[flavour], 'libvulkan_panfrost.so'), join(root, 'usr/lib', TRIPLET[flavour], 'libEGL.so.1')]) {
    if (!existsSync(f)) throw new ProtmError(`the ${flavour} Mesa build did not install ${f}`, 'check the meson options in tools/build/mesa.ts');
  }
  const drmShim = flavour === 'native' ? join(dir, 'libpanfrost_noop_drm_shim.so') : undefined;
  return { flavour, dir, root, icd, drmShim, key, cached };
}
