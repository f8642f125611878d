import { Command, Option } from 'commander';
import { buildKernel } from '../build/kernel.js';
import { buildMesa } from '../build/mesa.js';
import { buildQemu } from '../build/qemu.js';
import { buildRootfs } from '../build/rootfs.js';
import { buildOptee, buildSecureWorld, buildTfa, loadSecureProfile, secureProfileNames } from '../build/secure-world.js';
import { buildTargetChecks } from '../build/target-checks.js';
import { ensureHost } from '../host/setup.js';
import { leaf } from './leaf.js';

export function buildCommand(): Command {
  const cmd = new Command('build').description('build components of the chain (cached by content)');

  leaf(
    cmd
      .command('kernel')
      .description('cross-build the arm64 Image from allnoconfig + images/kernel fragments')
      .option('--debug', 'add the debug fragment (KASAN, kmemleak, lockdep)'),
    'build kernel',
    async ({ record }, opts: { debug?: boolean }) => {
      await ensureHost(record);
      const k = await buildKernel(record, { debug: opts.debug });
      return {
        text: `Image: ${k.image}\nconfig: ${k.config}`,
        summary: { image: k.image, config: k.config, imageSha256: k.imageSha256, configHash: k.configHash },
      };
    },
  );
  const profile = () => new Option('--profile <name>', 'secure-world profile (images/secure)').choices(secureProfileNames()).default('dynamic');

  leaf(
    cmd.command('tfa').description('build TF-A (BL1, BL2, BL31) for QEMU virt').addOption(profile()),
    'build tfa',
    async ({ record }, opts: { profile: string }) => {
      await ensureHost(record);
      const tfa = await buildTfa(record, loadSecureProfile(opts.profile));
      return { text: `TF-A: ${tfa.dir}`, summary: { ...tfa } };
    },
  );

  leaf(
    cmd.command('optee').description('build OP-TEE OS (BL32) and its TA dev kit').addOption(profile()),
    'build optee',
    async ({ record }, opts: { profile: string }) => {
      await ensureHost(record);
      const optee = await buildOptee(record, loadSecureProfile(opts.profile));
      return { text: `OP-TEE: ${JSON.stringify(optee, null, 2)}`, summary: { optee } };
    },
  );

  leaf(
    cmd.command('rootfs').description('build the target initramfs (busybox, OP-TEE client, xtest, our checks)').addOption(profile()),
    'build rootfs',
    async ({ record }, opts: { profile: string }) => {
      await ensureHost(record);
      const secure = await buildSecureWorld(record, opts.profile);
      const checks = await buildTargetChecks(record, { taDevKit: secure.taDevKit });
      const rootfs = await buildRootfs(record, checks);
      return {
        text: `rootfs: ${rootfs.dir}
initramfs list: ${rootfs.list}`,
        summary: { ...rootfs },
      };
    },
  );
  leaf(
    cmd.command('qemu').description('build qemu-system-aarch64 with qemu-patches (Mali CSF model) in the sid build root'),
    'build qemu',
    async ({ record }) => {
      await ensureHost(record);
      const q = await buildQemu(record);
      return { text: `qemu: ${q.binary}`, summary: { ...q } };
    },
  );
  leaf(
    cmd
      .command('mesa')
      .description("build Mesa (panfrost, panvk, drm-shim) for the target with mesa-patches in the trixie build root, against our kernel series' Panthor uAPI"),
    'build mesa',
    async ({ record }) => {
      await ensureHost(record);
      const m = await buildMesa(record);
      return { text: `mesa: ${m.root}\nICD: ${m.icd}\ndrm-shim: ${m.drmShim}`, summary: { ...m } };
    },
  );
  return cmd;
}
