// The git work tree of a component: the pristine pinned source as commit
// "protm-base", then one commit per patch of the series. Developers edit and
// commit here, then `protm patches export` writes the series back.
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ProtmError } from '../lib/errors.js';
import { progress } from '../lib/progress.js';
import type { RunRecord } from '../lib/run-record.js';
import { removeStaleTemps, tempPath } from '../lib/temp.js';
import { fetchPin, pinHash } from '../sources/fetch.js';
import { findPin, loadPins } from '../sources/pins.js';
import { type Component, patchDir, pinOf, treeDir } from './components.js';
import { editsHash, getConfig, git, gitTry, isClean, isDirty, untrackedFiles } from './git.js';
import { findHunk, readSeries, type Series } from './series.js';

export const BASE_TAG = 'protm-base';
const BASE_DATE = '2000-01-01T00:00:00Z';

export interface WorkTree {
  component: Component;
  src: string;
  series: Series;
  /** Commits protm-base..HEAD, oldest first. */
  commits: string[];
}

/** Create (once per pin) the git repository holding the pristine source. */
export async function ensureBase(component: Component, record: RunRecord, src = join(treeDir(component), 'src')): Promise<string> {
  const pin = findPin(loadPins(), pinOf(component));
  const wanted = pinHash(pin);
  if (existsSync(join(src, '.git')) && (await getConfig(src, 'protm.pinHash')) === wanted) return src;
  const pristine = await fetchPin(pin, record);
  removeStaleTemps(src);
  const tmp = tempPath(src);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    progress.note(`▸ creating the ${component} work tree ${src} from ${pristine}`);
    // verbatimSymlinks: keep relative links relative (node would otherwise
    // point them at the pristine tree, which a chroot build cannot see).
    cpSync(pristine, tmp, { recursive: true, verbatimSymlinks: true, filter: (s) => !s.endsWith('.protm-pin.json') });
    await git(tmp, ['init', '-q', '-b', 'main']);
    await git(tmp, ['config', 'core.autocrlf', 'false']);
    await git(tmp, ['config', 'gc.auto', '0']);
    const t = Date.now();
    await git(tmp, ['add', '-A', '-f']);
    await git(tmp, ['commit', '-q', '--no-verify', '-m', `${pin.name} ${pin.packages[0]!.version} as pinned`], {
      GIT_AUTHOR_DATE: BASE_DATE,
      GIT_COMMITTER_DATE: BASE_DATE,
    });
    await git(tmp, ['tag', '-f', BASE_TAG]);
    await git(tmp, ['config', 'protm.pinHash', wanted]);
    record.addStep({ name: `git import ${component}`, status: 'ok', seconds: (Date.now() - t) / 1000 });
    if (existsSync(src)) {
      // The tree of the old pin may hold work (edits, untracked files,
      // commits never exported): keep it beside the new one, never delete it.
      const aside = `${src}.pin-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      renameSync(src, aside);
      progress.note(`! the ${component} pin changed: the previous work tree is kept as ${aside} (remove it when nothing there is needed)`);
      record.set(`previousWorkTree:${component}`, aside);
    }
    renameSync(tmp, src);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return src;
}

export async function seriesCommits(src: string): Promise<string[]> {
  const out = await git(src, ['rev-list', '--reverse', `${BASE_TAG}..HEAD`]);
  return out ? out.split('\n') : [];
}

/** Apply one patch file on top of HEAD with `git am`; on failure, abort and explain. */
export async function applyPatch(src: string, patchPath: string, name: string): Promise<void> {
  const r = await gitTry(src, ['am', '--keep-cr', '--committer-date-is-author-date', '--whitespace=nowarn', patchPath]);
  if (r.ok) return;
  await gitTry(src, ['am', '--abort']);
  const where = /patch failed: (.+):(\d+)/.exec(r.output);
  const hunk = where ? findHunk(readFileSync(patchPath, 'utf8'), where[1]!, Number(where[2])) : undefined;
  throw new ProtmError(
    `patch ${name} does not apply${where ? ` (${where[1]}:${where[2]})` : ''}:\n${r.output.trim().split('\n').slice(0, 12).join('\n')}${hunk ? `\n--- failing hunk ---\n${hunk}` : ''}`,
    'refresh the patch against the pinned tree, or fix it in the work tree and `protm patches export`',
  );
}

/**
 * What protm last applied in a work tree. Kept in the work tree's own git
 * directory, not in the (shared) repository config: the check tree and test
 * trees are git worktrees of the same repository and must not see each
 * other's state.
 */
export interface TreeState {
  seriesHash?: string;
  appliedHead?: string;
}

async function stateFile(src: string): Promise<string> {
  return resolve(src, await git(src, ['rev-parse', '--git-dir']), 'protm-state.json');
}

export async function readTreeState(src: string): Promise<TreeState> {
  const path = await stateFile(src);
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as TreeState) : {};
}

/** Record that `src` holds `seriesHash` as of its current HEAD. */
export async function markApplied(src: string, seriesHash: string): Promise<void> {
  const state: TreeState = { seriesHash, appliedHead: await git(src, ['rev-parse', 'HEAD']) };
  writeFileSync(await stateFile(src), `${JSON.stringify(state)}\n`);
}

/** Each work tree has its own branch: git refuses to share one between worktrees. */
function branchOf(src: string): string {
  return `protm/${basename(dirname(src))}`;
}

/** Reset `src` to protm-base and apply `series`; records the series hash. */
export async function applySeriesAt(src: string, series: Series): Promise<void> {
  // A `git am` killed mid-series (Ctrl-C, a CI timeout) leaves its state
  // behind, and every later `git am` would refuse to start.
  await gitTry(src, ['am', '--abort']);
  await git(src, ['checkout', '-q', '-f', '-B', branchOf(src), BASE_TAG]);
  for (const patch of series.patches) await applyPatch(src, join(series.dir, patch), patch);
  await markApplied(src, series.hash);
}

export interface ApplyOptions {
  /** Discard local changes and commits in the work tree. */
  force?: boolean;
}

/**
 * Make the component's work tree hold exactly the series. Does nothing when it
 * already does; refuses (unless forced) to throw away uncommitted edits or
 * commits that were never exported.
 */
export async function applySeries(component: Component, record: RunRecord, opts: ApplyOptions = {}): Promise<WorkTree & { changed: boolean }> {
  const src = await ensureBase(component, record);
  const series = readSeries(patchDir(component));
  const head = await git(src, ['rev-parse', 'HEAD']);
  const { seriesHash, appliedHead } = await readTreeState(src);
  const upToDate = seriesHash === series.hash && appliedHead === head;
  if (upToDate) return { component, src, series, commits: await seriesCommits(src), changed: false };
  if (!opts.force) {
    if (await isDirty(src)) {
      throw new ProtmError(
        `the ${component} work tree ${src} has uncommitted changes and the series differs from it`,
        'commit them and run `protm patches export`, or re-run with --force to discard them',
      );
    }
    if (appliedHead && appliedHead !== head) {
      throw new ProtmError(
        `the ${component} work tree has commits that are not in ${series.dir} (HEAD ${head.slice(0, 12)})`,
        'run `protm patches export` to keep them, or --force to discard them',
      );
    }
  }
  const t = Date.now();
  await applySeriesAt(src, series);
  record.addStep({ name: `apply ${component} series (${series.patches.length} patches)`, status: 'ok', seconds: (Date.now() - t) / 1000 });
  return { component, src, series, commits: await seriesCommits(src), changed: true };
}

/**
 * With PROTM_EXACT_SERIES=1 (set by the test command, so by CI) builds never
 * use the developer's work tree: they use protm's own tree per component,
 * `trees/<component>-exact`, reset to exactly the series in the checkout
 * before every build, with build directories of its own. Downloads and
 * ccache are shared, so this costs links, not compiles.
 */
export function exactSeriesMode(): boolean {
  return process.env.PROTM_EXACT_SERIES === '1';
}

/** The tree (under trees/) that builds of `component` use. */
export function buildTreeName(component: Component): string {
  return exactSeriesMode() ? `${component}-exact` : component;
}

/**
 * A tree of protm's own for `component` named `name`: for the kernel a git
 * worktree sharing the main tree's objects (a second 1.5 GB import would cost
 * minutes), otherwise a repository of its own made from the pinned source.
 */
export async function ownedTree(component: Component, name: string, record: RunRecord): Promise<string> {
  const src = join(treeDir(name), 'src');
  if (component !== 'kernel') return ensureBase(component, record, src);
  const main = await ensureBase(component, record);
  if (existsSync(join(src, '.git')) && (await getConfig(src, 'protm.pinHash')) === (await getConfig(main, 'protm.pinHash'))) return src;
  mkdirSync(treeDir(name), { recursive: true });
  progress.note(`▸ creating the ${component} worktree ${src} (once)`);
  rmSync(src, { recursive: true, force: true });
  await git(main, ['worktree', 'prune']);
  await git(main, ['worktree', 'add', '-f', '--detach', src, BASE_TAG]);
  return src;
}

async function exactWorkTree(component: Component, record: RunRecord): Promise<WorkTree> {
  const src = await ownedTree(component, buildTreeName(component), record);
  const series = readSeries(patchDir(component));
  const head = await git(src, ['rev-parse', 'HEAD']);
  const { seriesHash, appliedHead } = await readTreeState(src);
  const clean = await isClean(src);
  if (seriesHash !== series.hash || appliedHead !== head || !clean) {
    await git(src, ['clean', '-ffdq']);
    // What git clean leaves because the tree's .gitignore hides it (see untrackedFiles).
    for (const f of await untrackedFiles(src)) rmSync(join(src, f), { force: true });
    const t = Date.now();
    await applySeriesAt(src, series);
    record.addStep({ name: `apply ${component} series to ${src} (${series.patches.length} patches)`, status: 'ok', seconds: (Date.now() - t) / 1000 });
  }
  return { component, src, series, commits: await seriesCommits(src) };
}

/** The work tree as it is (for builds): applies the series only when the tree is clean and stale. */
export async function currentWorkTree(component: Component, record: RunRecord): Promise<WorkTree> {
  const wt = exactSeriesMode() ? await exactWorkTree(component, record) : await developerWorkTree(component, record);
  record.set(`tree:${component}`, await describeTree(wt));
  return wt;
}

async function developerWorkTree(component: Component, record: RunRecord): Promise<WorkTree> {
  const src = await ensureBase(component, record);
  const series = readSeries(patchDir(component));
  const head = await git(src, ['rev-parse', 'HEAD']);
  const { seriesHash, appliedHead } = await readTreeState(src);
  const seriesChanged = seriesHash !== series.hash;
  const developerWork = (appliedHead !== undefined && appliedHead !== head) || (await isDirty(src));
  if (seriesChanged && !developerWork) return applySeries(component, record);
  if (seriesChanged && developerWork) {
    progress.note(`! ${component}: building the work tree as edited; it differs from ${series.dir} (export to keep the edits)`);
  }
  return { component, src, series, commits: await seriesCommits(src) };
}

export interface TreeDescription {
  src: string;
  head: string;
  /** The tree holds exactly the checkout's series (no commits or edits beyond it). */
  exactSeries: boolean;
  seriesHash: string;
  /** Hash of everything the tree holds beyond the pinned base (commits, edits, untracked files). */
  editsHash: string;
}

/** What a build used, for metadata.json: a result always says what it tested. */
export async function describeTree(wt: WorkTree): Promise<TreeDescription> {
  const head = await git(wt.src, ['rev-parse', 'HEAD']);
  const { seriesHash, appliedHead } = await readTreeState(wt.src);
  const untracked = await untrackedFiles(wt.src);
  const clean = await isClean(wt.src, untracked);
  return {
    src: wt.src,
    head,
    exactSeries: seriesHash === wt.series.hash && appliedHead === head && clean,
    seriesHash: wt.series.hash,
    editsHash: await editsHash(wt.src, BASE_TAG, untracked),
  };
}

/**
 * What the tree holds beyond the pinned source: the series hash when the tree
 * is exactly what `patches apply` made of the series, otherwise the content
 * of the developer's edits (committed or not) relative to the base tag.
 */
export async function treeContent(src: string, seriesHash: string): Promise<Record<string, string>> {
  const head = await git(src, ['rev-parse', 'HEAD']);
  const { appliedHead } = await readTreeState(src);
  const untracked = await untrackedFiles(src);
  if (appliedHead === head && (await isClean(src, untracked))) return { series: seriesHash };
  return { series: seriesHash, edits: await editsHash(src, BASE_TAG, untracked) };
}
