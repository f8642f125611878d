// Keeping the cache from growing without bound: run records beyond the newest
// few are removed (automatically at every command, and by `protm gc`), and
// `protm gc` also removes build products unused for a while and temporaries
// and locks left by processes that are gone.
import { existsSync, readdirSync, readFileSync, rmSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { pidAlive } from './lock.js';
import { cachePaths } from './paths.js';

/** Run records kept by the automatic pruning (PROTM_KEEP_RUNS overrides). */
export const DEFAULT_KEEP_RUNS = 100;

function dirSize(path: string): number {
  let total = 0;
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) return 0;
  if (!st.isDirectory()) return st.size;
  for (const e of readdirSync(path, { withFileTypes: true })) {
    const p = join(path, e.name);
    total += e.isDirectory() ? dirSize(p) : e.isFile() ? statSync(p).size : 0;
  }
  return total;
}

export interface Removed {
  path: string;
  bytes: number;
}

function remove(path: string, removed: Removed[]): void {
  removed.push({ path, bytes: dirSize(path) });
  rmSync(path, { recursive: true, force: true });
}

/**
 * Keep the newest `keep` run records, counting `current` (the running
 * command's own, never removed); names start with their ISO time, so they sort.
 */
export function pruneRuns(keep: number, current: string): Removed[] {
  const dir = cachePaths.runs();
  if (!existsSync(dir)) return [];
  const removed: Removed[] = [];
  const others = readdirSync(dir)
    .filter((n) => join(dir, n) !== current)
    .sort()
    .reverse();
  for (const name of others.slice(Math.max(0, keep - 1))) remove(join(dir, name), removed);
  return removed;
}

/** Mark a build product as used now (its directory's mtime), for `pruneArtifacts`. */
export function touchUsed(dir: string): void {
  const now = new Date();
  utimesSync(dir, now, now);
}

/** Remove build products not used for `days` days. */
export function pruneArtifacts(days: number): Removed[] {
  const dir = cachePaths.artifacts();
  if (!existsSync(dir)) return [];
  const removed: Removed[] = [];
  const cutoff = Date.now() - days * 86_400_000;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).mtimeMs < cutoff) remove(path, removed);
  }
  return removed;
}

/** Temporaries ("*.tmp-<pid>") and lock files whose process is gone, anywhere one level below the cache's areas. */
export function pruneLeftovers(): Removed[] {
  const removed: Removed[] = [];
  for (const area of [cachePaths.artifacts(), cachePaths.downloads(), cachePaths.sources(), cachePaths.trees(), cachePaths.buildRoots()]) {
    if (!existsSync(area)) continue;
    for (const name of readdirSync(area)) {
      const m = /\.tmp-(\d+)/.exec(name);
      if (m && !pidAlive(Number(m[1]))) remove(join(area, name), removed);
      const sub = join(area, name);
      if (!m && statSync(sub).isDirectory()) {
        for (const inner of readdirSync(sub)) {
          const n = /\.tmp-(\d+)/.exec(inner);
          if (n && !pidAlive(Number(n[1]))) remove(join(sub, inner), removed);
        }
      }
    }
  }
  const locks = cachePaths.locks();
  if (existsSync(locks)) {
    for (const name of readdirSync(locks)) {
      try {
        const holder = JSON.parse(readFileSync(join(locks, name), 'utf8')) as { pid: number };
        if (!pidAlive(holder.pid)) remove(join(locks, name), removed);
      } catch {
        remove(join(locks, name), removed);
      }
    }
  }
  return removed;
}
