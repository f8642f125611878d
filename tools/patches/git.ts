// Git plumbing for work trees. Commits use a fixed committer identity and the
// author date, so applying the same series twice yields the same commits and
// exporting them yields the same bytes.
import { execa } from 'execa';
import { ProtmError } from '../lib/errors.js';

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
