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

/** Whether `name` is a temporary ("….tmp-<pid>…") whose process is gone (or is this one, about to start afresh). */
export function isStaleTemp(name: string): boolean {
  const pid = /\.tmp-(\d+)/.exec(name)?.[1];
  return pid !== undefined && (Number(pid) === process.pid || !pidAlive(Number(pid)));
}

/** Remove `<final>.tmp-<pid>*` left by processes that no longer run. */
export function removeStaleTemps(final: string): string[] {
  const dir = dirname(final);
  if (!existsSync(dir)) return [];
  const prefix = `${basename(final)}.tmp-`;
  const removed: string[] = [];
  for (const name of readdirSync(dir)) {
    if (!name.startsWith(prefix) || !isStaleTemp(name)) continue;
    rmSync(join(dir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}
