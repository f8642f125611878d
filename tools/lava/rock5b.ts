// The Radxa ROCK 5B (RK3588, Mali-G610) board profile: the QEMU target's
// kernel Image itself (the series; images/kernel/rock-5b.config is in every
// kernel's configuration) with the board's upstream device tree, built in
// the same build directory, and the same initramfs as the QEMU target
// (checks, OP-TEE client, Arm's CSF firmware), booted by the board's own
// U-Boot over TFTP as a LAVA farm does it. The board must already carry
// TF-A's BL31 and OP-TEE with protected-memory support (see README).
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildKernel, kernelMakeArgs, withKernelTree } from '../build/kernel.js';
import { buildRootfs } from '../build/rootfs.js';
import { buildSecureWorld } from '../build/secure-world.js';
import { buildTargetChecks } from '../build/target-checks.js';
import { ensureHost } from '../host/setup.js';
import { ProtmError } from '../lib/errors.js';
import { runStep } from '../lib/process.js';
import type { RunRecord } from '../lib/run-record.js';
import { type JobDefinition, type JobFile, suiteChecks, suiteMonitors } from './job.js';

export const ROCK5B_DTB = 'rockchip/rk3588-rock-5b.dtb';

export interface Rock5bKernel {
  /** This run's copies: the build directory is shared with every other run. */
  image: string;
  dtb: string;
  configHash: string;
}

/** The target's kernel Image (initramfs built in) and the board's DTB, copied into the run record. */
export async function buildRock5bKernel(record: RunRecord): Promise<Rock5bKernel> {
  await ensureHost(record);
  // The initramfs is the QEMU target's: its checks need the TA dev kit of an OP-TEE build.
  const secure = await buildSecureWorld(record, 'dynamic');
  const checks = await buildTargetChecks(record, { taDevKit: secure.taDevKit });
  return withKernelTree(async () => {
    await buildRootfs(record, checks);
    const kernel = await buildKernel(record);
    const { args, env } = kernelMakeArgs(kernel.src, kernel.out);
    await runStep(record, `rock-5b ${ROCK5B_DTB}`, 'make', [...args, ROCK5B_DTB], { env, jobserver: 'make' });
    const built = join(kernel.out, 'arch/arm64/boot/dts', ROCK5B_DTB);
    if (!existsSync(built)) throw new ProtmError(`make finished but ${built} is missing`);
    const dir = join(record.dir, 'boot');
    mkdirSync(dir, { recursive: true });
    const image = join(dir, 'Image');
    const dtb = join(dir, 'rk3588-rock-5b.dtb');
    copyFileSync(kernel.image, image);
    copyFileSync(built, dtb);
    record.set('rock-5b kernel', { image, dtb, configHash: kernel.configHash, imageSha256: kernel.imageSha256 });
    return { image, dtb, configHash: kernel.configHash };
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
