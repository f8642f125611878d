// Temporary siblings of cache entries ("<final>.tmp-<pid>"): a product is
// built under such a name and renamed into place only when complete. A
// process killed mid-build leaves its temporary behind; the next process to
// build the same entry removes those whose owner is gone.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { pidAlive } from './lock.js';

export function tempPath(final: string): string {
  return `${final}.tmp-${process.pid}`;
}

/** Remove `<final>.tmp-<pid>*` left by processes that no longer run. */
export function removeStaleTemps(final: string): string[] {
  const dir = dirname(final);
  if (!existsSync(dir)) return [];
  const prefix = `${basename(final)}.tmp-`;
  const removed: string[] = [];
  for (const name of readdirSync(dir)) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number.parseInt(name.slice(prefix.length), 10);
    if (Number.isFinite(pid) && pid !== process.pid && pidAlive(pid)) continue;
    rmSync(join(dir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}
