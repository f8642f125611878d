// QEMU (qemu-system-aarch64 with the qemu-patches series, e.g. the Mali CSF
// GPU model): configured and built with ninja inside the sid build root (QEMU
// 10.2 needs meson >= 1.5; bookworm has 1.0.1), incrementally in
// <trees>/qemu/out next to the work tree <trees>/qemu/src (buildQemuAt builds
// any tree into any build directory the same way: `patches check qemu` uses
// <trees>/qemu-check). The finished binary goes into a content-keyed artifact
// (pin, series or the tree's own edits, build root, recipe).
//
// The binary links against sid's libraries (glibc 2.43), so it cannot run on
// the bookworm host directly: the artifact's `qemu-system-aarch64` is a
// wrapper that runs the real binary inside the build root, with the current
// directory and the protm cache bind-mounted at their own paths (the boot's
// semihosting loads bl*.bin from the current directory). It needs root, as
// the build does.
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { ensureBuildRoot, inBuildRoot } from '../host/buildroot.js';
import { requireRoot } from '../host/root.js';
import { cachedArtifact } from '../lib/artifact.js';
import { ProtmError } from '../lib/errors.js';
import { sha256 } from '../lib/hash.js';
import { jobserverDir } from '../lib/jobserver.js';
import { withLock } from '../lib/lock.js';
import { cacheDir, cachePaths, repoRoot } from '../lib/paths.js';
import { runStep } from '../lib/process.js';
import type { RunRecord } from '../lib/run-record.js';
import { shellQuote } from '../lib/shell.js';
import { treeDir } from '../patches/components.js';
import { buildTreeName, currentWorkTree, treeContent } from '../patches/worktree.js';
import { fetchPin, pinHash } from '../sources/fetch.js';
import { findPin, loadPins } from '../sources/pins.js';

export const QEMU_BUILD_ROOT = 'sid-qemu';

/**
 * Only what the target needs: aarch64 system emulation under TCG, with the
 * device tree library. The Debian +ds tarball has no bundled subprojects to
 * download and no firmware blobs (Debian's pc-bios/meson.build already skips
 * the edk2 .bz2 unpacking).
 */
export const QEMU_CONFIGURE_ARGS = [
  '--target-list=aarch64-softmmu',
  // Only the devices virt selects (images/qemu/devices-aarch64.mak, copied
  // beside the tree as protm-devices.mak: configure takes a name relative to
  // the source's configs/devices/aarch64-softmmu). The default set builds
  // every Arm board QEMU has, twice the compile steps for nothing we use.
  '--without-default-devices',
  '--with-devices-aarch64=../../../../protm-devices',
  // Every optional feature off (user interfaces, network backends, block
  // formats, vhost, 9p, TPM, D-Bus display, plugins, Rust...), then the one
  // the target needs; no debug information (about a fifth of the compile
  // time); no QOM cast checks (a cost on every cast at run time, which the
  // model does not rely on). A cold build went from 458 s to 323 s here
  // (docs/measurements.md, "QEMU's build"), and the guests run as fast.
  // -O1 as well would have made it 269 s, but the guests ran about a fifth
  // slower, and boots are what every warm run pays.
  '--without-default-features',
  '--enable-fdt=system',
  '--disable-debug-info',
  '--disable-qom-cast-debug',
  '--disable-docs',
  '--disable-user',
  '--disable-tools',
  '--disable-download',
  '--disable-install-blobs',
  '--disable-werror',
  // By name, so that /usr/lib/ccache (first on PATH, see ccacheEnv) wraps
  // them: it has gcc and g++ but no cc, QEMU's default.
  '--cc=gcc',
  '--cxx=g++',
];

/** The device set (see QEMU_CONFIGURE_ARGS). */
const DEVICES_FILE = join(repoRoot, 'images', 'qemu', 'devices-aarch64.mak');

/** Bump when the recipe (arguments, wrapper) changes in a way the key cannot see. */
const RECIPE = 3;

/**
 * The +ds tarball has no option ROMs, and virt's default NIC (virtio-net-pci)
 * needs efi-virtio.rom or QEMU refuses to start. The host's ipxe-qemu (which
 * bookworm's qemu-system-arm pulls in) has it; the wrapper passes a copy with -L.
 * (`-nic none` avoids the need.)
 */
const IPXE_ROMS = '/usr/lib/ipxe/qemu';
const OPTION_ROMS = ['efi-virtio.rom'];

export const QEMU_BINARY = 'qemu-system-aarch64';

export interface QemuBuild {
  /** Runs QEMU (a wrapper that enters the build root); spawn it like qemu-system-aarch64. */
  binary: string;
  /** The real binary, linked against the build root's libraries. */
  realBinary: string;
  src: string;
  out: string;
  key: string;
  cached: boolean;
}

/** The build directory: next to the work tree, reused across builds (incremental ninja). */
export function qemuOutDir(): string {
  return join(treeDir(buildTreeName('qemu')), 'out');
}

/** The wrapper installed as the artifact's qemu-system-aarch64. */
function wrapperScript(root: string, real: string, romDir: string): string {
  return `#!/bin/sh
# protm: run ${QEMU_BINARY} (built against the ${QEMU_BUILD_ROOT} build root's
# libraries) inside that build root, in the current directory.
# Paths on the command line must lie under the current directory or ${cacheDir()}.
exec unshare --mount --propagation private -- sh -ec '
R=$1; REAL=$2; CACHE=$3; ROMS=$4; shift 4
CWD=$(pwd)
mount -t proc proc "$R/proc"
mount --rbind /dev "$R/dev"
# The current directory first: a bind does not carry the mounts below it,
# so binding it last would hide a cache below it (the LAVA worker runs QEMU
# in /tmp, where a cache under /tmp is a mount of its own).
for d in "$CWD" "$CACHE"; do mkdir -p "$R$d"; mount --bind "$d" "$R$d"; done
exec chroot "$R" sh -c "cd \\"\\$0\\" && exec \\"\\$@\\"" "$CWD" "$REAL" -L "$ROMS" "$@"
' sh ${shellQuote(root)} ${shellQuote(real)} ${shellQuote(cacheDir())} ${shellQuote(romDir)} "$@"
`;
}

/** The directories a build of `src` into `out` needs inside the build root. */
function qemuBinds(src: string, out: string): string[] {
  // The work tree's symlinks may point into the unpacked sources: make both visible.
  return [...new Set([dirname(src), dirname(out), cachePaths.sources(), cachePaths.ccache()])];
}

/**
 * Build `targets` of the QEMU tree `src` in the build directory `out`, inside
 * the build root: configures `out` first when it is new or the pin, build root
 * or configure arguments changed, otherwise ninja works incrementally.
 */
export async function buildQemuAt(
  record: RunRecord,
  src: string,
  out: string,
  targets: string[] = [QEMU_BINARY],
  stage = `qemu ninja ${targets.join(' ')}`,
): Promise<void> {
  const root = await ensureBuildRoot(record, QEMU_BUILD_ROOT);
  const binds = qemuBinds(src, out);
  mkdirSync(cachePaths.ccache(), { recursive: true });
  const devices = readFileSync(DEVICES_FILE, 'utf8');
  writeFileSync(join(dirname(src), 'protm-devices.mak'), devices);
  const configureHash = sha256(JSON.stringify([pinHash(findPin(loadPins(), 'qemu')), basename(dirname(root)), QEMU_CONFIGURE_ARGS, devices])).slice(0, 16);
  const marker = join(out, '.protm-configure-hash');
  if (!existsSync(join(out, 'build.ninja')) || !existsSync(marker) || readFileSync(marker, 'utf8') !== configureHash) {
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out, { recursive: true });
    const c = inBuildRoot(root, binds, `cd ${shellQuote(out)} && ${shellQuote(join(src, 'configure'))} ${QEMU_CONFIGURE_ARGS.map(shellQuote).join(' ')}`);
    await runStep(record, 'qemu configure', c.file, c.args, { env: c.env });
    writeFileSync(marker, configureHash);
  }
  // ninja 1.13 shares protm's pool of cores (no -j): it opens the pool's FIFO by name, so the build root sees its directory.
  const n = inBuildRoot(root, [...binds, jobserverDir()], `cd ${shellQuote(out)} && ninja ${targets.map(shellQuote).join(' ')}`);
  await runStep(record, stage, n.file, n.args, { env: n.env, jobserver: 'ninja' });
}

export async function buildQemu(record: RunRecord): Promise<QemuBuild> {
  requireRoot('building QEMU');
  return withLock(`tree-${buildTreeName('qemu')}`, () => buildQemuLocked(record));
}

async function buildQemuLocked(record: RunRecord): Promise<QemuBuild> {
  const wt = await currentWorkTree('qemu', record);
  const root = await ensureBuildRoot(record, QEMU_BUILD_ROOT);
  const out = qemuOutDir();
  const keyParts = {
    pin: pinHash(findPin(loadPins(), 'qemu')),
    tree: await treeContent(wt.src, wt.series.hash),
    buildRoot: basename(dirname(root)),
    configure: QEMU_CONFIGURE_ARGS,
    devices: readFileSync(DEVICES_FILE, 'utf8'),
    recipe: RECIPE,
  };
  const artifact = await cachedArtifact(record, 'qemu', keyParts, async (dir) => {
    await buildQemuAt(record, wt.src, out);
    const built = join(out, QEMU_BINARY);
    if (!existsSync(built)) throw new ProtmError(`ninja finished but ${built} is missing`);
    const final = join(dir, `${QEMU_BINARY}.real`);
    copyFileSync(built, final);
    chmodSync(final, 0o755);
    mkdirSync(join(dir, 'roms'));
    for (const rom of OPTION_ROMS) {
      if (existsSync(join(IPXE_ROMS, rom))) copyFileSync(join(IPXE_ROMS, rom), join(dir, 'roms', rom));
    }
  });
  const realBinary = join(artifact.dir, `${QEMU_BINARY}.real`);
  // The wrapper names the artifact's final path, so write it after the rename.
  const binary = join(artifact.dir, QEMU_BINARY);
  writeFileSync(binary, wrapperScript(root, realBinary, join(artifact.dir, 'roms')));
  chmodSync(binary, 0o755);
  record.set('qemu', { binary, realBinary, key: artifact.key, cached: artifact.cached, series: { patches: wt.series.patches.length, hash: wt.series.hash } });
  return { binary, realBinary, src: wt.src, out, key: artifact.key, cached: artifact.cached };
}

/** Our qtests (TAP from glib's test harness), built and run inside the build root. */
export const QTESTS = ['mali-csf-test', 'mali-csf-compute-test', 'mali-csf-fragment-test', 'mali-csf-mmu-test'];

export async function runQtests(record: RunRecord): Promise<string> {
  return withLock(`tree-${buildTreeName('qemu')}`, () => runQtestsLocked(record));
}

async function runQtestsLocked(record: RunRecord): Promise<string> {
  const build = await buildQemu(record);
  // The binary may be a cached product of another tree with the same
  // content (the developer's tree holding exactly the series): the qtests
  // need this tree's build directory, so make sure it is built.
  await buildQemuAt(record, build.src, build.out);
  const root = await ensureBuildRoot(record, QEMU_BUILD_ROOT);
  // The compute qtests' shaders are assembled at build time by Mesa's own
  // Valhall assembler, from the pinned Mesa source (without it they skip).
  const mesa = await fetchPin(findPin(loadPins(), 'mesa'), record);
  const targets = QTESTS.map((t) => `tests/qtest/${t}`);
  const taps = QTESTS.map((t) => join(build.out, `protm-${t}.tap`));
  for (const tap of taps) rmSync(tap, { force: true });
  // One command a line, under `sh -e`: qtests that do not build stop the
  // run there, before any binary runs (an old binary of the other qtests
  // would report on code that is not the tree's). A qtest that fails is a
  // result, in its TAP.
  const runs = targets.map((t, i) => `QTEST_QEMU_BINARY=./${QEMU_BINARY} ${shellQuote(`./${t}`)} --tap -k > ${shellQuote(taps[i]!)} 2>&1 || true`);
  const script = [`cd ${shellQuote(build.out)}`, `ninja -j${cpus().length} ${targets.map(shellQuote).join(' ')}`, ...runs].join('\n');
  const s = inBuildRoot(root, qemuBinds(build.src, build.out), script);
  const env = { ...s.env, MESA_VALHALL_DIR: join(mesa, 'src', 'panfrost', 'compiler', 'valhall') };
  await runStep(record, 'qemu qtests', s.file, s.args, { env, timeoutSeconds: 900 });
  return taps
    .map((tap, i) => {
      const text = existsSync(tap) ? readFileSync(tap, 'utf8') : '';
      // glib's TAP states its plan first; a qtest that crashed later leaves
      // the rest of its plan without results, which the parser fails.
      if (!/^1\.\.\d+/m.test(text)) {
        throw new ProtmError(`the qtest ${QTESTS[i]} printed no TAP plan: it did not start`, `its output (${tap}):\n${text.slice(-2000)}`);
      }
      return text;
    })
    .join('\n');
}
