// `protm patches check`: apply the series patch by patch in a separate work
// tree (the developer's tree is left alone), and after each patch run the
// style checker and a build, so a series that is not bisectable is caught.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { ProtmError } from '../lib/errors.js';
import { progress } from '../lib/progress.js';
import type { RunRecord } from '../lib/run-record.js';
import { buildKernelAt, kernelMakeArgs, kernelOutDir } from '../build/kernel.js';
import { type Component, patchDir, treeDir } from './components.js';
import { git } from './git.js';
import { readSeries } from './series.js';
import { applyPatch, BASE_TAG, ensureBase } from './worktree.js';

export interface PatchVerdict {
  patch: string;
  applies: boolean;
  style: 'clean' | 'issues' | 'n/a';
  styleDetail?: string;
  builds: boolean | null;
  w1Warnings: number | null;
  detail?: string;
}

/** The bisect-check tree: a git worktree sharing the main tree's objects. */
async function checkTree(component: Component, record: RunRecord): Promise<string> {
  const main = await ensureBase(component, record);
  const src = join(treeDir(`${component}-check`), 'src');
  if (!existsSync(join(src, '.git'))) {
    mkdirSync(treeDir(`${component}-check`), { recursive: true });
    progress.note(`▸ creating the ${component} bisect-check worktree ${src} (once)`);
    await git(main, ['worktree', 'prune']);
    await git(main, ['worktree', 'add', '-f', '--detach', src, BASE_TAG]);
  }
  return src;
}

/**
 * checkpatch.pl --strict on one patch. One warning is weighed rather than
 * counted: FILE_PATH_CHANGES ("added ... file(s), does MAINTAINERS need
 * updating?") is a reminder, and is answered when get_maintainer.pl already
 * assigns every new file to a maintained entry (a redundant MAINTAINERS line
 * would be noise upstream). Any other message makes the patch unclean.
 */
async function checkpatch(src: string, patchPath: string): Promise<{ clean: boolean; detail: string }> {
  // Debian's python: checkpatch's SPDX check needs python3-ply.
  const env = { ...process.env, PATH: `/usr/bin:${process.env.PATH ?? ''}` };
  const r = await execa('perl', [join(src, 'scripts/checkpatch.pl'), '--strict', '--show-types', patchPath], { cwd: src, env, reject: false, all: true });
  const output = String(r.all ?? '').trim();
  const messages = output.split('\n').filter((l) => /\b(ERROR|WARNING|CHECK):[A-Z_]+:/.test(l));
  const others = messages.filter((l) => !/WARNING:FILE_PATH_CHANGES:/.test(l));
  // Without --terse checkpatch always ends with its "total:" line.
  if (!/total: \d+ errors/.test(output)) return { clean: false, detail: `checkpatch did not run:\n${output.split('\n').slice(-8).join('\n')}` };
  if (others.length > 0) return { clean: false, detail: others.slice(0, 8).join('\n') };
  if (messages.length === 0) return { clean: true, detail: '' };
  const added = [...readFileSync(patchPath, 'utf8').matchAll(/^diff --git a\/(\S+) b\/\S+\nnew file mode/gm)].map((m) => m[1]!);
  const unowned: string[] = [];
  for (const file of added) {
    const owners = await execa('perl', [join(src, 'scripts/get_maintainer.pl'), '--nogit', '--nogit-fallback', '--norolestats', '-f', file], { cwd: src, env, reject: false });
    if (owners.exitCode !== 0 || String(owners.stdout).trim() === '') unowned.push(file);
  }
  return unowned.length === 0
    ? { clean: true, detail: `note: new file(s) ${added.join(', ')} already covered by MAINTAINERS (get_maintainer.pl)` }
    : { clean: false, detail: `new file(s) not covered by MAINTAINERS: ${unowned.join(', ')}` };
}

/** Files a commit touches that the kernel builds as objects (for the W=1 pass). */
async function touchedObjects(src: string): Promise<string[]> {
  const files = (await git(src, ['diff', '--name-only', 'HEAD~1', 'HEAD'])).split('\n').filter((f) => f.endsWith('.c'));
  return files.filter((f) => existsSync(join(src, f))).map((f) => f.replace(/\.c$/, '.o'));
}

async function w1Warnings(record: RunRecord, src: string, out: string, objects: string[], patch: string): Promise<number> {
  if (objects.length === 0) return 0;
  const { args, env } = kernelMakeArgs(src, out);
  const r = await execa('make', [...args, 'W=1', ...objects], { env: { ...process.env, ...env }, reject: false, all: true });
  const output = String(r.all ?? '');
  record.log(`\n## W=1 ${patch}: ${objects.join(' ')}\n${output}`);
  return output.split('\n').filter((l) => /\bwarning:/.test(l)).length;
}

export async function checkSeries(component: Component, record: RunRecord): Promise<PatchVerdict[]> {
  if (component !== 'kernel') {
    throw new ProtmError(`patches check for ${component} is not available yet`, 'only the kernel series has a style checker and build wired in so far');
  }
  const series = readSeries(patchDir(component));
  const src = await checkTree(component, record);
  const out = kernelOutDir(`${component}-check`, {});
  await git(src, ['checkout', '-q', '-f', '--detach', BASE_TAG]);
  const verdicts: PatchVerdict[] = [];
  if (series.patches.length === 0) {
    progress.note('series is empty: building the pinned base so the check still proves the tree builds');
    await buildKernelAt(record, src, out, {}, 'build base (empty series)');
    return verdicts;
  }
  let applying = true;
  for (const patch of series.patches) {
    const path = join(series.dir, patch);
    const verdict: PatchVerdict = { patch, applies: false, style: 'n/a', builds: null, w1Warnings: null };
    verdicts.push(verdict);
    if (!applying) {
      verdict.detail = 'not tried: an earlier patch does not apply';
      continue;
    }
    try {
      await applyPatch(src, path, patch);
      verdict.applies = true;
    } catch (err) {
      verdict.detail = (err as Error).message;
      applying = false;
      continue;
    }
    const style = await checkpatch(src, path);
    verdict.style = style.clean ? 'clean' : 'issues';
    verdict.styleDetail = style.detail;
    try {
      await buildKernelAt(record, src, out, {}, `build after ${patch}`);
      verdict.builds = true;
      verdict.w1Warnings = await w1Warnings(record, src, out, await touchedObjects(src), patch);
    } catch (err) {
      verdict.builds = false;
      verdict.detail = (err as Error).message.split('\n').slice(0, 20).join('\n');
    }
  }
  return verdicts;
}

export function verdictOk(v: PatchVerdict): boolean {
  return v.applies && v.style === 'clean' && v.builds === true && v.w1Warnings === 0;
}

export function renderVerdicts(verdicts: PatchVerdict[]): string {
  if (verdicts.length === 0) return 'series is empty (0 patches): the pinned base builds.';
  const yn = (b: boolean | null) => (b === null ? '-' : b ? 'yes' : 'NO');
  const rows = verdicts.map((v) => [v.patch, yn(v.applies), v.style === 'clean' ? 'clean' : v.style === 'n/a' ? '-' : 'ISSUES', yn(v.builds), v.w1Warnings === null ? '-' : String(v.w1Warnings)]);
  const header = ['patch', 'applies', 'checkpatch', 'builds', 'W=1 warnings'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  const details = verdicts.filter((v) => v.detail || v.styleDetail).map((v) => `--- ${v.patch}\n${[v.styleDetail, v.detail].filter(Boolean).join('\n')}`);
  const bad = verdicts.filter((v) => !verdictOk(v)).length;
  return [line(header), ...rows.map(line), '', ...details, `${verdicts.length - bad} of ${verdicts.length} patches pass`].join('\n');
}
