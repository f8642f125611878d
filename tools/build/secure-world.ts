// The secure world for QEMU virt: TF-A (BL1, BL2, BL31) and OP-TEE (BL32 and
// its TA dev kit), built from the pinned Debian sources per profile
// (images/secure/<name>.json).
//
// How the pieces meet at boot: QEMU runs bl1.bin from its flash; with no FIP
// in flash, TF-A's qemu platform loads bl2.bin, bl31.bin, bl32.bin,
// bl32_extra1.bin, bl32_extra2.bin and bl33.bin (the kernel Image) from the
// working directory through semihosting (plat/qemu/common/qemu_io_storage.c).
// BL2 reads OP-TEE's v2 header (bl32.bin = tee-header_v2.bin) at run time to
// place the pager and pageable parts. So TF-A is built without BL32 or BL33:
// its binaries depend neither on OP-TEE nor on the kernel, and a kernel
// change needs no TF-A rebuild (the kernel is not part of its cache key).
//
// Static protected memory: Linux's static pool (tee_protmem_static_pool_alloc
// in drivers/tee/tee_heap.c) accepts the range OP-TEE reports only if it is
// page aligned and pfn_valid(), i.e. inside the RAM Linux knows. The range
// must also not be System RAM: the OP-TEE driver maps it with
// devm_memremap(MEMREMAP_WC), which memremap() refuses for System RAM
// ("memremap attempted on ram", kernel/iomem.c; seen when booting the static
// profile without the reservation: no protected heap). A no-map
// reserved-memory node gives both: the pages keep their struct page but are
// neither System RAM nor in the linear map. OP-TEE's default SDP range (the
// last 4 MiB of TZDRAM, 0x0ec00000) is outside Linux's RAM, so the static
// profile sets CFG_TEE_SDP_MEM_BASE/SIZE inside the guest's RAM, and OP-TEE,
// which edits QEMU's DT at boot anyway (optee_core and optee_shm
// reserved-memory nodes), adds a no-map "optee_sdp@<base>" node for it
// (images/secure/optee-os-patches/0001-*.patch; OP-TEE 4.10 has no option for
// this: its "linaro,secure-heap" lookup reads only its embedded DT and
// reserves nothing). The firmware that owns the carve-out declares it, from
// the same configuration values. The alternative, dumping QEMU's DTB
// (-machine dumpdtb=) and passing an edited copy with -dtb, was rejected: the
// DTB would have to be regenerated for every change of the QEMU command line
// (memory, CPUs, devices, QEMU version) and a stale one silently drops or
// misdescribes devices. With the patch the boot needs no -dtb and no kernel
// command line.
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { hostCcacheEnv } from '../host/ccache.js';
import { cachedArtifact } from '../lib/artifact.js';
import { ProtmError } from '../lib/errors.js';
import { sha256, sha256Files } from '../lib/hash.js';
import { cachePaths, repoRoot } from '../lib/paths.js';
import { runStep } from '../lib/process.js';
import type { RunRecord } from '../lib/run-record.js';
import { fetchPin, pinHash } from '../sources/fetch.js';
import { findPin, loadPins } from '../sources/pins.js';

/** Bumped when this file changes how an artifact is built. */
const RECIPE = 1;
const CROSS_COMPILE = 'aarch64-linux-gnu-';

export interface SecureProfile {
  name: string;
  about?: string;
  machine: { ramBase: string; ramMiB: number };
  protectedMemory: { kind: 'static' | 'dynamic'; heaps: string[]; about?: string };
  optee: { make: Record<string, string> };
  tfa: { make: Record<string, string> };
}

export interface SecureWorld {
  /** Directory holding the six firmware files under the names TF-A loads. */
  dir: string;
  profile: SecureProfile;
  files: { bl1: string; bl2: string; bl31: string; bl32: string; bl32Extra1: string; bl32Extra2: string };
  /** OP-TEE's export-ta_arm64, inside the cached OP-TEE artifact. */
  taDevKit: string;
  /** A DTB for QEMU's -dtb; never set: OP-TEE edits QEMU's own DT (see above). */
  dtb?: string;
  /** Extra kernel command line; never set by the current profiles. */
  kernelCmdline?: string;
}

export interface Region {
  base: bigint;
  size: bigint;
}

export const secureProfilesDir = (): string => join(repoRoot, 'images', 'secure');
const opteePatchesDir = (): string => join(secureProfilesDir(), 'optee-os-patches');

/** The names of the profiles in images/secure/ (every *.json). */
export function secureProfileNames(): string[] {
  return readdirSync(secureProfilesDir())
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

export function loadSecureProfile(name: string): SecureProfile {
  const path = join(secureProfilesDir(), `${name}.json`);
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name) || !existsSync(path)) {
    throw new ProtmError(`no secure-world profile "${name}"`, `known profiles: ${secureProfileNames().join(', ')}`);
  }
  let profile: SecureProfile;
  try {
    profile = JSON.parse(readFileSync(path, 'utf8')) as SecureProfile;
  } catch (err) {
    throw new ProtmError(`cannot read ${path}: ${(err as Error).message}`);
  }
  validateProfile(profile, path);
  return profile;
}

function validateProfile(p: SecureProfile, where: string): void {
  const fail = (msg: string): never => {
    throw new ProtmError(`${where}: ${msg}`);
  };
  if (!p.name) fail('"name" is missing');
  if (!p.machine || !/^0x[0-9a-f]+$/i.test(p.machine.ramBase ?? '') || !(p.machine.ramMiB > 0)) fail('"machine" needs ramBase (hex) and ramMiB');
  if (!p.protectedMemory || !['static', 'dynamic'].includes(p.protectedMemory.kind)) fail('protectedMemory.kind must be "static" or "dynamic"');
  if (!Array.isArray(p.protectedMemory.heaps) || p.protectedMemory.heaps.length === 0) fail('protectedMemory.heaps must name the expected heaps');
  for (const part of ['optee', 'tfa'] as const) {
    const make = p[part]?.make;
    if (!make || typeof make !== 'object') fail(`"${part}.make" must map make variables to values`);
    for (const [k, v] of Object.entries(make)) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) fail(`${part}.make: "${k}" is not a make variable name`);
      if (typeof v !== 'string' || /\s/.test(v)) fail(`${part}.make.${k}: value must be a string without spaces`);
    }
  }
  const o = p.optee.make;
  if (o.CFG_SECURE_DATA_PATH !== 'y') fail('optee.make.CFG_SECURE_DATA_PATH must be "y"');
  if (p.protectedMemory.kind === 'dynamic' && o.CFG_CORE_DYN_PROTMEM !== 'y') fail('a dynamic profile needs CFG_CORE_DYN_PROTMEM=y');
  if (p.protectedMemory.kind === 'static') {
    if (o.CFG_CORE_DYN_PROTMEM === 'y') fail('a static profile needs CFG_CORE_DYN_PROTMEM unset or "n" (OP-TEE then answers OPTEE_SMC_GET_PROTMEM_CONFIG)');
    if (!o.CFG_TEE_SDP_MEM_BASE || !o.CFG_TEE_SDP_MEM_SIZE) fail('a static profile needs CFG_TEE_SDP_MEM_BASE and CFG_TEE_SDP_MEM_SIZE');
  }
}

/** The guest RAM a profile is built for: [ramBase, ramBase + ramMiB MiB). */
export function guestRam(profile: SecureProfile): Region {
  return { base: BigInt(profile.machine.ramBase), size: BigInt(profile.machine.ramMiB) * 1024n * 1024n };
}

/** The static SDP pool (CFG_TEE_SDP_MEM_BASE/SIZE), or undefined for a dynamic profile. */
export function staticSdpRegion(profile: SecureProfile): Region | undefined {
  const { CFG_TEE_SDP_MEM_BASE: base, CFG_TEE_SDP_MEM_SIZE: size } = profile.optee.make;
  if (profile.protectedMemory.kind !== 'static' || !base || !size) return undefined;
  return { base: BigInt(base), size: BigInt(size) };
}

/**
 * Problems with a static pool's placement, empty when it is usable by Linux's
 * static protmem pool: page aligned (4 KiB, the kernel's PAGE_SIZE here),
 * non-empty, inside the guest's RAM.
 */
export function sdpPlacementProblems(profile: SecureProfile): string[] {
  const sdp = staticSdpRegion(profile);
  if (!sdp) return [];
  const ram = guestRam(profile);
  const hex = (v: bigint) => `0x${v.toString(16)}`;
  const problems: string[] = [];
  if (sdp.size <= 0n) problems.push('CFG_TEE_SDP_MEM_SIZE is zero');
  if (sdp.base % 4096n !== 0n || sdp.size % 4096n !== 0n) problems.push(`SDP range ${hex(sdp.base)}+${hex(sdp.size)} is not page aligned`);
  if (sdp.base < ram.base || sdp.base + sdp.size > ram.base + ram.size) {
    problems.push(`SDP range ${hex(sdp.base)}-${hex(sdp.base + sdp.size)} is not inside the guest RAM ${hex(ram.base)}-${hex(ram.base + ram.size)}`);
  }
  return problems;
}

function makeAssignments(vars: Record<string, string>): string[] {
  return Object.entries(vars)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`);
}

/** Debian's python first: OP-TEE's scripts need pyelftools and cryptography. */
function buildEnv(): Record<string, string> {
  return { ...hostCcacheEnv(), LC_ALL: 'C' };
}

async function opteePatches(): Promise<string[]> {
  const dir = opteePatchesDir();
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.patch'))
    .sort()
    .map((f) => join(dir, f));
}

/** A fresh copy of a pristine source tree to build in (sources are read-only by convention). */
async function freshCopy(record: RunRecord, stage: string, from: string, to: string): Promise<void> {
  rmSync(to, { recursive: true, force: true });
  mkdirSync(join(to, '..'), { recursive: true });
  await runStep(record, stage, 'cp', ['-a', '--', from, to]);
}

/** TF-A's BL1, BL2, BL31 for a profile. Cached by the TF-A pin and the profile's TF-A variables only. */
export async function buildTfa(record: RunRecord, profile: SecureProfile): Promise<{ dir: string; bl1: string; bl2: string; bl31: string }> {
  const pin = findPin(loadPins(), 'tfa');
  const src = await fetchPin(pin, record);
  const make = { ...profile.tfa.make };
  for (const forbidden of ['BL32', 'BL32_EXTRA1', 'BL32_EXTRA2', 'BL33']) {
    if (forbidden in make) throw new ProtmError(`profile ${profile.name}: tfa.make.${forbidden} is not used: TF-A loads BL32/BL33 through semihosting at boot`);
  }
  const keyParts = { recipe: RECIPE, pin: pinHash(pin), make, crossCompile: CROSS_COMPILE, targets: ['bl1', 'bl2', 'bl31'] };
  const work = join(cachePaths.trees(), 'secure', 'tfa');
  const artifact = await cachedArtifact(record, 'tfa', keyParts, async (outDir) => {
    const tree = join(work, 'src');
    const buildBase = join(work, 'build');
    await freshCopy(record, 'tfa: copy source', src, tree);
    rmSync(buildBase, { recursive: true, force: true });
    await runStep(
      record,
      'tfa: build bl1 bl2 bl31',
      'make',
      [`CROSS_COMPILE=${CROSS_COMPILE}`, `BUILD_BASE=${buildBase}`, ...makeAssignments(make), 'bl1', 'bl2', 'bl31'],
      { cwd: tree, env: buildEnv(), timeoutSeconds: 1800, jobserver: 'make' },
    );
    const plat = make.PLAT ?? 'qemu';
    const release = join(buildBase, plat, make.DEBUG === '1' ? 'debug' : 'release');
    for (const f of ['bl1.bin', 'bl2.bin', 'bl31.bin']) cpSync(join(release, f), join(outDir, f));
    // ELF files for symbolising crashes.
    for (const f of ['bl1', 'bl2', 'bl31']) cpSync(join(release, f, `${f}.elf`), join(outDir, `${f}.elf`));
  });
  return { dir: artifact.dir, bl1: join(artifact.dir, 'bl1.bin'), bl2: join(artifact.dir, 'bl2.bin'), bl31: join(artifact.dir, 'bl31.bin') };
}

/** OP-TEE OS (v2 images for TF-A) and its TA dev kit for a profile. */
export async function buildOptee(
  record: RunRecord,
  profile: SecureProfile,
): Promise<{ dir: string; header: string; pager: string; pageable: string; taDevKit: string }> {
  const problems = sdpPlacementProblems(profile);
  if (problems.length > 0) throw new ProtmError(`profile ${profile.name}: ${problems.join('; ')}`);
  const pin = findPin(loadPins(), 'optee-os');
  const src = await fetchPin(pin, record);
  const patches = await opteePatches();
  const make = { ...profile.optee.make };
  for (const reserved of ['O', 'CROSS_COMPILE', 'CROSS_COMPILE64', 'CROSS_COMPILE32']) {
    if (reserved in make) throw new ProtmError(`profile ${profile.name}: optee.make.${reserved} is set by the build, not the profile`);
  }
  const keyParts = {
    recipe: RECIPE,
    pin: pinHash(pin),
    patches: patches.length > 0 ? await sha256Files(patches) : 'none',
    patchNames: patches.map((p) => basename(p)),
    make,
    crossCompile: CROSS_COMPILE,
  };
  const work = join(cachePaths.trees(), 'secure', `optee-os-${profile.name}`);
  const artifact = await cachedArtifact(record, `optee-os-${profile.name}`, keyParts, async (outDir) => {
    const tree = join(work, 'src');
    const out = join(work, 'out');
    await freshCopy(record, 'optee-os: copy source', src, tree);
    for (const p of patches) await runStep(record, `optee-os: apply ${basename(p)}`, 'patch', ['-p1', '--forward', '--batch', '-i', p], { cwd: tree });
    rmSync(out, { recursive: true, force: true });
    await runStep(
      record,
      `optee-os: build (${profile.name})`,
      'make',
      [`O=${out}`, `CROSS_COMPILE=${CROSS_COMPILE}`, `CROSS_COMPILE64=${CROSS_COMPILE}`, ...makeAssignments(make), 'all'],
      { cwd: tree, env: buildEnv(), timeoutSeconds: 3600, jobserver: 'make' },
    );
    for (const f of ['tee-header_v2.bin', 'tee-pager_v2.bin', 'tee-pageable_v2.bin', 'tee.elf']) cpSync(join(out, 'core', f), join(outDir, f));
    cpSync(join(out, 'conf.mk'), join(outDir, 'conf.mk'));
    // The dev kit is relocatable (its makefiles find themselves with
    // $(lastword $(MAKEFILE_LIST))), so a copy inside the artifact stays
    // valid after the artifact directory is renamed into place.
    cpSync(join(out, 'export-ta_arm64'), join(outDir, 'export-ta_arm64'), { recursive: true });
    checkConfig(join(out, 'conf.mk'), make, profile.name);
  });
  const dir = artifact.dir;
  return {
    dir,
    header: join(dir, 'tee-header_v2.bin'),
    pager: join(dir, 'tee-pager_v2.bin'),
    pageable: join(dir, 'tee-pageable_v2.bin'),
    taDevKit: join(dir, 'export-ta_arm64'),
  };
}

/** OP-TEE silently ignores or overrides some variables: make sure the ones asked for stuck. */
function checkConfig(confMk: string, asked: Record<string, string>, profileName: string): void {
  const got = new Map<string, string>();
  for (const line of readFileSync(confMk, 'utf8').split('\n')) {
    const m = line.match(/^([A-Za-z0-9_]+)=(.*)$/);
    if (m) got.set(m[1]!, m[2]!);
  }
  const wrong = Object.entries(asked)
    .filter(([k]) => k.startsWith('CFG_'))
    .filter(([k, v]) => (got.get(k) ?? '') !== v && !(v === 'n' && !got.has(k)))
    .map(([k, v]) => `${k}: asked ${v}, OP-TEE built with ${got.get(k) ?? '(unset)'}`);
  if (wrong.length > 0) throw new ProtmError(`profile ${profileName}: OP-TEE did not take the profile's configuration:\n  ${wrong.join('\n  ')}`);
}

/** TF-A and OP-TEE for `profileName`, gathered under the file names TF-A loads by semihosting. */
export async function buildSecureWorld(record: RunRecord, profileName: string): Promise<SecureWorld> {
  const profile = loadSecureProfile(profileName);
  const tfa = await buildTfa(record, profile);
  const optee = await buildOptee(record, profile);
  const sources = {
    'bl1.bin': tfa.bl1,
    'bl2.bin': tfa.bl2,
    'bl31.bin': tfa.bl31,
    'bl32.bin': optee.header,
    'bl32_extra1.bin': optee.pager,
    'bl32_extra2.bin': optee.pageable,
  };
  // Both inputs are content-keyed artifacts: their directories name their keys.
  const keyParts = { recipe: RECIPE, profile: profileName, inputs: sha256(JSON.stringify([tfa.dir, optee.dir])) };
  const artifact = await cachedArtifact(record, `secure-world-${profileName}`, keyParts, async (outDir) => {
    for (const [name, from] of Object.entries(sources)) cpSync(from, join(outDir, name));
    cpSync(join(optee.dir, 'tee.elf'), join(outDir, 'tee.elf'));
    for (const f of ['bl1', 'bl2', 'bl31']) cpSync(join(tfa.dir, `${f}.elf`), join(outDir, `${f}.elf`));
  });
  const dir = artifact.dir;
  const world: SecureWorld = {
    dir,
    profile,
    files: {
      bl1: join(dir, 'bl1.bin'),
      bl2: join(dir, 'bl2.bin'),
      bl31: join(dir, 'bl31.bin'),
      bl32: join(dir, 'bl32.bin'),
      bl32Extra1: join(dir, 'bl32_extra1.bin'),
      bl32Extra2: join(dir, 'bl32_extra2.bin'),
    },
    taDevKit: optee.taDevKit,
  };
  const sdp = staticSdpRegion(profile);
  record.set(`secure-world:${profileName}`, {
    dir,
    tfa: tfa.dir,
    optee: optee.dir,
    taDevKit: world.taDevKit,
    protectedMemory: profile.protectedMemory.kind,
    ...(sdp ? { sdpBase: `0x${sdp.base.toString(16)}`, sdpSize: `0x${sdp.size.toString(16)}` } : {}),
  });
  return world;
}
