// `protm patches export`: write the work tree's commits back as
// `git format-patch` files, the series file and the cover letter. Output is
// byte-stable: --zero-commit and no signature keep tool versions and commit
// ids out of the files, so re-exporting an unchanged tree changes nothing.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { ProtmError } from '../lib/errors.js';
import { repoRoot } from '../lib/paths.js';
import { someOf } from '../lib/text.js';
import { type Component, patchDir } from './components.js';
import { git, gitTry, isDirty, untrackedFiles } from './git.js';
import { COVER_LETTER } from './series.js';
import { BASE_TAG, seriesCommits } from './worktree.js';

export interface ExportResult {
  dir: string;
  patches: string[];
  changed: string[];
}

interface CoverProse {
  title: string;
  body: string;
}

const PLACEHOLDER_TITLE = '(series title: edit this cover letter)';

/** Title and prose of an existing cover letter, without the generated parts. */
export function readCoverProse(text: string | undefined, component: Component): CoverProse {
  if (!text) return { title: PLACEHOLDER_TITLE, body: `(describe the ${component} series here)` };
  const title = /^Subject: \[[^\]]*\] ?(.*)$/m.exec(text)?.[1] ?? PLACEHOLDER_TITLE;
  const afterHeaders = text.slice(text.indexOf('\n\n') + 2);
  // The generated part starts with the shortlog ("Name (N):") or, for an
  // empty series, the marker line.
  const end = afterHeaders.search(/^(\S.* \(\d+\):|No patches yet\.)$/m);
  return { title, body: (end >= 0 ? afterHeaders.slice(0, end) : afterHeaders).trimEnd() };
}

/**
 * Who exports: the git identity of the checkout (user.name and user.email,
 * or GIT_AUTHOR_NAME/EMAIL), never a placeholder of ours.
 */
export async function exporterIdentity(): Promise<string> {
  // Not through git()/gitTry(): they pin protm's own identity for its commits.
  const r = await execa('git', ['var', 'GIT_AUTHOR_IDENT'], { cwd: repoRoot, reject: false, stdin: 'ignore' });
  const ident = /^(.*<[^>]*>)/.exec(String(r.stdout).trim())?.[1];
  if (r.exitCode !== 0 || !ident) {
    throw new ProtmError(
      'exported patches carry your git identity, and git has none',
      'set it: git config --global user.name "Your Name"; git config --global user.email you@example.org',
    );
  }
  return ident;
}

/**
 * The patch as `who` exports it: their From:, and their Signed-off-by in
 * place of the one the previous author gave (or added, when missing).
 */
export function stampIdentity(patch: string, who: string): string {
  // format-patch folds a long From: header onto continuation lines (starting
  // with white space): the header is all of them, unfolded.
  const header = /^From: .*(?:\n[ \t].*)*$/m;
  const previous = header
    .exec(patch)?.[0]
    .replace(/^From: /, '')
    .replace(/\n[ \t]+/g, ' ');
  const stamped = patch.replace(header, `From: ${who}`);
  const end = stamped.indexOf('\n---\n');
  if (end < 0) return stamped;
  let message = stamped
    .slice(0, end)
    .split('\n')
    .map((l) => (previous && l === `Signed-off-by: ${previous}` ? `Signed-off-by: ${who}` : l))
    .join('\n');
  if (!message.split('\n').includes(`Signed-off-by: ${who}`)) {
    // Trailers form the message's last paragraph: join the existing block,
    // or start one after a blank line.
    const last = message.trimEnd().split('\n').pop() ?? '';
    const inTrailers = /^[A-Za-z0-9-]+: \S/.test(last);
    message = `${message.trimEnd()}\n${inTrailers ? '' : '\n'}Signed-off-by: ${who}`;
  }
  return message + stamped.slice(end);
}

async function composeCover(prose: CoverProse, count: number, who: string, src: string): Promise<string> {
  const from = who;
  const prefix = count > 0 ? `[PATCH 0/${count}]` : '[PATCH 0/0]';
  const generated =
    count > 0
      ? `${await git(src, ['shortlog', `${BASE_TAG}..HEAD`])}\n\n${(await gitTry(src, ['diff', '--stat=72', '--summary', BASE_TAG, 'HEAD'])).stdout.trimEnd()}`
      : 'No patches yet.';
  return [
    'From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001',
    `From: ${from}`,
    `Subject: ${prefix} ${prose.title}`,
    '',
    prose.body,
    '',
    generated,
    '',
  ].join('\n');
}

export async function exportSeries(component: Component, src: string): Promise<ExportResult> {
  if (await isDirty(src)) throw new ProtmError(`the ${component} work tree ${src} has uncommitted changes`, 'commit them first: each commit becomes one patch');
  const untracked = await untrackedFiles(src);
  if (untracked.length > 0) {
    throw new ProtmError(
      `the ${component} work tree ${src} has files in no commit, which the export would leave out: ${someOf(untracked, 5)}`,
      'commit them (`git add -f`: the pinned Linux tree ignores every new file) or remove them',
    );
  }
  const dir = patchDir(component);
  mkdirSync(dir, { recursive: true });
  const who = await exporterIdentity();
  const commits = await seriesCommits(src);
  const scratch = join(src, '..', `export-${process.pid}`);
  rmSync(scratch, { recursive: true, force: true });
  try {
    const files = new Map<string, string>();
    if (commits.length > 0) {
      const numbering = commits.length > 1 ? ['--numbered'] : ['--no-numbered'];
      // A fixed abbreviation keeps "index" lines stable as the repository grows.
      await git(src, [
        '-c',
        'core.abbrev=12',
        'format-patch',
        '-q',
        '--zero-commit',
        '--no-signature',
        '--no-binary',
        ...numbering,
        '-o',
        scratch,
        `${BASE_TAG}..HEAD`,
      ]);
      for (const name of readdirSync(scratch).sort()) files.set(name, stampIdentity(readFileSync(join(scratch, name), 'utf8'), who));
    }
    const patches = [...files.keys()];
    const coverPath = join(dir, COVER_LETTER);
    const prose = readCoverProse(existsSync(coverPath) ? readFileSync(coverPath, 'utf8') : undefined, component);
    files.set(COVER_LETTER, await composeCover(prose, commits.length, who, src));
    files.set('series', patches.map((p) => `${p}\n`).join(''));
    const changed: string[] = [];
    for (const [name, content] of files) {
      const path = join(dir, name);
      if (existsSync(path) && readFileSync(path, 'utf8') === content) continue;
      writeFileSync(path, content);
      changed.push(name);
    }
    for (const stale of readdirSync(dir).filter((f) => f.endsWith('.patch') && !files.has(f))) {
      rmSync(join(dir, stale));
      changed.push(`${stale} (removed)`);
    }
    return { dir, patches, changed };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
