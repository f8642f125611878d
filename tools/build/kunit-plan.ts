// How much of the KUnit kernel a run must rebuild, from what changed in the
// work tree since the last successful build (see tools/build/kunit.ts).
//
// Only C sources and headers inside Panthor's directory may take the modules
// path: a Kconfig or Makefile there changes what is configured or which
// modules exist (the initramfs lists them from the whole build's
// modules.order), and anything outside may be built into the kernel.
import { someOf } from '../lib/text.js';

export const PANTHOR_DIR = 'drivers/gpu/drm/panthor';

/** What the last successful build was made from. */
export interface BuildState {
  /** tools/build/kunit.ts's RECIPE. */
  recipe: number;
  /** The work tree's git tree object. */
  tree: string;
  /** sha256 of the build directory's .config. */
  config: string;
}

export interface BuildPlan {
  /** none: nothing changed; modules: Panthor's modules alone; full: make Image modules. */
  kind: 'none' | 'modules' | 'full';
  reason: string;
}

export function isPanthorSource(path: string): boolean {
  return path.startsWith(`${PANTHOR_DIR}/`) && /\.[ch]$/.test(path);
}

/**
 * `changed` is undefined when the last build's tree cannot be compared (no
 * build yet, its products missing, or git pruned its tree object).
 */
export function planBuild(last: BuildState | undefined, now: BuildState, changed: string[] | undefined): BuildPlan {
  if (!last) return { kind: 'full', reason: 'no earlier build to compare with' };
  if (last.recipe !== now.recipe) return { kind: 'full', reason: "protm's way of building it changed" };
  if (last.config !== now.config) return { kind: 'full', reason: 'the .config changed' };
  if (!changed) return { kind: 'full', reason: "the last build's products or tree are gone" };
  if (changed.length === 0) return { kind: 'none', reason: 'nothing changed since the last build' };
  const other = changed.filter((p) => !isPanthorSource(p));
  if (other.length > 0) {
    return { kind: 'full', reason: `changed outside Panthor's C files: ${someOf(other, 3)}` };
  }
  return { kind: 'modules', reason: `only Panthor's C files changed (${changed.length}): its modules alone` };
}
