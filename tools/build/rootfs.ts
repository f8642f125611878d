// The target's initramfs: busybox, glibc/libcrypto, OP-TEE's client and
// xtest, our check programs and TAs, and the init that runs a suite. It is
// staged into a content-keyed directory and described as a gen_init_cpio list
// that the kernel build embeds (booting through TF-A ignores -initrd).
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { cachedArtifact } from '../lib/artifact.js';
import { sha256, sha256Dir } from '../lib/hash.js';
import { repoRoot } from '../lib/paths.js';
import type { RunRecord } from '../lib/run-record.js';
import { fetchPin, pinHash } from '../sources/fetch.js';
import { findPin, loadPins } from '../sources/pins.js';
import { initramfsListPath, withKernelTree } from './kernel.js';

/**
 * More for the root filesystem, for the suites that need it (Mesa): whole
 * directory trees merged at /, programs for /protm/bin, and pinned Debian
 * packages.
 */
export interface RootfsAddition {
  /** Identity of what is added (for the cache key): an artifact key, say. */
  key: string;
  trees: string[];
  binaries: string[];
  pins: string[];
}

export interface TargetPrograms {
  /** Content-keyed artifact directory of the programs (its name is their identity). */
  dir: string;
  /** Check programs, installed into /protm/bin. */
  binaries: string[];
  /** Trusted applications (*.ta), installed next to xtest's. */
  tas: string[];
}

const ROOTFS_SRC = join(repoRoot, 'test/target/rootfs');
const SUITES_SRC = join(repoRoot, 'test/target/suites');
const DEB_PINS = ['busybox', 'target-libs', 'optee-client', 'optee-test'];
export const MALI_FIRMWARE = 'usr/lib/firmware/arm/mali/arch10.8/mali_csffw.bin';

/** Skip documentation, manuals and locale data: the initramfs is RAM. */
function wanted(path: string): boolean {
  return !/\/usr\/share(\/|$)|\/gconv(\/|$)|\/systemd(\/|$)|\/etc\/ld\.so\.conf\.d|\.protm-pin\.json$/.test(path);
}

/** Headers, static and libtool archives and pkg-config files are for building, not for the target. */
function runtimeOnly(path: string): boolean {
  return !/\/usr\/include(\/|$)|\.a$|\.la$|\/pkgconfig(\/|$)/.test(path);
}

/**
 * The pinned Debian packages' files merged at `root`, as an arm64 userland:
 * merged /usr, as the Debian binaries expect (/lib/ld-linux-aarch64.so.1).
 */
export async function stageDebianPins(record: RunRecord, root: string, names: string[]): Promise<void> {
  const pins = loadPins();
  for (const name of names) {
    const dir = await fetchPin(findPin(pins, name), record);
    cpSync(dir, root, { recursive: true, filter: (src) => wanted(src), verbatimSymlinks: true });
  }
  symlinkSync('usr/lib', join(root, 'lib'));
}

/** An installed tree (a Mesa build's root) merged at `root`, without what is only for building. */
export function stageInstalledTree(tree: string, root: string): void {
  // Installed trees keep usr/share (Vulkan's ICD manifests live there).
  cpSync(tree, root, { recursive: true, filter: runtimeOnly, verbatimSymlinks: true });
}

async function stage(record: RunRecord, root: string, programs: TargetPrograms, additions: RootfsAddition[]): Promise<void> {
  await stageDebianPins(record, root, [...DEB_PINS, ...additions.flatMap((a) => a.pins)]);
  // Arm's Mali CSF firmware for Panthor (only the G610's arch10.8 image).
  const firmware = join(await fetchPin(findPin(loadPins(), 'firmware'), record), MALI_FIRMWARE);
  mkdirSync(join(root, dirname(MALI_FIRMWARE)), { recursive: true });
  // The Debian package makes arch10.8 a symlink (to arch10.10): copy the file, not the link.
  copyFileSync(firmware, join(root, MALI_FIRMWARE));
  mkdirSync(join(root, 'bin'), { recursive: true });
  cpSync(join(root, 'usr/bin/busybox'), join(root, 'bin/busybox'));
  // /init is a shell script: /bin/sh must exist before busybox installs its applets.
  symlinkSync('busybox', join(root, 'bin/sh'));
  cpSync(join(ROOTFS_SRC, 'init'), join(root, 'init'));
  mkdirSync(join(root, 'protm/bin'), { recursive: true });
  cpSync(join(ROOTFS_SRC, 'run-suite'), join(root, 'protm/run-suite'));
  cpSync(join(ROOTFS_SRC, 'target-env'), join(root, 'protm/target-env'));
  cpSync(SUITES_SRC, join(root, 'protm/suites'), { recursive: true });
  for (const bin of programs.binaries) cpSync(bin, join(root, 'protm/bin', basename(bin)));
  mkdirSync(join(root, 'usr/lib/optee_armtz'), { recursive: true });
  for (const ta of programs.tas) cpSync(ta, join(root, 'usr/lib/optee_armtz', basename(ta)));
  for (const a of additions) {
    for (const tree of a.trees) stageInstalledTree(tree, root);
    for (const bin of a.binaries) cpSync(bin, join(root, 'protm/bin', basename(bin)));
  }
  for (const exe of ['init', 'protm/run-suite']) chmodSync(join(root, exe), 0o755);
}

/** gen_init_cpio lines for everything under `root`, plus the device nodes. */
export function cpioList(root: string): string {
  const lines = ['dir /dev 0755 0 0', 'nod /dev/console 0600 0 0 c 5 1', 'nod /dev/null 0666 0 0 c 1 3'];
  for (const d of ['proc', 'sys', 'tmp', 'root', 'etc', 'var', 'data']) lines.push(`dir /${d} 0755 0 0`);
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const target = `/${relative(root, path)}`;
      const st = lstatSync(path);
      const mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
      if (st.isSymbolicLink()) lines.push(`slink ${target} ${readlinkSync(path)} 0777 0 0`);
      else if (st.isDirectory()) {
        lines.push(`dir ${target} ${mode} 0 0`);
        walk(path);
      } else if (st.isFile()) lines.push(`file ${target} ${path} ${mode} 0 0`);
    }
  };
  walk(root);
  return `${lines.join('\n')}\n`;
}

/** A staged root filesystem (a content-keyed artifact). */
export interface StagedRootfs {
  dir: string;
  cached: boolean;
}

/** A staged root filesystem the kernel's initramfs list points at. */
export interface Rootfs extends StagedRootfs {
  list: string;
}

/** Stage the rootfs and point the kernel's initramfs list at it. */
export async function buildRootfs(record: RunRecord, programs: TargetPrograms, additions: RootfsAddition[] = []): Promise<Rootfs> {
  return installInitramfsList(record, await stageRootfs(record, programs, additions));
}

/** The staged root filesystem (a content-keyed artifact); the kernel's tree is not touched. */
export async function stageRootfs(record: RunRecord, programs: TargetPrograms, additions: RootfsAddition[] = []): Promise<StagedRootfs> {
  const pins = loadPins();
  const key = {
    pins: [...DEB_PINS, 'firmware', ...additions.flatMap((a) => a.pins)].map((n) => pinHash(findPin(pins, n))),
    // Absent without additions, so the plain rootfs keeps its key.
    ...(additions.length > 0 ? { additions: additions.map((a) => a.key) } : {}),
    rootfs: sha256Dir(ROOTFS_SRC),
    suites: sha256Dir(SUITES_SRC),
    programs: basename(programs.dir),
    recipe: 3,
  };
  const artifact = await cachedArtifact(record, 'rootfs', key, (out) => stage(record, join(out, 'root'), programs, additions));
  return { dir: artifact.dir, cached: artifact.cached };
}

/** Point the kernel's initramfs list at a staged root filesystem. */
export async function installInitramfsList(record: RunRecord, rootfs: StagedRootfs): Promise<Rootfs> {
  const list = cpioList(join(rootfs.dir, 'root'));
  const listPath = initramfsListPath();
  await withKernelTree(async () => {
    // On a first run nothing has created the kernel's tree directory yet.
    mkdirSync(dirname(listPath), { recursive: true });
    // Rewrite only on change: the kernel re-packs the initramfs when the list's mtime moves.
    if (!existsSync(listPath) || readFileSync(listPath, 'utf8') !== list) writeFileSync(listPath, list);
  });
  record.set('rootfs', { dir: rootfs.dir, list: listPath, listSha256: sha256(list) });
  return { ...rootfs, list: listPath };
}
