// Content-keyed build products. A product is identified by a hash of
// everything that determines it (pinned inputs, configuration, our own build
// recipe); if a directory for that key exists and is complete, it is reused.
// Builds write into a temporary directory that is renamed into place only on
// success, so a failed build is never mistaken for a finished one.
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256 } from './hash.js';
import { cachePaths } from './paths.js';
import type { RunRecord } from './run-record.js';

const DONE = '.protm-complete';

export interface Artifact {
  dir: string;
  key: string;
  cached: boolean;
}

export function artifactKey(parts: unknown): string {
  return sha256(JSON.stringify(parts)).slice(0, 16);
}

export async function cachedArtifact(
  record: RunRecord,
  name: string,
  keyParts: unknown,
  build: (outDir: string) => Promise<void>,
): Promise<Artifact> {
  const key = artifactKey(keyParts);
  const dir = join(cachePaths.artifacts(), `${name}-${key}`);
  if (existsSync(join(dir, DONE))) {
    record.addStep({ name: `build ${name}`, status: 'cached', seconds: 0, detail: dir });
    record.set(`artifact:${name}`, { dir, key, cached: true });
    return { dir, key, cached: true };
  }
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    await build(tmp);
    writeFileSync(join(tmp, DONE), `${JSON.stringify({ name, key, keyParts }, null, 2)}\n`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  record.set(`artifact:${name}`, { dir, key, cached: false });
  return { dir, key, cached: false };
}
