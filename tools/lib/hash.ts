import { createHash } from 'node:crypto';
import { createReadStream, readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';

export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Hash of a set of files' names and contents (sorted, non-recursive). */
export async function sha256Files(paths: string[]): Promise<string> {
  const hash = createHash('sha256');
  for (const p of [...paths].sort()) {
    hash
      .update(p.split('/').pop() ?? p)
      .update('\0')
      .update(await readFile(p))
      .update('\0');
  }
  return hash.digest('hex');
}

/** Every regular file under `dir`, subdirectories included: relative paths, sorted. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

/**
 * Hash of the files under `dir`, subdirectories included (relative paths and
 * contents), that pass `keep`: a cache key for a source directory. Files in
 * subdirectories count as much as the others: a helper in lib/ changes what
 * gets built.
 */
export function sha256Dir(dir: string, keep: (relPath: string) => boolean = () => true): string {
  const parts = listFiles(dir)
    .filter(keep)
    .map((f) => `${f}\0${sha256(readFileSync(join(dir, f)))}`);
  return sha256(parts.join('\n'));
}
