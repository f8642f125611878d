// Content-keyed build products. A product is identified by a hash of
// everything that determines it (pinned inputs, configuration, our own build
// recipe); if a directory for that key exists and is complete, it is reused.
// Builds write into a temporary directory that is renamed into place only on
// success, so a failed or interrupted build is never mistaken for a finished
// one. The completion marker lists every file with its size: a product whose
// files went missing or were truncated is reported and rebuilt, never used.
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { touchUsed } from './gc.js';
import { sha256 } from './hash.js';
import { withLock } from './lock.js';
import { cachePaths } from './paths.js';
import { progress } from './progress.js';
import type { RunRecord } from './run-record.js';
import { removeStaleTemps, tempPath } from './temp.js';

const DONE = '.protm-complete';

export interface Artifact {
  dir: string;
  key: string;
  cached: boolean;
}

export function artifactKey(parts: unknown): string {
  return sha256(JSON.stringify(parts)).slice(0, 16);
}

/** Size of every regular file under `dir` (relative paths; symlinks and directories are not followed). */
function fileSizes(dir: string): Record<string, number> {
  const sizes: Record<string, number> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) sizes[relative(dir, p)] = lstatSync(p).size;
    }
  };
  walk(dir);
  return sizes;
}

/** What is wrong with a finished product's files; empty when they are as built. */
export function artifactDamage(dir: string): string[] {
  let marker: { files?: Record<string, number> };
  try {
    marker = JSON.parse(readFileSync(join(dir, DONE), 'utf8')) as { files?: Record<string, number> };
  } catch {
    return [`${DONE} is unreadable`];
  }
  if (!marker.files) {
    // Made by a protm that kept no file list: adopt it once as it stands.
    marker.files = fileSizes(dir);
    delete marker.files[DONE];
    writeFileSync(join(dir, DONE), `${JSON.stringify(marker, null, 2)}\n`);
  }
  const files = marker.files;
  const problems: string[] = [];
  for (const [file, size] of Object.entries(files)) {
    const path = join(dir, file);
    if (!existsSync(path)) problems.push(`${file}: missing`);
    else if (lstatSync(path).size !== size) problems.push(`${file}: ${lstatSync(path).size} bytes, built with ${size}`);
  }
  return problems;
}

export async function cachedArtifact(record: RunRecord, name: string, keyParts: unknown, build: (outDir: string) => Promise<void>): Promise<Artifact> {
  const key = artifactKey(keyParts);
  const dir = join(cachePaths.artifacts(), `${name}-${key}`);
  // One lock per product name, not per key: builds of a name share a work
  // directory (trees/secure/tfa, trees/target-checks...) whatever their key.
  return withLock(`artifact-${name}`, async () => {
    if (existsSync(join(dir, DONE))) {
      const damage = artifactDamage(dir);
      if (damage.length === 0) {
        touchUsed(dir);
        record.addStep({ name: `build ${name}`, status: 'cached', seconds: 0, detail: dir });
        record.set(`artifact:${name}`, { dir, key, cached: true });
        return { dir, key, cached: true };
      }
      progress.note(`! the cached ${name} (${dir}) is damaged, rebuilding it:\n  ${damage.slice(0, 5).join('\n  ')}`);
      record.log(`damaged artifact ${dir}: ${damage.join('; ')}`);
    }
    removeStaleTemps(dir);
    const tmp = tempPath(dir);
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    try {
      await build(tmp);
      writeFileSync(join(tmp, DONE), `${JSON.stringify({ name, key, keyParts, files: fileSizes(tmp) }, null, 2)}\n`);
      rmSync(dir, { recursive: true, force: true });
      renameSync(tmp, dir);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    record.set(`artifact:${name}`, { dir, key, cached: false });
    return { dir, key, cached: false };
  });
}
