// The Radxa ROCK 5B (RK3588, Mali-G610) board profile: our kernel (the
// series) with the board's upstream device tree, the same initramfs as the
// QEMU target (checks, OP-TEE client, Arm's CSF firmware), booted by the
// board's own U-Boot over TFTP as a LAVA farm does it. The board must already
// carry TF-A's BL31 and OP-TEE with protected-memory support (see README).
//
// The kernel is built in its own directory beside the QEMU target's, from
// the same work tree, under the same tree lock.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { readFragment } from '../build/kconfig.js';
import { configureKernel, kernelFragments, kernelMakeArgs, withKernelTree } from '../build/kernel.js';
import { buildRootfs } from '../build/rootfs.js';
import { buildSecureWorld } from '../build/secure-world.js';
import { buildTargetChecks } from '../build/target-checks.js';
import { ensureHost } from '../host/setup.js';
import { ProtmError } from '../lib/errors.js';
import { repoRoot } from '../lib/paths.js';
import { runStep } from '../lib/process.js';
import type { RunRecord } from '../lib/run-record.js';
import { treeDir } from '../patches/components.js';
import { buildTreeName, currentWorkTree } from '../patches/worktree.js';
import { type JobDefinition, type JobFile, suiteChecks, suiteMonitors } from './job.js';

export const ROCK5B_DTB = 'rockchip/rk3588-rock-5b.dtb';
const FRAGMENT = () => join(repoRoot, 'images', 'lava', 'rock-5b', 'kernel.config');

export interface Rock5bKernel {
  out: string;
  dtb: string;
  image?: string;
  configHash: string;
}

/** Configure the board's kernel and build its DTB, and with `image` its Image (initramfs built in). */
export async function buildRock5bKernel(record: RunRecord, opts: { image: boolean }): Promise<Rock5bKernel> {
  await ensureHost(record);
  // The initramfs is the QEMU target's: its checks need the TA dev kit of an OP-TEE build.
  const secure = await buildSecureWorld(record, 'dynamic');
  const checks = await buildTargetChecks(record, { taDevKit: secure.taDevKit });
  return withKernelTree(async () => {
    await buildRootfs(record, checks);
    const wt = await currentWorkTree('kernel', record);
    const out = join(treeDir(buildTreeName('kernel')), 'src', '.protm-out-rock5b');
    mkdirSync(out, { recursive: true });
    const common = kernelFragments({}, out);
    const fragments = [...common.slice(0, -1), readFragment(FRAGMENT()), ...common.slice(-1)];
    const configHash = await configureKernel(record, wt.src, out, fragments);
    const { args, env } = kernelMakeArgs(wt.src, out);
    const targets = [ROCK5B_DTB, ...(opts.image ? ['Image'] : [])];
    await runStep(record, `rock-5b kernel ${targets.join(' ')}`, 'make', [...args, ...targets], { env });
    const dtb = join(out, 'arch/arm64/boot/dts', ROCK5B_DTB);
    if (!existsSync(dtb)) throw new ProtmError(`make finished but ${dtb} is missing`);
    const image = opts.image ? join(out, 'arch/arm64/boot/Image') : undefined;
    record.set('rock-5b kernel', { out, dtb, image, configHash });
    return { out, dtb, image, configHash };
  });
}

export interface Rock5bJobSpec {
  suite: string;
  kernel: JobFile;
  dtb: JobFile;
  extraMetadata?: Record<string, string>;
}

/**
 * The job for LAVA's stock rk3588-rock-5b device type: kernel and DTB over
 * TFTP, U-Boot's booti (the initramfs is inside the Image, so no ramdisk),
 * the suite named on the kernel command line (the board has no fw_cfg), and
 * the same monitors as the QEMU job.
 */
export function rock5bJob(spec: Rock5bJobSpec): JobDefinition {
  const { checks, checkTimeout } = suiteChecks(spec.suite);
  const testMinutes = Math.ceil((checks.length * (checkTimeout ?? 300) + 120) / 60);
  return {
    device_type: 'rk3588-rock-5b',
    job_name: `protm ${spec.suite} on rock-5b`,
    priority: 'medium',
    visibility: 'public',
    timeouts: { job: { minutes: testMinutes + 20 }, action: { minutes: 10 }, connection: { minutes: 2 } },
    metadata: {
      'protm.suite': spec.suite,
      'protm.device': 'rock-5b',
      'protm.sha256.kernel': spec.kernel.sha256,
      'protm.sha256.dtb': spec.dtb.sha256,
      ...spec.extraMetadata,
    },
    // A board always has its GPU: checks that find none fail rather than skip.
    context: { extra_kernel_args: `protm_suite=${spec.suite} protm_expect_gpu=1` },
    actions: [
      {
        deploy: {
          to: 'tftp',
          timeout: { minutes: 5 },
          kernel: { url: spec.kernel.url, sha256sum: spec.kernel.sha256, type: 'image' },
          dtb: { url: spec.dtb.url, sha256sum: spec.dtb.sha256 },
        },
      },
      { boot: { method: 'u-boot', commands: 'ramdisk', timeout: { minutes: 5 } } },
      { test: { timeout: { minutes: testMinutes }, monitors: suiteMonitors(spec.suite) } },
    ],
  };
}
