// A patch series on disk: COMPONENT-patches/series lists the patch files in
// order; 0000-cover-letter.patch carries the cover letter.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProtmError } from '../lib/errors.js';
import { sha256 } from '../lib/hash.js';

export const COVER_LETTER = '0000-cover-letter.patch';

export interface Series {
  dir: string;
  patches: string[];
  /** Identity of the series' content (patch names and bytes). */
  hash: string;
}

export function readSeries(dir: string): Series {
  const seriesFile = join(dir, 'series');
  const patches = existsSync(seriesFile)
    ? readFileSync(seriesFile, 'utf8')
        .split('\n')
        .map((l) => l.replace(/#.*/, '').trim())
        .filter((l) => l.length > 0)
    : [];
  const parts: string[] = [];
  for (const p of patches) {
    const path = join(dir, p);
    if (!existsSync(path)) throw new ProtmError(`${seriesFile} lists ${p}, which does not exist`);
    parts.push(p, sha256(readFileSync(path)));
  }
  return { dir, patches, hash: sha256(parts.join('\n')) };
}

/** The hunk of `patchFile` touching `file` around `line` (for apply errors). */
export function findHunk(patchText: string, file: string, line: number): string | undefined {
  const sections = patchText.split(/^diff --git /m).slice(1);
  const section = sections.find((s) => s.startsWith(`a/${file} `));
  if (!section) return undefined;
  const hunks = section.split(/^(?=@@ )/m).slice(1);
  const start = (h: string) => Number(/^@@ -(\d+)/.exec(h)?.[1] ?? 0);
  const best = hunks.filter((h) => start(h) <= line).pop() ?? hunks[0];
  return best?.trimEnd();
}
