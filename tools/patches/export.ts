// `protm patches export`: write the work tree's commits back as
// `git format-patch` files, the series file and the cover letter. Output is
// byte-stable: --zero-commit and no signature keep tool versions and commit
// ids out of the files, so re-exporting an unchanged tree changes nothing.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProtmError } from '../lib/errors.js';
import { type Component, patchDir } from './components.js';
import { git, gitTry, isDirty } from './git.js';
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

async function composeCover(src: string, prose: CoverProse, count: number): Promise<string> {
  const from = count > 0 ? await git(src, ['log', '-1', '--format=%an <%ae>', 'HEAD']) : 'protm <protm@localhost>';
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
  const dir = patchDir(component);
  mkdirSync(dir, { recursive: true });
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
      for (const name of readdirSync(scratch).sort()) files.set(name, readFileSync(join(scratch, name), 'utf8'));
    }
    const patches = [...files.keys()];
    const coverPath = join(dir, COVER_LETTER);
    const prose = readCoverProse(existsSync(coverPath) ? readFileSync(coverPath, 'utf8') : undefined, component);
    files.set(COVER_LETTER, await composeCover(src, prose, commits.length));
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
