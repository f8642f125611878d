// The initramfs protm's KUnit kernel boots with: test/kunit/init.c, which
// loads the modules the build made (Panthor and its KUnit tests; KUnit runs a
// module's suites as it loads) and powers off.
//
// The init is a static arm64 program, compiled as the target checks are and
// kept as a content-keyed artifact. The archive is written by the kernel's own
// usr/gen_init_cpio from the KUnit build directory, which makes the console
// device node without root.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { cachedArtifact } from '../lib/artifact.js';
import { ProtmError } from '../lib/errors.js';
import { sha256 } from '../lib/hash.js';
import { repoRoot } from '../lib/paths.js';
import { runStep } from '../lib/process.js';
import type { RunRecord } from '../lib/run-record.js';
import { CC, CFLAGS, compilerVersion } from './target-checks.js';

const RECIPE = 1;
const INIT_SOURCE = join(repoRoot, 'test', 'kunit', 'init.c');

/** Every line test/kunit/init.c prints starts with this. */
export const INIT_TAG = 'protm-kunit-init: ';

async function kunitInit(record: RunRecord): Promise<string> {
  const source = readFileSync(INIT_SOURCE);
  const keyParts = { recipe: RECIPE, source: sha256(source), compiler: await compilerVersion(), cflags: CFLAGS };
  const artifact = await cachedArtifact(record, 'kunit-init', keyParts, async (outDir) => {
    await runStep(record, 'KUnit init (test/kunit/init.c)', CC, [...CFLAGS, '-o', join(outDir, 'init'), INIT_SOURCE]);
  });
  return join(artifact.dir, 'init');
}

/** The modules of a build directory, from Kbuild's modules.order (the build's own list). */
export function builtModules(buildDir: string): string[] {
  const order = join(buildDir, 'modules.order');
  if (!existsSync(order)) throw new ProtmError(`the KUnit build left no ${order}: is CONFIG_MODULES on in its .config?`);
  const modules = readFileSync(order, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => join(buildDir, l.trim().replace(/\.o$/, '.ko')));
  const missing = modules.filter((m) => !existsSync(m));
  if (missing.length > 0) throw new ProtmError(`modules.order names modules the build did not make: ${missing.join(', ')}`);
  return modules;
}

/**
 * gen_init_cpio's list: the console, the kernel log, /init and the modules as
 * /modules/<NN>-<name>.ko, numbered in the build's order (the init loads them
 * in the order of their names).
 */
export function initramfsList(init: string, modules: string[]): string {
  const lines = [
    'dir /dev 0755 0 0',
    'nod /dev/console 0600 0 0 c 5 1',
    'nod /dev/kmsg 0644 0 0 c 1 11',
    `file /init ${init} 0755 0 0`,
    'dir /modules 0755 0 0',
  ];
  modules.forEach((m, i) => {
    lines.push(`file /modules/${String(i).padStart(2, '0')}-${basename(m)} ${m} 0644 0 0`);
  });
  return `${lines.join('\n')}\n`;
}

/** Writes <buildDir>/kunit.cpio from the build's modules and returns its path. */
export async function kunitInitramfs(record: RunRecord, buildDir: string): Promise<{ cpio: string; modules: string[] }> {
  const modules = builtModules(buildDir);
  if (modules.length === 0) throw new ProtmError('the KUnit build made no module: the KUnit configuration must build Panthor and its tests as modules');
  const list = join(buildDir, 'kunit-initramfs.list');
  writeFileSync(list, initramfsList(await kunitInit(record), modules));
  const cpio = join(buildDir, 'kunit.cpio');
  await runStep(record, 'KUnit initramfs', join(buildDir, 'usr', 'gen_init_cpio'), ['-o', cpio, list]);
  return { cpio, modules };
}
