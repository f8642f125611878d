import { existsSync } from 'node:fs';
import { Command, Option } from 'commander';
import { buildRootNames, ensureBuildRoot } from '../host/buildroot.js';
import { HOST_PACKAGES } from '../host/requirements.js';
import { ensureHost, missingPackages } from '../host/setup.js';
import { cacheDir } from '../lib/paths.js';
import { leaf } from './leaf.js';

export function setupCommand(): Command {
  return leaf(
    new Command('setup')
      .description('install the host packages the chain needs (idempotent)')
      .addOption(new Option('--buildroot <name...>', 'also create these build roots (mmdebstrap chroots)').choices(buildRootNames())),
    'setup',
    async ({ record }, opts: { buildroot?: string[] }) => {
      const before = await missingPackages();
      await ensureHost(record);
      const roots: Record<string, string> = {};
      for (const name of opts.buildroot ?? []) roots[name] = await ensureBuildRoot(record, name);
      const lines = [
        before.length === 0 ? 'host is ready: nothing to install' : `installed: ${before.join(' ')}`,
        ...Object.entries(roots).map(([n, d]) => `build root ${n}: ${d}`),
      ];
      return { text: lines.join('\n'), summary: { installed: before, buildRoots: roots } };
    },
  );
}

export function doctorCommand(): Command {
  return leaf(new Command('doctor').description('report what the host lacks, changing nothing'), 'doctor', async () => {
    const missing = new Set(await missingPackages());
    const kvm = existsSync('/dev/kvm');
    const lines = HOST_PACKAGES.map((p) => `${missing.has(p.name) ? 'MISSING' : 'ok     '} ${p.name.padEnd(24)} ${p.why}`);
    lines.push(`info    cache: ${cacheDir()}`, `info    /dev/kvm: ${kvm ? 'present' : 'absent (QEMU runs under TCG)'}`);
    if (missing.size > 0) lines.push(`\n${missing.size} missing: run \`npx protm setup\``);
    return { text: lines.join('\n'), summary: { missing: [...missing], kvm, cache: cacheDir() }, exitCode: missing.size > 0 ? 1 : 0 };
  });
}
