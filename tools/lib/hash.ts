import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

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

/** Hash of every regular file directly inside `dir` whose name passes `keep`. */
export async function sha256Dir(dir: string, keep: (name: string) => boolean = () => true): Promise<string> {
  const names = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile() && keep(e.name)).map((e) => join(dir, e.name));
  return sha256Files(names);
}
