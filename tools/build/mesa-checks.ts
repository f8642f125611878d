// The check programs that drive Mesa (test/target/mesa/, C, KTAP v1 on
// stdout), built for arm64 inside the trixie build root against our Mesa
// build: they run in the guest, and on this machine on Mesa's drm-shim under
// QEMU's user-mode emulator (the host checks). Unlike the static checks of
// target-checks.ts they link dynamically: the Vulkan loader finds panvk
// through its ICD manifest, and EGL loads the Gallium driver at run time.
//
// Every test/target/mesa/<name>_check.c is one program, linked with
// test/target/mesa/lib/*.c (if any; no Vulkan calls there, so the EGL
// program needs no Vulkan loader), the Vulkan programs (vk_*) also with
// test/target/mesa/lib/vulkan/*.c, and the parts of test/target/lib/ that
// need no Panthor uAPI (KTAP, SHA-256, dma-heaps, the TEE client and our
// TA's client), named protm-<name> (underscores become dashes). The TEE
// client needs TEE_IOC_SHM_REGISTER_FD, which trixie's linux/tee.h (6.12)
// predates: the programs get linux/tee.h from our kernel's headers_install.
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ensureBuildRoot, inBuildRoot } from '../host/buildroot.js';
import { cachedArtifact } from '../lib/artifact.js';
import { ProtmError } from '../lib/errors.js';
import { sha256, sha256Dir } from '../lib/hash.js';
import { repoRoot } from '../lib/paths.js';
import { runStep } from '../lib/process.js';
import type { RunRecord } from '../lib/run-record.js';
import { shellQuote } from '../lib/shell.js';
import { MESA_BUILD_ROOT, type MesaBuild, TRIPLET } from './mesa.js';
import { panthorUapiHeader } from './panthor-uapi.js';

const RECIPE = 1;
const SOURCES = join(repoRoot, 'test/target/mesa');
const KTAP = join(repoRoot, 'test/target/lib');
/** The files of test/target/lib/ the programs link (the rest needs the Panthor uAPI). */
const TARGET_LIB = ['ktap.c', 'sha256.c', 'sys.c', 'tee_client.c', 'verify_ta.c'];
/** Our TA's interface (UUID, commands, pattern), shared with its client. */
const TA_INCLUDE = join(repoRoot, 'test/ta/protm_verify/include');

const CC = 'aarch64-linux-gnu-gcc';
const CFLAGS = ['-O2', '-g', '-std=gnu11', '-Wall', '-Wextra', '-Werror'];
const LIBS = ['-Wl,--as-needed', '-lvulkan', '-lEGL', '-lGLESv2', '-lgbm', '-ldrm', '-lm'];

export interface MesaChecks {
  dir: string;
  binaries: string[];
}

/** The Vulkan programs (vk_*_check.c) also link mesa/lib/vulkan/, whose helpers call Vulkan. */
const isVulkanProgram = (name: string): boolean => name.startsWith('vk_');

function programNames(): string[] {
  if (!existsSync(SOURCES)) return [];
  return readdirSync(SOURCES)
    .filter((f) => f.endsWith('_check.c'))
    .map((f) => f.replace(/_check\.c$/, ''))
    .sort();
}

export async function buildMesaChecks(record: RunRecord, mesa: MesaBuild): Promise<MesaChecks> {
  const names = programNames();
  if (names.length === 0) throw new ProtmError(`no Mesa check programs in ${SOURCES} (<name>_check.c)`);
  const root = await ensureBuildRoot(record, MESA_BUILD_ROOT);
  const teeHeader = join(dirname(dirname((await panthorUapiHeader(record)).path)), 'linux/tee.h');
  if (!existsSync(teeHeader)) throw new ProtmError(`the kernel's headers_install has no ${teeHeader}`);
  const key = {
    sources: sha256Dir(SOURCES),
    ktap: sha256Dir(KTAP),
    taInclude: sha256Dir(TA_INCLUDE),
    tee: sha256(readFileSync(teeHeader)),
    mesa: mesa.key,
    cflags: CFLAGS,
    libs: LIBS,
    recipe: RECIPE,
  };
  const artifact = await cachedArtifact(record, 'mesa-checks-arm64', key, async (dir) => {
    // The build root sees the cache (bind-mounted), not the checkout: copy the sources in.
    const src = join(dir, 'src');
    cpSync(SOURCES, join(src, 'mesa'), { recursive: true });
    cpSync(KTAP, join(src, 'lib'), { recursive: true });
    cpSync(TA_INCLUDE, join(src, 'ta'), { recursive: true });
    mkdirSync(join(src, 'uapi/linux'), { recursive: true });
    cpSync(teeHeader, join(src, 'uapi/linux/tee.h'));
    mkdirSync(join(dir, 'bin'));
    const libDir = join(mesa.root, 'usr/lib', TRIPLET.arm64);
    const cFiles = (sub: string) =>
      existsSync(join(src, sub))
        ? readdirSync(join(src, sub))
            .filter((f) => f.endsWith('.c'))
            .sort()
            .map((f) => join(src, sub, f))
        : [];
    const shared = [...cFiles('mesa/lib'), ...TARGET_LIB.map((f) => join(src, 'lib', f))];
    const vulkanOnly = cFiles('mesa/lib/vulkan');
    const commands = names.map((name) =>
      [
        CC,
        ...CFLAGS,
        `-I${join(mesa.root, 'usr/include')}`,
        `-I${join(src, 'uapi')}`,
        `-I${join(src, 'lib')}`,
        `-I${join(src, 'ta')}`,
        `-I${join(src, 'mesa')}`,
        '-o',
        join(dir, 'bin', `protm-${name.replace(/_/g, '-')}`),
        join(src, 'mesa', `${name}_check.c`),
        ...shared,
        ...(isVulkanProgram(name) ? vulkanOnly : []),
        `-L${libDir}`,
        `-Wl,-rpath-link,${libDir}`,
        ...LIBS,
      ]
        .map(shellQuote)
        .join(' '),
    );
    const s = inBuildRoot(root, [dir, mesa.dir], commands.join(' && '));
    await runStep(record, `mesa checks: ${names.join(', ')}`, s.file, s.args, { env: s.env });
  });
  return { dir: artifact.dir, binaries: names.map((n) => join(artifact.dir, 'bin', `protm-${n.replace(/_/g, '-')}`)) };
}
