// How much of the KUnit kernel a run must rebuild, from what changed in the
// work tree since the last successful build (see tools/build/kunit.ts).
//
// Only C sources and headers inside a directory that the KUnit kernel builds
// as modules alone, and headers anywhere that only such modules read, may
// take the modules path: a Kconfig or Makefile there changes what is
// configured or which modules exist (the initramfs lists them from the whole
// build's modules.order), and anything else may be built into the kernel.
import { someOf } from '../lib/text.js';

/** A directory whose code is all in modules when its Kconfig option is =m. */
export interface ModuleDir {
  dir: string;
  option: string;
}

/**
 * The directories that may be rebuilt alone, in the order their builds run:
 * Panthor uses the TEE core's exports. A directory qualifies only while its
 * option is =m in the built .config: an external-module build compiles no
 * built-in object, so a =y directory would keep its old code. Every option
 * below them depends on these (tristate), so nothing under them is built in
 * either.
 */
export const MODULE_DIRS: readonly ModuleDir[] = [
  { dir: 'drivers/tee', option: 'CONFIG_TEE' },
  { dir: 'drivers/gpu/drm/panthor', option: 'CONFIG_DRM_PANTHOR' },
];

/** An added or removed line that exports a symbol to modules. */
export const EXPORT_LINE = /^[+-].*\bEXPORT_SYMBOL\w*\s*\(/m;

/** What the last successful build was made from. */
export interface BuildState {
  /** tools/build/kunit.ts's RECIPE. */
  recipe: number;
  /** The work tree's git tree object. */
  tree: string;
  /** sha256 of the build directory's .config. */
  config: string;
}

/** What changed since the last build, as kunit.ts finds it. */
export interface Changes {
  /** Changed paths; undefined when the last build's tree cannot be compared. */
  paths: string[] | undefined;
  /** The directories of MODULE_DIRS whose option is =m in the .config. */
  modular: string[];
  /** Changed files whose diff adds or removes an export. */
  exportEdits: string[];
  /**
   * For changed headers: the objects of the last build that read each one
   * (tools/build/kbuild-deps.ts), relative to the build directory.
   */
  readers?: Record<string, string[]>;
}

export interface BuildPlan {
  /** none: nothing changed; modules: the modules of `dirs` alone; full: make Image modules. */
  kind: 'none' | 'modules' | 'full';
  reason: string;
  /** For `modules`: the directories to rebuild, in MODULE_DIRS order. */
  dirs?: string[];
}

/** The module directory holding `path` (a source file or an object), if any. */
function moduleDirHolding(path: string, modular: string[]): string | undefined {
  return modular.find((dir) => path.startsWith(`${dir}/`));
}

/** The module directory holding `path`, if it is a C source or header there. */
export function moduleDirOf(path: string, modular: string[]): string | undefined {
  return /\.[ch]$/.test(path) ? moduleDirHolding(path, modular) : undefined;
}

/** The .config's value of each option of MODULE_DIRS, to the directories built as modules. */
export function modularDirs(dotConfig: string): string[] {
  return MODULE_DIRS.filter(({ option }) => new RegExp(`^${option}=m$`, 'm').test(dotConfig)).map(({ dir }) => dir);
}

/**
 * The module directories a changed file makes rebuild, or undefined when it
 * needs the whole build. A header goes by the objects that read it when the
 * last build has any (a header of one module directory may be read by
 * another's code, one under include/ by the modules alone); a header nothing
 * read, like a new one that may hide another of the same name further down
 * the include path, goes by where it lies.
 */
function dirsFor(path: string, modular: string[], readers: string[] | undefined): string[] | undefined {
  if (path.endsWith('.h') && readers && readers.length > 0) {
    const dirs = readers.map((o) => moduleDirHolding(o, modular));
    return dirs.every(Boolean) ? (dirs as string[]) : undefined;
  }
  const dir = moduleDirOf(path, modular);
  return dir ? [dir] : undefined;
}

export function planBuild(last: BuildState | undefined, now: BuildState, changes: Changes): BuildPlan {
  const { paths, modular, exportEdits, readers = {} } = changes;
  if (!last) return { kind: 'full', reason: 'no earlier build to compare with' };
  if (last.recipe !== now.recipe) return { kind: 'full', reason: "protm's way of building it changed" };
  if (last.config !== now.config) return { kind: 'full', reason: 'the .config changed' };
  if (!paths) return { kind: 'full', reason: "the last build's products or tree are gone" };
  if (paths.length === 0) return { kind: 'none', reason: 'nothing changed since the last build' };
  const needed = new Set<string>();
  const other: string[] = [];
  for (const p of paths) {
    const dirs = dirsFor(p, modular, readers[p]);
    if (dirs) {
      for (const d of dirs) needed.add(d);
      continue;
    }
    const builtIn = (readers[p] ?? []).filter((o) => !moduleDirHolding(o, modular));
    other.push(builtIn.length > 0 ? `${p} (read by ${someOf(builtIn, 2)})` : p);
  }
  if (other.length > 0) {
    return { kind: 'full', reason: `changed outside the modules' C files (${modular.join(', ') || 'none built as modules'}): ${someOf(other, 3)}` };
  }
  // A module build checks its undefined symbols against the exports the
  // last full build listed (Module.symvers): a new export would be missing,
  // a removed one still there.
  if (exportEdits.length > 0) {
    return { kind: 'full', reason: `exports added or removed: ${someOf(exportEdits, 3)}` };
  }
  const dirs = modular.filter((dir) => needed.has(dir));
  return { kind: 'modules', reason: `only files the modules of ${dirs.join(' and ')} alone read changed (${paths.length}): those modules alone`, dirs };
}
