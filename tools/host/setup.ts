// Host set-up: install missing Debian packages through the host's apt
// (idempotent: nothing happens when everything is there). `doctor` only looks.
import { execa } from 'execa';
import { requireFreeSpace } from '../lib/disk.js';
import { ProtmError } from '../lib/errors.js';
import { runStep } from '../lib/process.js';
import type { RunRecord } from '../lib/run-record.js';
import { HOST_PACKAGES } from './requirements.js';

export async function missingPackages(): Promise<string[]> {
  const names = HOST_PACKAGES.map((p) => p.name);
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format syntax
  const r = await execa('dpkg-query', ['-W', '-f=${Package} ${db:Status-Abbrev}\\n', ...names], { reject: false });
  const installed = new Set(
    String(r.stdout)
      .split('\n')
      .filter((l) => /\sii\s*$/.test(l))
      .map((l) => l.split(' ')[0]),
  );
  return names.filter((n) => !installed.has(n));
}

export async function installPackages(record: RunRecord, names: string[]): Promise<void> {
  if (names.length === 0) return;
  const asRoot = process.getuid?.() === 0;
  const prefix = asRoot ? [] : ['sudo', '-n'];
  if (!asRoot && (await execa('sudo', ['-n', 'true'], { reject: false })).exitCode !== 0) {
    throw new ProtmError(`missing host packages: ${names.join(' ')}`, 'run `protm setup` as root, or install them with apt-get');
  }
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  const run = (args: string[]) =>
    prefix.length
      ? runStep(record, `host packages: ${args[0]}`, prefix[0]!, [...prefix.slice(1), 'apt-get', ...args], { env })
      : runStep(record, `host packages: ${args[0]}`, 'apt-get', args, { env });
  await run(['update', '-q']);
  await run(['install', '-y', '-q', '--no-install-recommends', ...names]);
}

/** Called by commands that build: installs what is missing, or explains. */
export async function ensureHost(record: RunRecord): Promise<void> {
  requireFreeSpace();
  const missing = await missingPackages();
  if (missing.length === 0) return;
  record.log(`installing missing host packages: ${missing.join(' ')}`);
  await installPackages(record, missing);
  const still = await missingPackages();
  if (still.length > 0) throw new ProtmError(`host packages still missing after install: ${still.join(' ')}`);
}
