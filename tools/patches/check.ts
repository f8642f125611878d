// `protm patches check`: apply the series patch by patch in a separate work
// tree (the developer's tree is left alone), and after each patch run the
// component's style checker and an incremental build, so a series that is not
// bisectable is caught. What differs per component (the tree, the checker,
// the build and how it reports warnings) is a Checker; the loop is shared.
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join, relative, resolve } from 'node:path';
import { execa } from 'execa';
import { parseConfig } from '../build/kconfig.js';
import { buildKernelAt, configureKernel, kernelFragments, kernelMakeArgs, kernelOutDir } from '../build/kernel.js';
import { buildMesaAt, MESA_BUILD_ROOT, MESA_CHECK_OPTIONS, overlayUapi } from '../build/mesa.js';
import { panthorUapiHeader } from '../build/panthor-uapi.js';
import { buildQemuAt, QEMU_BINARY } from '../build/qemu.js';
import { ensureBuildRoot, inBuildRoot } from '../host/buildroot.js';
import { ProtmError, USAGE_ERROR } from '../lib/errors.js';
import { takeSlot } from '../lib/jobserver.js';
import { withLock } from '../lib/lock.js';
import { repoPaths } from '../lib/paths.js';
import { progress } from '../lib/progress.js';
import type { RunRecord } from '../lib/run-record.js';
import { shellQuote } from '../lib/shell.js';
import type { Case } from '../results/report.js';
import { type Component, patchDir, treeDir } from './components.js';
import { git, gitTry } from './git.js';
import { kernelDocAdded } from './kernel-doc.js';
import { readSeries, type Series } from './series.js';
import { applyPatch, BASE_TAG, ownedTree } from './worktree.js';

export interface PatchVerdict {
  patch: string;
  applies: boolean;
  style: 'clean' | 'issues' | 'n/a';
  styleDetail?: string;
  builds: boolean | null;
  /** Compiler warnings the patch adds in the files it touches (kernel: W=1). */
  warnings: number | null;
  detail?: string;
  /** Applied before the patch the check starts from (--from), not checked. */
  unchecked?: true;
}

export interface CheckOptions {
  /** Check from this patch on (1-based number or file name); earlier ones are applied and built once. */
  from?: string;
}

export interface SeriesCheck {
  component: Component;
  verdicts: PatchVerdict[];
  /** The warnings column's heading ("W=1 warnings" for the kernel). */
  warningsLabel: string;
}

interface CheckTree {
  src: string;
  out: string;
}

interface Checker {
  /** Host programs the check runs, and what for (a missing one is named up front). */
  tools: Record<string, string>;
  warningsLabel: string;
  /**
   * The style check reads only the patch and files the build leaves alone,
   * so it runs beside the build. Not Mesa's: its build writes the uAPI
   * header into the tree whose diff clang-format reads.
   */
  styleBesideBuild?: true;
  /** The check's own work tree (tagged protm-base) and build directory. */
  tree(record: RunRecord): Promise<CheckTree>;
  checkpatch(src: string, patchPath: string, record: RunRecord): Promise<{ clean: boolean; detail: string }>;
  /**
   * Build the tree as it is; returns the compiler warnings in (or caused by)
   * the files `touched` (paths relative to the tree). Throws when the build fails.
   */
  build(record: RunRecord, tree: CheckTree, stage: string, touched: string[]): Promise<string[]>;
}

// Debian's python: the kernel checkpatch's SPDX check needs python3-ply.
const checkpatchEnv = () => ({ ...process.env, PATH: `/usr/bin:${process.env.PATH ?? ''}` });

/** The kernel's bisect-check tree: a git worktree sharing the main tree's objects. */
async function kernelCheckTree(record: RunRecord): Promise<CheckTree> {
  return { src: await ownedTree('kernel', 'kernel-check', record), out: kernelOutDir('kernel-check', {}) };
}

/**
 * checkpatch.pl --strict on one patch. One warning is weighed rather than
 * counted: FILE_PATH_CHANGES ("added ... file(s), does MAINTAINERS need
 * updating?") is a reminder, and is answered when get_maintainer.pl already
 * assigns every new file to a maintained entry (a redundant MAINTAINERS line
 * would be noise upstream). Any other message makes the patch unclean.
 */
async function kernelCheckpatch(src: string, patchPath: string): Promise<{ clean: boolean; detail: string }> {
  const env = checkpatchEnv();
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
    const owners = await execa('perl', [join(src, 'scripts/get_maintainer.pl'), '--nogit', '--nogit-fallback', '--norolestats', '-f', file], {
      cwd: src,
      env,
      reject: false,
    });
    if (owners.exitCode !== 0 || String(owners.stdout).trim() === '') unowned.push(file);
  }
  return unowned.length === 0
    ? { clean: true, detail: `note: new file(s) ${added.join(', ')} already covered by MAINTAINERS (get_maintainer.pl)` }
    : { clean: false, detail: `new file(s) not covered by MAINTAINERS: ${unowned.join(', ')}` };
}

/**
 * Build the Image and, beside it, compile the touched objects with W=1 in a
 * second build directory of the same configuration. Not in the Image's own:
 * a W=1 make prepares with W=1 flags too (modpost, asm-offsets, the vDSO),
 * so it could not run beside the Image's build, and the next patch's build
 * compiled those again only to undo the flags. Its configuration also has
 * the KUnit tests on, so a touched test file is compiled too (w1OutDir). The
 * warnings are the W=1 compiler's in the touched files, and the kernel-doc
 * warnings the patch adds to its C files and headers (kernel-doc.ts); a
 * touched file W=1 cannot compile fails the patch's build.
 */
async function kernelBuild(record: RunRecord, tree: CheckTree, stage: string, touched: string[]): Promise<string[]> {
  const [compiler, kernelDoc] = await Promise.allSettled([kernelW1Build(record, tree, stage, touched), kernelDocAdded(tree.src, touched)]);
  if (compiler.status === 'rejected') throw compiler.reason;
  if (kernelDoc.status === 'rejected') throw kernelDoc.reason;
  if (kernelDoc.value.length > 0) record.log(`\n## kernel-doc warnings ${stage} adds\n${kernelDoc.value.join('\n')}\n`);
  return [...compiler.value, ...kernelDoc.value];
}

async function kernelW1Build(record: RunRecord, { src, out }: CheckTree, stage: string, touched: string[]): Promise<string[]> {
  const objects = touched.filter((f) => f.endsWith('.c')).map((f) => f.replace(/\.c$/, '.o'));
  if (objects.length === 0) {
    await buildKernelAt(record, src, out, {}, stage);
    return [];
  }
  await configureKernel(record, src, out, kernelFragments({}, out));
  const { args, env } = kernelMakeArgs(src, w1OutDir(out));
  // Both end before either's outcome counts: a failed Image build must not
  // leave a W=1 make running into the next patch's.
  const w1Make = async () => {
    const slot = await takeSlot('make');
    try {
      return await execa('make', [...args, 'W=1', ...objects], {
        env: { ...process.env, ...env, ...slot.env },
        reject: false,
        all: true,
        stdio: slot.stdio,
      });
    } finally {
      slot.release();
    }
  };
  const [w1, image] = await Promise.allSettled([w1Make(), buildKernelAt(record, src, out, {}, stage)]);
  if (image.status === 'rejected') throw image.reason;
  if (w1.status === 'rejected') throw w1.reason;
  const output = String(w1.value.all ?? '');
  record.log(`\n## W=1 ${stage}: ${objects.join(' ')}\n${output}`);
  // A file W=1 could not compile has had none of its warnings counted: that
  // is a failed build, not a clean one.
  if (w1.value.exitCode !== 0) throw new Error(w1Failure(w1.value.exitCode ?? -1, output));
  // kernel-doc's own lines ("Warning: <file>:<line> ...") are left to
  // kernelDocAdded, which tells the patch's from upstream's.
  return output.split('\n').filter((l) => /\bwarning:/.test(l) && !/^(Warning|warning): /.test(l));
}

/** What a failed W=1 make says: its compiler errors, or else its last lines. */
function w1Failure(exitCode: number, output: string): string {
  const lines = output.split('\n');
  const errors = lines.filter((l) => /\berror:|\*\*\* /.test(l));
  return [`the W=1 compile of the touched files failed (make exited with status ${exitCode}):`, ...(errors.length > 0 ? errors : lines.slice(-12))].join('\n');
}

/**
 * The options the W=1 directory adds to the Image's configuration: KUnit and
 * the tests images/kernel/kunit.config asks for, built in. A series' test
 * file is then compiled as `protm kunit` builds it, with the KUnit-only
 * declarations (VISIBLE_IF_KUNIT) it needs; in the Image's configuration it
 * cannot compile at all. Kconfig drops a test option its tree does not
 * declare yet (a patch before the one that adds the tests).
 */
function w1ConfigOptions(kunitConfig: string): string[] {
  return [...parseConfig(kunitConfig).keys()].filter((o) => o === 'CONFIG_KUNIT' || o.endsWith('_KUNIT_TEST'));
}

/** The Image's configuration with `options` set to y (their old lines dropped; kbuild's syncconfig resolves the rest). */
function w1Config(imageConfig: string, options: string[]): string {
  const named = (line: string) => options.some((o) => line.startsWith(`${o}=`) || line === `# ${o} is not set`);
  const kept = imageConfig.split('\n').filter((line) => !named(line));
  return `${kept.join('\n').trimEnd()}\n${options.map((o) => `${o}=y`).join('\n')}\n`;
}

/**
 * The W=1 build directory beside `out` (inside the source tree too, so its
 * command lines match across trees and ccache shares its objects), holding
 * the Image build's configuration with the KUnit tests on (w1ConfigOptions):
 * written when it differs, and make's syncconfig takes it from there.
 */
function w1OutDir(out: string): string {
  const w1 = `${out}-w1`;
  mkdirSync(w1, { recursive: true });
  const options = w1ConfigOptions(readFileSync(join(repoPaths.kernelFragments(), 'kunit.config'), 'utf8'));
  const config = w1Config(readFileSync(join(out, '.config'), 'utf8'), options);
  const dotConfig = join(w1, '.config');
  const marker = join(w1, '.protm-w1-config');
  // syncconfig rewrites .config, so what was last written is kept beside it;
  // a .config that turns an option off was written by someone else (an
  // older protm sharing the cache copied the Image's there).
  const current = existsSync(dotConfig) ? parseConfig(readFileSync(dotConfig, 'utf8')) : undefined;
  const overwritten = !current || options.some((o) => current.has(o) && current.get(o) !== 'y');
  if (overwritten || !existsSync(marker) || readFileSync(marker, 'utf8') !== config) {
    writeFileSync(dotConfig, config);
    writeFileSync(marker, config);
  }
  return w1;
}

/**
 * QEMU's scripts/checkpatch.pl on one patch. Clean means no ERROR and no
 * WARNING; each report (message, where, the offending line) is kept for the detail.
 */
async function qemuCheckpatch(src: string, patchPath: string): Promise<{ clean: boolean; detail: string }> {
  const r = await execa('perl', [join(src, 'scripts/checkpatch.pl'), '--color=never', patchPath], { cwd: src, env: checkpatchEnv(), reject: false, all: true });
  const output = String(r.all ?? '').trim();
  if (!/^total: \d+ errors, \d+ warnings/m.test(output)) return { clean: false, detail: `checkpatch did not run:\n${output.split('\n').slice(-8).join('\n')}` };
  const reports = output.split(/\n\s*\n/).filter((block) => /^(ERROR|WARNING): /.test(block));
  return reports.length === 0 ? { clean: true, detail: '' } : { clean: false, detail: reports.slice(0, 8).join('\n') };
}

/**
 * Regenerate the build files (the patch may add sources), delete the objects
 * of the touched C files so they are compiled again whatever ninja thinks,
 * and build them with qemu-system-aarch64 (a touched qtest is built too). The
 * warnings are read from that build's output, for the touched files only.
 */
async function qemuBuild(record: RunRecord, { src, out }: CheckTree, stage: string, touched: string[]): Promise<string[]> {
  await buildQemuAt(record, src, out, ['build.ninja'], `${stage}: regenerate`);
  const objects = ninjaObjects(src, out, touched);
  for (const o of objects) rmSync(join(out, o), { force: true });
  const from = statSync(record.logPath).size;
  await buildQemuAt(record, src, out, [QEMU_BINARY, ...objects], stage);
  return [...warningsSince(record, from, src, out, touched), ...uncompiledSources(src, out, touched)];
}

/** Source (relative to `src`) → the objects a ninja build compiles from it (relative to `out`), from its compile_commands.json. */
function compiledSources(src: string, out: string): Map<string, string[]> {
  const path = join(out, 'compile_commands.json');
  const entries = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as { directory: string; file: string; output: string }[]) : [];
  const bySource = new Map<string, string[]>();
  for (const e of entries) {
    const file = relative(src, resolve(e.directory, e.file));
    bySource.set(file, [...(bySource.get(file) ?? []), e.output]);
  }
  return bySource;
}

const isSource = (f: string) => /\.(c|cpp)$/.test(f);

/** The objects a ninja build compiles from the C sources among `files`. */
function ninjaObjects(src: string, out: string, files: string[]): string[] {
  const bySource = compiledSources(src, out);
  return [...new Set(files.filter(isSource).flatMap((f) => bySource.get(f) ?? []))];
}

/**
 * The C sources among `files` that the build (just run, so a new file is
 * known) compiles into no object, as findings: the build cannot vouch for
 * their warnings, so the check must not report them clean.
 */
function uncompiledSources(src: string, out: string, files: string[]): string[] {
  const bySource = compiledSources(src, out);
  return files
    .filter((f) => isSource(f) && !bySource.has(f))
    .map((f) => `${f}: not compiled by the check's build configuration, so its warnings are not checked`);
}

/** Compiler warnings in the build log since byte `from`, for the files `touched` only. */
function warningsSince(record: RunRecord, from: number, src: string, out: string, touched: string[]): string[] {
  const output = readFileSync(record.logPath).subarray(from).toString();
  const ours = new Set(touched);
  const warnings = output.split('\n').flatMap((l) => {
    const m = /^(\S+?)(:\d+(?::\d+)?: warning: .*)/.exec(l);
    const file = m && relative(src, resolve(out, m[1]!));
    return file && ours.has(file) ? [`${file}${m[2]}`] : [];
  });
  return [...new Set(warnings)];
}

/**
 * Mesa's formatting rules: the lines a patch adds to C files under a
 * directory with a .clang-format (nearest one up the tree, as clang-format
 * itself looks it up) must be as clang-format would write them. Checked with
 * git clang-format on the patch's own diff, inside the build root (trixie's
 * clang-format, the one Mesa 25.0 was formatted with a near version of).
 */
async function mesaFormat(record: RunRecord, src: string): Promise<{ clean: boolean; detail: string }> {
  const touched = (await git(src, ['diff', '--name-only', 'HEAD~1', 'HEAD'])).split('\n').filter((f) => /\.(c|h|cpp)$/.test(f) && existsSync(join(src, f)));
  const formatted = touched.filter((f) => {
    for (let d = dirname(f); d !== '.' && d !== ''; d = dirname(d)) if (existsSync(join(src, d, '.clang-format'))) return true;
    return false;
  });
  if (formatted.length === 0) return { clean: true, detail: touched.length > 0 ? 'no touched file is under a .clang-format' : '' };
  const root = await ensureBuildRoot(record, MESA_BUILD_ROOT);
  const script = `cd ${shellQuote(src)} && git -c safe.directory='*' clang-format --diff --extensions c,h,cpp HEAD~1 -- ${formatted.map(shellQuote).join(' ')}`;
  const s = inBuildRoot(root, [dirname(src)], script);
  const r = await execa(s.file, s.args, { env: { ...process.env, ...s.env }, reject: false, all: true });
  const output = String(r.all ?? '').trim();
  if (/^(no modified files to format|clang-format did not modify any files)$/m.test(output) || output === '') return { clean: true, detail: '' };
  if (!/^diff --git/m.test(output)) return { clean: false, detail: `git clang-format did not run:\n${output.split('\n').slice(-8).join('\n')}` };
  return { clean: false, detail: `not formatted as .clang-format says (git clang-format --diff):\n${output.split('\n').slice(0, 30).join('\n')}` };
}

/**
 * The native (x86-64, drm-shim) flavour of the Mesa build, optimized, with
 * our kernel's uAPI header: touched objects are deleted so they are compiled
 * again, and their warnings are read from that build's output.
 */
async function mesaBuild(record: RunRecord, { src, out }: CheckTree, stage: string, touched: string[]): Promise<string[]> {
  await overlayUapi(src, (await panthorUapiHeader(record)).path);
  for (const o of ninjaObjects(src, out, touched)) rmSync(join(out, o), { force: true });
  const from = statSync(record.logPath).size;
  await buildMesaAt(record, 'native', src, out, undefined, stage, MESA_CHECK_OPTIONS);
  return [...warningsSince(record, from, src, out, touched), ...uncompiledSources(src, out, touched)];
}

const CHECKERS: Partial<Record<Component, Checker>> = {
  kernel: {
    tools: {
      perl: 'checkpatch.pl',
      python3: 'scripts/kernel-doc',
      make: 'the kernel build',
      'aarch64-linux-gnu-gcc': 'the kernel build',
      ccache: 'the kernel build',
    },
    warningsLabel: 'W=1 warnings',
    styleBesideBuild: true,
    tree: kernelCheckTree,
    checkpatch: kernelCheckpatch,
    build: kernelBuild,
  },
  qemu: {
    tools: { perl: "QEMU's scripts/checkpatch.pl", unshare: 'entering the sid-qemu build root', chroot: 'entering the sid-qemu build root' },
    warningsLabel: 'warnings',
    // A repository of its own made from the pinned source, never a worktree of
    // <trees>/qemu/src: the check must not write into the developer's tree.
    tree: async (record) => ({ src: await ownedTree('qemu', 'qemu-check', record), out: join(treeDir('qemu-check'), 'out') }),
    checkpatch: qemuCheckpatch,
    build: qemuBuild,
  },
  mesa: {
    tools: { unshare: 'entering the trixie-mesa build root', chroot: 'entering the trixie-mesa build root' },
    warningsLabel: 'warnings',
    tree: async (record) => ({ src: await ownedTree('mesa', 'mesa-check', record), out: join(treeDir('mesa-check'), 'out-native') }),
    checkpatch: (src, _patch, record) => mesaFormat(record, src),
    build: mesaBuild,
  },
};

function requireTools(component: Component, tools: Record<string, string>): void {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const [tool, why] of Object.entries(tools)) {
    if (!dirs.some((d) => existsSync(join(d, tool)))) {
      throw new ProtmError(
        `patches check ${component} needs ${tool} (${why}), which is not on PATH`,
        'run `protm setup` (`protm doctor` lists what is missing)',
      );
    }
  }
}

export async function checkSeries(component: Component, record: RunRecord, opts: CheckOptions = {}): Promise<SeriesCheck> {
  const checker = CHECKERS[component];
  if (!checker) {
    throw new ProtmError(
      `patches check for ${component} is not available yet`,
      `components with a style checker and build wired in: ${Object.keys(CHECKERS).join(', ')}`,
    );
  }
  const series = readSeries(patchDir(component));
  const first = opts.from === undefined ? 0 : firstChecked(series.patches, opts.from);
  requireTools(component, checker.tools);
  return withLock(`tree-${component}-check`, () => checkSeriesLocked(component, checker, record, series, first));
}

/** The index of the patch --from names: its 1-based number in the series, or its file name. */
export function firstChecked(patches: string[], from: string): number {
  const byNumber = /^\d+$/.test(from) ? Number(from) - 1 : -1;
  const index = byNumber >= 0 && byNumber < patches.length ? byNumber : patches.indexOf(from);
  if (index < 0) {
    const range = patches.length === 0 ? 'the series is empty' : `a number from 1 to ${patches.length}, or a file name in the series (e.g. ${patches[0]})`;
    throw new ProtmError(`--from ${from}: no such patch in the series`, range, USAGE_ERROR);
  }
  return index;
}

async function checkSeriesLocked(component: Component, checker: Checker, record: RunRecord, series: Series, first: number): Promise<SeriesCheck> {
  const tree = await checker.tree(record);
  const { src } = tree;
  await gitTry(src, ['am', '--abort']); // an interrupted earlier check
  await git(src, ['checkout', '-q', '-f', '--detach', BASE_TAG]);
  const check: SeriesCheck = { component, verdicts: [], warningsLabel: checker.warningsLabel };
  if (series.patches.length === 0) {
    progress.note('series is empty: building the pinned base so the check still proves the tree builds');
    await checker.build(record, tree, 'build base (empty series)', []);
    return check;
  }
  let applying = true;
  for (const [i, patch] of series.patches.entries()) {
    const path = join(series.dir, patch);
    const verdict: PatchVerdict = { patch, applies: false, style: 'n/a', builds: null, warnings: null };
    check.verdicts.push(verdict);
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
    if (i < first) {
      verdict.unchecked = true;
      if (i === first - 1) await buildBefore(checker, record, tree, series.patches[first]!);
      continue;
    }
    const touched = (await git(src, ['diff', '--name-only', 'HEAD~1', 'HEAD'])).split('\n').filter((f) => f && existsSync(join(src, f)));
    const checkStyle = () => checker.checkpatch(src, path, record);
    const build = () => checker.build(record, tree, `build after ${patch}`, touched);
    const [style, built] = await styleAndBuild(checker.styleBesideBuild === true, checkStyle, build);
    verdict.style = style.clean ? 'clean' : 'issues';
    verdict.styleDetail = style.detail;
    if (built.status === 'fulfilled') {
      verdict.builds = true;
      verdict.warnings = built.value.length;
      if (built.value.length > 0) verdict.detail = built.value.slice(0, 8).join('\n');
    } else {
      verdict.builds = false;
      verdict.detail = (built.reason as Error).message.split('\n').slice(0, 20).join('\n');
    }
  }
  return check;
}

/**
 * One patch's style check and build: side by side when the checker allows,
 * else the style check first. A style check that cannot run stops the
 * whole check; a failed build is the patch's verdict.
 */
async function styleAndBuild<S, B>(beside: boolean, checkStyle: () => Promise<S>, build: () => Promise<B>): Promise<[S, PromiseSettledResult<B>]> {
  if (beside) {
    const [style, built] = await Promise.allSettled([checkStyle(), build()]);
    if (style.status === 'rejected') throw style.reason;
    return [style.value, built];
  }
  const style = await checkStyle();
  const [built] = await Promise.allSettled([build()]);
  return [style, built];
}

/**
 * With --from, the tree holding the patches before it is built once, so that
 * the first checked patch's build and warnings are its own.
 */
async function buildBefore(checker: Checker, record: RunRecord, tree: CheckTree, firstPatch: string): Promise<void> {
  try {
    await checker.build(record, tree, `build before ${firstPatch} (earlier patches applied, not checked)`, []);
  } catch (err) {
    throw new ProtmError(
      `the series does not build before ${firstPatch}, where --from starts: ${(err as Error).message.split('\n').slice(0, 20).join('\n')}`,
      'run the check without --from to find the patch that breaks the build',
    );
  }
}

export function verdictOk(v: PatchVerdict): boolean {
  return v.applies && v.style === 'clean' && v.builds === true && v.warnings === 0;
}

/** One case per patch for results.json and junit.xml (an empty series: one case, the base builds). */
export function verdictCases({ component, verdicts, warningsLabel }: SeriesCheck): Case[] {
  const suite = [`${component}-patches`];
  if (verdicts.length === 0) return [{ suite, name: 'pinned base builds (series is empty)', status: 'pass', diagnostics: [] }];
  return verdicts.map((v) => {
    const diagnostics = [v.styleDetail, v.detail].filter((d): d is string => Boolean(d)).flatMap((d) => d.split('\n'));
    if (v.unchecked) return { suite, name: v.patch, status: 'skip', reason: 'not checked: before the --from patch (applied and built only)', diagnostics };
    if (verdictOk(v)) return { suite, name: v.patch, status: 'pass', diagnostics };
    if (!v.applies && v.detail?.startsWith('not tried')) return { suite, name: v.patch, status: 'skip', reason: v.detail, diagnostics };
    const problems = [
      !v.applies && 'does not apply',
      v.style === 'issues' && 'checkpatch issues',
      v.builds === false && 'does not build',
      (v.warnings ?? 0) > 0 && `${v.warnings} ${warningsLabel}`,
    ].filter(Boolean);
    return { suite, name: v.patch, status: 'fail', reason: problems.join(', '), diagnostics };
  });
}

export function renderVerdicts({ verdicts, warningsLabel }: SeriesCheck): string {
  if (verdicts.length === 0) return 'series is empty (0 patches): the pinned base builds.';
  const yn = (b: boolean | null) => (b === null ? '-' : b ? 'yes' : 'NO');
  const rows = verdicts.map((v) => [
    v.patch,
    yn(v.applies),
    v.unchecked ? 'not checked' : v.style === 'clean' ? 'clean' : v.style === 'n/a' ? '-' : 'ISSUES',
    yn(v.builds),
    v.warnings === null ? '-' : String(v.warnings),
  ]);
  const header = ['patch', 'applies', 'checkpatch', 'builds', warningsLabel];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  const details = verdicts.filter((v) => v.detail || v.styleDetail).map((v) => `--- ${v.patch}\n${[v.styleDetail, v.detail].filter(Boolean).join('\n')}`);
  const checked = verdicts.filter((v) => !v.unchecked);
  const bad = checked.filter((v) => !verdictOk(v)).length;
  const unchecked = verdicts.length - checked.length;
  const tally = `${checked.length - bad} of ${checked.length} patches pass${unchecked > 0 ? ` (the ${unchecked} before --from were applied, not checked)` : ''}`;
  return [line(header), ...rows.map(line), '', ...details, tally].join('\n');
}
