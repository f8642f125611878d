// The arm64 kernel: allnoconfig + images/kernel fragments (merged with the
// kernel's merge_config.sh, then verified), built out of tree next to the
// work tree with ccache. One configuration serves the QEMU target and the
// boards (base.config, then each board's fragment). One build directory per
// flavour (normal, debug), so switching between them never forces a full
// rebuild; a fragment change re-merges the configuration and make rebuilds
// only what it affects.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { hostCcacheEnv } from '../host/ccache.js';
import { ProtmError } from '../lib/errors.js';
import { sha256, sha256File } from '../lib/hash.js';
import { withLock } from '../lib/lock.js';
import { repoPaths } from '../lib/paths.js';
import { runStep } from '../lib/process.js';
import type { RunRecord } from '../lib/run-record.js';
import { treeDir } from '../patches/components.js';
import { editsHash, git } from '../patches/git.js';
import { buildTreeName, currentWorkTree } from '../patches/worktree.js';
import { pinHash } from '../sources/fetch.js';
import { findPin, loadPins } from '../sources/pins.js';
import { findDropped, readFragment } from './kconfig.js';

export interface KernelOptions {
  debug?: boolean;
}

export interface KernelBuild {
  src: string;
  out: string;
  image: string;
  config: string;
  configHash: string;
  imageSha256: string;
}

/** Where the target's initramfs list lives; the rootfs build writes it. */
export function initramfsListPath(): string {
  return join(treeDir(buildTreeName('kernel')), 'initramfs.list');
}

/** A kernel built before any rootfs still needs a console node to boot. */
const PLACEHOLDER_LIST = 'dir /dev 0755 0 0\nnod /dev/console 0600 0 0 c 5 1\n';

function ensureInitramfsList(): string {
  const path = initramfsListPath();
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, PLACEHOLDER_LIST);
  }
  return path;
}

/** The files a gen_init_cpio list names (`file <name> <location> ...`) that are gone. */
export function missingListFiles(list: string): string[] {
  return list
    .split('\n')
    .map((line) => /^file \S+ (\S+) /.exec(line)?.[1])
    .filter((location): location is string => location !== undefined && !existsSync(location));
}

export interface Fragment {
  name: string;
  text: string;
}

/**
 * The fragments for a build flavour, in merge order (the last one generated).
 * The initramfs list is named relative to the build directory `out` (kbuild
 * runs its commands there), and every tree names its own list beside its
 * source (`<tree>/src/.protm-out*` to `<tree>/initramfs.list`): the same
 * string in every tree and cache. Otherwise each would have its own
 * autoconf.h, which every object includes, and ccache's direct mode would
 * share no object between them (the bisect-check tree compiled the whole
 * kernel again). A tree other than the build tree gets a copy of its list.
 */
export function kernelFragments(opts: KernelOptions, out: string, dir = repoPaths.kernelFragments()): Fragment[] {
  const names = ['base.config', 'rock-5b.config', ...(opts.debug ? ['debug.config'] : [])];
  const list = join(dirname(dirname(out)), 'initramfs.list');
  const source = ensureInitramfsList();
  if (list !== source) {
    const text = readFileSync(source, 'utf8');
    if (!existsSync(list) || readFileSync(list, 'utf8') !== text) {
      mkdirSync(dirname(list), { recursive: true });
      writeFileSync(list, text);
    }
  }
  const initramfs = `CONFIG_INITRAMFS_SOURCE="${relative(out, list)}"\n`;
  return [...names.map((n) => readFragment(join(dir, n))), { name: 'initramfs.config', text: initramfs }];
}

/** Environment and make arguments shared by every kernel make invocation (no -j: run it with `jobserver: 'make'`). */
export function kernelMakeArgs(src: string, out: string): { args: string[]; env: Record<string, string> } {
  return {
    args: ['-C', src, `O=${out}`, 'ARCH=arm64', 'CROSS_COMPILE=aarch64-linux-gnu-', 'CC=ccache aarch64-linux-gnu-gcc', 'HOSTCC=ccache gcc'],
    env: {
      // `ccache` in CC resolves to our launcher (tools/host/ccache.ts).
      ...hostCcacheEnv(),
      KBUILD_BUILD_TIMESTAMP: 'protm',
      KBUILD_BUILD_USER: 'protm',
      KBUILD_BUILD_HOST: 'protm',
    },
  };
}

/** Merge fragments into `out/.config` (only when they changed) and verify the result. */
export async function configureKernel(record: RunRecord, src: string, out: string, fragments: Fragment[]): Promise<string> {
  const configHash = sha256(JSON.stringify([pinHash(findPin(loadPins(), 'linux')), fragments.map((f) => f.text)])).slice(0, 16);
  const marker = join(out, '.protm-config-hash');
  const dotConfig = join(out, '.config');
  if (existsSync(marker) && readFileSync(marker, 'utf8') === configHash && existsSync(dotConfig)) return configHash;
  mkdirSync(out, { recursive: true });
  // merge_config.sh reads files: write each fragment into the build directory.
  const paths = fragments.map((f, i) => {
    const path = join(out, `protm-fragment-${i}-${f.name.replace(/[^A-Za-z0-9._-]/g, '_')}`);
    writeFileSync(path, f.text);
    return path;
  });
  const { env } = kernelMakeArgs(src, out);
  await runStep(record, 'kernel config (allnoconfig + fragments)', join(src, 'scripts/kconfig/merge_config.sh'), ['-n', '-O', out, ...paths], {
    cwd: src,
    env: { ...env, ARCH: 'arm64', CROSS_COMPILE: 'aarch64-linux-gnu-' },
  });
  const dropped = findDropped(fragments, readFileSync(dotConfig, 'utf8'));
  if (dropped.length > 0) {
    throw new ProtmError(
      `the kernel configuration lost ${dropped.length} option(s) the fragments ask for (unmet dependencies?):\n${dropped.map((d) => `  ${d.option}: wanted ${d.wanted === 'n' ? 'not set' : d.wanted}, got ${d.got} (${d.fragment})`).join('\n')}`,
      'check the options\' "depends on" in Kconfig and add what they need to the fragment',
    );
  }
  writeFileSync(marker, configHash);
  return configHash;
}

/**
 * Identity of everything a build reads: the configuration, the committed tree,
 * uncommitted edits, untracked files and the initramfs list. Equal
 * fingerprints let a warm run skip even make's own no-op walk (~8 s).
 */
async function treeFingerprint(src: string, configHash: string): Promise<string> {
  const head = await git(src, ['rev-parse', 'HEAD']);
  return sha256(JSON.stringify([configHash, head, await editsHash(src, 'HEAD'), readFileSync(initramfsListPath(), 'utf8')]));
}

export async function buildKernelAt(record: RunRecord, src: string, out: string, opts: KernelOptions, stage = 'kernel Image'): Promise<KernelBuild> {
  const configHash = await configureKernel(record, src, out, kernelFragments(opts, out));
  const image = join(out, 'arch/arm64/boot/Image');
  const fingerprintFile = join(out, '.protm-build-fingerprint');
  const fingerprint = await treeFingerprint(src, configHash);
  if (existsSync(image) && existsSync(fingerprintFile) && readFileSync(fingerprintFile, 'utf8') === fingerprint) {
    record.addStep({ name: stage, status: 'cached', seconds: 0, detail: 'tree, config and initramfs unchanged since the last build' });
  } else {
    rmSync(fingerprintFile, { force: true });
    const { args, env } = kernelMakeArgs(src, out);
    await runStep(record, stage, 'make', [...args, 'Image'], { env, jobserver: 'make' });
    writeFileSync(fingerprintFile, fingerprint);
  }
  return { src, out, image, config: join(out, '.config'), configHash, imageSha256: await sha256File(image) };
}

/**
 * A kernel tree's build directory sits inside its source tree (a dot
 * directory, which the kernel's .gitignore ignores): kbuild then calls the
 * source ".." instead of its absolute path, so the compiler command lines of
 * every tree (the work tree, the exact-series tree, the bisect-check tree)
 * are the same and ccache shares their objects. With the build directory
 * beside the tree, -fmacro-prefix-map carried the absolute path and every
 * tree compiled everything once more.
 */
export function kernelOutDir(tree: string, opts: KernelOptions): string {
  return join(treeDir(tree), 'src', opts.debug ? '.protm-out-debug' : '.protm-out');
}

/** Serializes everything that writes a kernel tree's initramfs list or build directories. */
export function withKernelTree<T>(fn: () => Promise<T>): Promise<T> {
  return withLock(`tree-${buildTreeName('kernel')}`, fn);
}

export async function buildKernel(record: RunRecord, opts: KernelOptions = {}): Promise<KernelBuild> {
  return withKernelTree(() => buildKernelLocked(record, opts));
}

/**
 * The kernel's compile before this run's root filesystem exists, with the
 * initramfs list as it stands (the last run's, or a placeholder): the later
 * buildKernel() then only relinks, or finds nothing to do when the list did
 * not change. A list naming files that are gone (a root filesystem removed
 * by `protm gc`) would fail the link: the placeholder stands in for it.
 */
export async function compileKernelBeforeRootfs(record: RunRecord, opts: KernelOptions = {}): Promise<KernelBuild> {
  return withKernelTree(async () => {
    replaceBrokenInitramfsList();
    return buildKernelLocked(record, opts, 'kernel Image (before the root filesystem)');
  });
}

/** Put the placeholder in place of an initramfs list that names files that are gone; true if it did. */
export function replaceBrokenInitramfsList(): boolean {
  const list = initramfsListPath();
  if (!existsSync(list) || missingListFiles(readFileSync(list, 'utf8')).length === 0) return false;
  writeFileSync(list, PLACEHOLDER_LIST);
  return true;
}

async function buildKernelLocked(record: RunRecord, opts: KernelOptions, stage?: string): Promise<KernelBuild> {
  const wt = await currentWorkTree('kernel', record);
  const build = await buildKernelAt(record, wt.src, kernelOutDir(buildTreeName('kernel'), opts), opts, stage);
  record.set('kernel', { ...build, series: { patches: wt.series.patches.length, hash: wt.series.hash }, debug: Boolean(opts.debug) });
  return build;
}
