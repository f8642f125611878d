// Keeping the cache from growing without bound: run records beyond the newest
// few are removed (automatically at every command, and by `protm gc`), and
// `protm gc` also removes build products unused for a while and temporaries
// and locks left by processes that are gone.
import { existsSync, readdirSync, readFileSync, rmSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { pidAlive, readHolder } from './lock.js';
import { cachePaths } from './paths.js';
import { isStaleTemp } from './temp.js';

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

/** In a run record until its metadata.json is written: the pid of the protm writing it. */
export const RUNNING_FILE = 'running.pid';

/** A record another protm, still alive, is writing (a long boot may be older than many short runs). */
function inProgress(record: string): boolean {
  try {
    return pidAlive(Number(readFileSync(join(record, RUNNING_FILE), 'utf8')));
  } catch {
    return false;
  }
}

/**
 * Keep the newest `keep` run records, counting `current` (the running
 * command's own, never removed) and never removing one still being written;
 * names start with their ISO time, so they sort.
 */
export function pruneRuns(keep: number, current: string): Removed[] {
  const dir = cachePaths.runs();
  if (!existsSync(dir)) return [];
  const removed: Removed[] = [];
  const others = readdirSync(dir)
    .filter((n) => join(dir, n) !== current)
    .sort()
    .reverse();
  for (const name of others.slice(Math.max(0, keep - 1))) {
    if (!inProgress(join(dir, name))) remove(join(dir, name), removed);
  }
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

/**
 * Build directories that no current protm writes, relative to a work tree's
 * directory (trees/<name>/), except in the trees named by `keepIn`: the
 * ROCK 5B's own kernel build (some 400 MB a tree) from before one kernel
 * configuration served both targets, and the host checks' native Mesa builds
 * (some 300 MB a tree) from before they ran the target's arm64 build; only
 * `patches check mesa` still builds natively, in trees/mesa-check.
 */
const OBSOLETE_BUILD_DIRS: { path: string; keepIn?: string[] }[] = [{ path: join('src', '.protm-out-rock5b') }, { path: 'out-native', keepIn: ['mesa-check'] }];

/**
 * Temporaries ("*.tmp-<pid>") and lock files whose process is gone, in the
 * cache's areas and one level below, and obsolete build directories.
 */
export function pruneLeftovers(): Removed[] {
  const removed: Removed[] = [];
  const trees = cachePaths.trees();
  if (existsSync(trees)) {
    for (const tree of readdirSync(trees)) {
      for (const { path, keepIn } of OBSOLETE_BUILD_DIRS) {
        const full = join(trees, tree, path);
        if (!keepIn?.includes(tree) && existsSync(full)) remove(full, removed);
      }
    }
  }
  const pruneTemps = (dir: string, depth: number) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (isStaleTemp(name)) remove(path, removed);
      else if (depth > 0 && statSync(path).isDirectory()) pruneTemps(path, depth - 1);
    }
  };
  for (const area of [
    cachePaths.artifacts(),
    cachePaths.downloads(),
    cachePaths.sources(),
    cachePaths.trees(),
    cachePaths.buildRoots(),
    cachePaths.jobserver(),
  ]) {
    if (existsSync(area)) pruneTemps(area, 1);
  }
  const locks = cachePaths.locks();
  if (existsSync(locks)) {
    for (const name of readdirSync(locks)) {
      const holder = readHolder(join(locks, name));
      if (!holder || !pidAlive(holder.pid)) remove(join(locks, name), removed);
    }
  }
  return removed;
}
