// Git plumbing for work trees. Commits use a fixed committer identity and the
// author date, so applying the same series twice yields the same commits and
// exporting them yields the same bytes.
import { copyFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { ProtmError } from '../lib/errors.js';
import { sha256 } from '../lib/hash.js';

const IDENTITY = {
  GIT_COMMITTER_NAME: 'protm',
  GIT_COMMITTER_EMAIL: 'protm@localhost',
  GIT_AUTHOR_NAME: 'protm',
  GIT_AUTHOR_EMAIL: 'protm@localhost',
};

export interface GitResult {
  ok: boolean;
  stdout: string;
  output: string;
}

export async function gitTry(cwd: string, args: string[], env: Record<string, string> = {}): Promise<GitResult> {
  const r = await execa('git', args, { cwd, env: { ...IDENTITY, ...env }, reject: false, all: true, stdin: 'ignore' });
  return { ok: r.exitCode === 0, stdout: String(r.stdout ?? ''), output: String(r.all ?? '') };
}

export async function git(cwd: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const r = await gitTry(cwd, args, env);
  if (!r.ok) throw new ProtmError(`git ${args.join(' ')} (in ${cwd}) failed:\n${r.output.trim().split('\n').slice(-10).join('\n')}`);
  return r.stdout.trim();
}

export async function isDirty(cwd: string): Promise<boolean> {
  return (await git(cwd, ['status', '--porcelain', '--untracked-files=no'])).length > 0;
}

export async function getConfig(cwd: string, key: string): Promise<string | undefined> {
  const r = await gitTry(cwd, ['config', '--get', key]);
  return r.ok ? r.stdout.trim() : undefined;
}

/**
 * The untracked files of a work tree that are the developer's, sorted.
 *
 * Normally those git does not ignore. But the pinned Linux tree is Debian's,
 * whose top-level .gitignore ends with `/*` (its packaging repository holds
 * only debian/): there git ignores every new file, so a file the developer
 * adds would be invisible to status, to every hash of the edits, and to the
 * export. In such a tree every untracked file counts, except protm's build
 * directories (.protm-*).
 */
export async function untrackedFiles(cwd: string): Promise<string[]> {
  const gitignore = join(cwd, '.gitignore');
  const ignoresAll =
    existsSync(gitignore) &&
    readFileSync(gitignore, 'utf8')
      .split('\n')
      .some((l) => l.trim() === '/*');
  const rules = ignoresAll ? ['--exclude=/.protm-*/'] : ['--exclude-standard'];
  return (await git(cwd, ['ls-files', '--others', ...rules, '-z'])).split('\0').filter(Boolean).sort();
}

/**
 * No edits to tracked files, nothing staged, and no untracked file of the
 * developer's (`untracked`: untrackedFiles(cwd), when the caller has it).
 */
export async function isClean(cwd: string, untracked?: string[]): Promise<boolean> {
  return !(await isDirty(cwd)) && (untracked ?? (await untrackedFiles(cwd))).length === 0;
}

/**
 * Hash of what a work tree holds beyond `rev`: the binary diff of tracked
 * files (committed after `rev` or not) plus every untracked, non-ignored
 * file's name and content.
 */
export async function editsHash(cwd: string, rev: string, untracked?: string[]): Promise<string> {
  const diff = (await gitTry(cwd, ['diff', rev, '--binary'])).stdout;
  untracked ??= await untrackedFiles(cwd);
  const untrackedContent = untracked.map((f) => `${f}\0${sha256(readFileSync(join(cwd, f)))}`);
  return sha256(JSON.stringify([sha256(diff), untrackedContent]));
}

/**
 * The git tree object of the work tree as it is (tracked files as edited and
 * the untracked files of untrackedFiles), written without touching the real index:
 * a copy of it is updated, so files whose stat data did not change are not
 * read again.
 */
export async function workTreeSnapshot(cwd: string, scratchIndex: string): Promise<string> {
  const gitDir = await git(cwd, ['rev-parse', '--absolute-git-dir']);
  copyFileSync(join(gitDir, 'index'), scratchIndex);
  try {
    const env = { GIT_INDEX_FILE: scratchIndex };
    // Tracked files as they are, then the untracked ones (forced: in the
    // Debian tree its .gitignore hides them all).
    await git(cwd, ['add', '--update'], env);
    const untracked = await untrackedFiles(cwd);
    if (untracked.length > 0) await git(cwd, ['add', '--force', '--', ...untracked], env);
    return await git(cwd, ['write-tree'], env);
  } finally {
    rmSync(scratchIndex, { force: true });
  }
}

/** Paths that differ between two tree objects; undefined when git no longer has `from` (pruned). */
export async function changedPaths(cwd: string, from: string, to: string): Promise<string[] | undefined> {
  const r = await gitTry(cwd, ['diff', '--name-only', '-z', from, to]);
  return r.ok ? r.stdout.split('\0').filter(Boolean) : undefined;
}

/** Of `paths`, those whose diff between two tree objects has a changed line matching `line` (a /m pattern on "+..." and "-..." lines). */
export async function pathsWithChangedLine(cwd: string, from: string, to: string, paths: string[], line: RegExp): Promise<string[]> {
  if (paths.length === 0) return [];
  const diff = await git(cwd, ['diff', '--unified=0', '--no-color', '--no-ext-diff', '--no-renames', from, to, '--', ...paths]);
  const found: string[] = [];
  // One section per file, from its "diff --git a/<path> b/<path>" line on.
  for (const section of diff.split(/^diff --git /m).slice(1)) {
    const path = paths.find((p) => section.startsWith(`a/${p} `));
    const changes = section.split('\n').filter((l) => /^[+-]/.test(l) && !/^(\+\+\+|---) /.test(l));
    if (path && line.test(changes.join('\n'))) found.push(path);
  }
  return found;
}
