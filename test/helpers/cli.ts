// Runs the real CLI as a child process, the way users and CI do.

import { join } from 'node:path';
import { execa } from 'execa';
import { repoRoot } from '../../tools/lib/paths.js';

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export async function protm(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return protmAt(repoRoot, args, env);
}

/** The CLI of another checkout (e.g. a fresh clone), run from that checkout. */
export async function protmAt(checkout: string, args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const r = await execa(process.execPath, [join(checkout, 'bin', 'protm.js'), ...args], { cwd: checkout, env, reject: false, stdin: 'ignore' });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** The --json summary: the last line of stdout. */
export function lastJson(stdout: string): Record<string, unknown> {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1] ?? '') as Record<string, unknown>;
}
