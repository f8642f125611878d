// Git plumbing for work trees. Commits use a fixed committer identity and the
// author date, so applying the same series twice yields the same commits and
// exporting them yields the same bytes.
import { copyFileSync, readFileSync, rmSync } from 'node:fs';
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
 * Hash of what a work tree holds beyond `rev`: the binary diff of tracked
 * files (committed after `rev` or not) plus every untracked, non-ignored
 * file's name and content.
 */
export async function editsHash(cwd: string, rev: string): Promise<string> {
  const diff = (await gitTry(cwd, ['diff', rev, '--binary'])).stdout;
  const untracked = (await git(cwd, ['ls-files', '--others', '--exclude-standard', '-z'])).split('\0').filter(Boolean).sort();
  const untrackedContent = untracked.map((f) => `${f}\0${sha256(readFileSync(join(cwd, f)))}`);
  return sha256(JSON.stringify([sha256(diff), untrackedContent]));
}

/**
 * The git tree object of the work tree as it is (tracked files as edited and
 * untracked, non-ignored files), written without touching the real index:
 * a copy of it is updated, so files whose stat data did not change are not
 * read again.
 */
export async function workTreeSnapshot(cwd: string, scratchIndex: string): Promise<string> {
  const gitDir = await git(cwd, ['rev-parse', '--absolute-git-dir']);
  copyFileSync(join(gitDir, 'index'), scratchIndex);
  try {
    const env = { GIT_INDEX_FILE: scratchIndex };
    await git(cwd, ['add', '--all'], env);
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
