import { Command } from 'commander';
import { buildKernel } from '../build/kernel.js';
import { leaf } from '../lib/command.js';
import { ensureHost } from '../host/setup.js';

export function buildCommand(): Command {
  const cmd = new Command('build').description('build components of the chain (cached by content)');

  leaf(
    cmd.command('kernel').description('cross-build the arm64 Image from allnoconfig + images/kernel fragments').option('--debug', 'add the debug fragment (KASAN, kmemleak, lockdep)'),
    'build kernel',
    async ({ record }, opts: { debug?: boolean }) => {
      await ensureHost(record);
      const k = await buildKernel(record, { debug: opts.debug });
      return { text: `Image: ${k.image}\nconfig: ${k.config}`, summary: { image: k.image, config: k.config, imageSha256: k.imageSha256, configHash: k.configHash } };
    },
  );
  return cmd;
}
