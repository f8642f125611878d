// Target check programs (test/target/, C, KTAP v1 on stdout) and the TA they
// drive (test/ta/protm_verify/), cross-built for the arm64 guest.
//
// The programs are linked statically against the cross toolchain's glibc and
// talk to the TEE through the kernel's uapi ioctls (test/target/lib/
// tee_client.c) instead of libteec: the optee-client pin has only the shared
// libteec (no headers, no static library), and libteec's API has no call for
// registering a dma-buf (TEE_IOC_SHM_REGISTER_FD), which is what the checks
// are about. A static binary needs nothing in the initramfs but itself.
//
// The uapi headers come from the pinned Linux tree (`make headers_install`):
// the cross toolchain's own linux/tee.h (bookworm, 6.1) predates
// TEE_IOC_SHM_REGISTER_FD and the protected heaps.
//
// Every top-level test/target/<name>_check.c is one program, linked with
// test/target/lib/*.c and named protm-<name> (underscores become dashes).
// The TA is signed by the dev kit with OP-TEE's default development key and
// must be installed where tee-supplicant looks (TA_INSTALL_DIR), with
// tee-supplicant running, before the checks start.
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { cachedArtifact } from '../lib/artifact.js';
import { ProtmError } from '../lib/errors.js';
import { sha256, sha256Dir } from '../lib/hash.js';
import { cachePaths, repoRoot } from '../lib/paths.js';
import { capture, runStep } from '../lib/process.js';
import type { RunRecord } from '../lib/run-record.js';
import { fetchPin, pinHash } from '../sources/fetch.js';
import { findPin, loadPins } from '../sources/pins.js';
import { type SecureProfile, staticSdpRegion } from './secure-world.js';

const RECIPE = 1;
const CROSS_COMPILE = 'aarch64-linux-gnu-';
/** How our static arm64 programs are compiled (the checks here, KUnit's init). */
export const CC = `${CROSS_COMPILE}gcc`;
export const CFLAGS = ['-static', '-O2', '-g', '-std=gnu11', '-Wall', '-Wextra', '-Werror'];

/** The cross compiler's version line, for the cache keys of what it builds. */
export async function compilerVersion(): Promise<string> {
  return (await capture(CC, ['--version'])).split('\n')[0]!;
}

/** Where tee-supplicant (Debian's build) loads TAs from on the target. */
export const TA_INSTALL_DIR = '/lib/optee_armtz';
/** The protm_verify TA, as in test/ta/protm_verify/include/protm_verify_ta.h. */
export const PROTM_VERIFY_TA_UUID = '57e84af4-66e2-4b86-b758-2f3876b7da4b';

export const targetChecksPaths = {
  programs: () => join(repoRoot, 'test', 'target'),
  ta: () => join(repoRoot, 'test', 'ta', 'protm_verify'),
};

export interface TargetChecks {
  dir: string;
  /** Static arm64 programs printing KTAP v1 (e.g. bin/protm-tee-heap). */
  binaries: string[];
  /** Signed TAs (<uuid>.ta) to install into TA_INSTALL_DIR. */
  tas: string[];
}

/** The C sources the check programs are built from: test/target/*.{c,h} and test/target/lib/. */
export const isCheckSource = (relPath: string): boolean => /^[^/]+\.[ch]$/.test(relPath) || /^lib\/.+\.[ch]$/.test(relPath);

/** Program names for test/target/<name>_check.c. */
export function checkPrograms(dir = targetChecksPaths.programs()): { source: string; name: string }[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('_check.c'))
    .sort()
    .map((f) => ({ source: join(dir, f), name: `protm-${f.slice(0, -'_check.c'.length).replace(/_/g, '-')}` }));
}

/** The pinned kernel's uapi headers (headers_install), cached by the Linux pin. */
export async function linuxUapiHeaders(record: RunRecord): Promise<string> {
  const pin = findPin(loadPins(), 'linux');
  const src = await fetchPin(pin, record);
  const artifact = await cachedArtifact(record, 'linux-uapi-arm64', { recipe: RECIPE, pin: pinHash(pin), arch: 'arm64' }, async (outDir) => {
    const work = join(cachePaths.trees(), 'linux-uapi-arm64');
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
    // O= keeps the pristine tree untouched; headers_install needs no .config.
    // Some thousand small sed/unifdef runs: a first run waits for them.
    await runStep(record, 'linux: headers_install (arm64)', 'make', ['-C', src, `O=${work}`, 'ARCH=arm64', `INSTALL_HDR_PATH=${outDir}`, 'headers_install'], {
      env: { LC_ALL: 'C' },
      timeoutSeconds: 600,
      jobserver: 'make',
    });
    rmSync(work, { recursive: true, force: true });
  });
  return join(artifact.dir, 'include');
}

/** Build the TA with `taDevKit` and the check programs; content-keyed. */
export async function buildTargetChecks(record: RunRecord, opts: { taDevKit: string }): Promise<TargetChecks> {
  const taDevKit = opts.taDevKit;
  try {
    if (!statSync(join(taDevKit, 'mk', 'ta_dev_kit.mk')).isFile()) throw new Error();
  } catch {
    throw new ProtmError(`${taDevKit} is not an OP-TEE TA dev kit (no mk/ta_dev_kit.mk)`, 'pass the taDevKit returned by buildSecureWorld()');
  }
  const uapi = await linuxUapiHeaders(record);
  const programsDir = targetChecksPaths.programs();
  const taDir = targetChecksPaths.ta();
  const programs = checkPrograms(programsDir);
  if (programs.length === 0) throw new ProtmError(`no *_check.c programs in ${programsDir}`);
  const compiler = await compilerVersion();
  const keyParts = {
    recipe: RECIPE,
    programs: sha256Dir(programsDir, isCheckSource),
    ta: sha256Dir(taDir),
    // The dev kit sits in a content-keyed OP-TEE artifact: its path names its content.
    taDevKit,
    devKitConf: sha256(readFileSync(join(taDevKit, 'mk', 'conf.mk'))),
    uapi,
    compiler,
    cflags: CFLAGS,
  };
  const artifact = await cachedArtifact(record, 'target-checks', keyParts, async (outDir) => {
    const work = join(cachePaths.trees(), 'target-checks');
    rmSync(work, { recursive: true, force: true });
    mkdirSync(join(outDir, 'bin'), { recursive: true });
    mkdirSync(join(outDir, 'ta'), { recursive: true });

    // The TA: the dev kit's makefiles, objects outside the checkout (O=).
    const taOut = join(work, 'ta');
    await runStep(
      record,
      'target: build protm_verify TA',
      'make',
      ['-C', taDir, `TA_DEV_KIT_DIR=${taDevKit}`, `CROSS_COMPILE=${CROSS_COMPILE}`, `O=${taOut}`],
      { env: { PATH: `/usr/bin:${process.env.PATH ?? ''}`, LC_ALL: 'C' }, timeoutSeconds: 600 },
    );
    cpSync(join(taOut, `${PROTM_VERIFY_TA_UUID}.ta`), join(outDir, 'ta', `${PROTM_VERIFY_TA_UUID}.ta`));

    const lib = readdirSync(join(programsDir, 'lib'))
      .filter((f) => f.endsWith('.c'))
      .sort()
      .map((f) => join(programsDir, 'lib', f));
    for (const p of programs) {
      await runStep(
        record,
        `target: build ${p.name}`,
        CC,
        [...CFLAGS, `-I${uapi}`, `-I${join(taDir, 'include')}`, `-I${programsDir}`, '-o', join(outDir, 'bin', p.name), p.source, ...lib],
        { env: { LC_ALL: 'C' }, timeoutSeconds: 300 },
      );
    }
    rmSync(work, { recursive: true, force: true });
  });
  const result: TargetChecks = {
    dir: artifact.dir,
    binaries: programs.map((p) => join(artifact.dir, 'bin', p.name)),
    tas: [join(artifact.dir, 'ta', `${PROTM_VERIFY_TA_UUID}.ta`)],
  };
  record.set('target-checks', result);
  return result;
}

/**
 * Arguments for protm-tee-heap under a secure-world profile: the heap to
 * check and, for a static pool, its range (checked against the DT and the
 * pool's size).
 */
export function teeHeapCheckArgs(profile: SecureProfile): string[] {
  const args = ['--heap', profile.protectedMemory.heaps[0] ?? 'protected,secure-video'];
  const sdp = staticSdpRegion(profile);
  if (sdp) args.push('--sdp-base', `0x${sdp.base.toString(16)}`, '--sdp-size', `0x${sdp.size.toString(16)}`);
  return args;
}
