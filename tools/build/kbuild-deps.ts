// Which objects of a Kbuild build directory read a given source file, from
// the dependency list Kbuild keeps beside every object it made
// (`.<object>.cmd`, written by fixdep from the compiler's own list). The
// KUnit plan (kunit-plan.ts) uses it to rebuild the modules alone after a
// header edit when no built-in object reads that header.
import { type Dirent, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, posix, relative } from 'node:path';

/**
 * For each of `files` (paths relative to the source tree `src`), the objects
 * of `buildDir` whose last compile read it, as paths relative to the build
 * directory (`drivers/tee/tee_core.o`), in no particular order. A file no
 * object read maps to an empty list.
 */
export function objectsReading(buildDir: string, src: string, files: string[]): Record<string, string[]> {
  const readers: Record<string, string[]> = Object.fromEntries(files.map((f) => [f, []]));
  if (files.length === 0) return readers;
  const names = files.map((f) => basename(f));
  for (const cmd of cmdFiles(buildDir, '')) {
    const text = readFileSync(join(buildDir, cmd), 'utf8');
    // Most objects read none of them: skip the parse.
    if (!names.some((n) => text.includes(n))) continue;
    const deps = dependencies(text, src);
    for (const f of files) if (deps.has(f)) readers[f]?.push(objectOf(cmd));
  }
  return readers;
}

/** The `.*.cmd` files under `dir` (relative to the build directory), not following links (the build directory has a `source` link to the tree). */
function* cmdFiles(root: string, dir: string): Generator<string> {
  let entries: Dirent[];
  try {
    entries = readdirSync(join(root, dir), { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const path = dir ? `${dir}/${e.name}` : e.name;
    if (e.isDirectory()) yield* cmdFiles(root, path);
    else if (e.isFile() && /^\..+\.cmd$/.test(e.name)) yield path;
  }
}

/** `drivers/tee/.tee_core.o.cmd` to `drivers/tee/tee_core.o`. */
function objectOf(cmd: string): string {
  const name = basename(cmd).slice(1, -'.cmd'.length);
  const dir = dirname(cmd);
  return dir === '.' ? name : `${dir}/${name}`;
}

/**
 * The source files a .cmd file lists (its `source_` and `deps_` variables),
 * relative to the source tree. The compiler wrote them relative to where it
 * ran: the build directory for a whole build, a module's directory in it for
 * an external-module build, with `..` steps inside paths for quoted includes
 * of other directories. The build directory lies inside the source tree
 * (tools/build/kernel.ts), so a normalized path to a source file is some
 * `../` steps up to the tree's top, then the file's path in it.
 */
export function dependencies(cmdText: string, src: string): Set<string> {
  const deps = new Set<string>();
  let inList = false;
  for (const line of cmdText.split('\n')) {
    let token: string | undefined;
    const source = /^source_\S+ := (\S+)/.exec(line);
    if (source) {
      token = source[1];
    } else if (/^deps_\S+ := \\$/.test(line)) {
      inList = true;
      continue;
    } else if (inList) {
      const m = /^\s+(.+?)\s*(\\?)$/.exec(line);
      if (!m) {
        inList = false;
        continue;
      }
      token = m[1];
      inList = m[2] === '\\';
    }
    if (!token || token.startsWith('$(')) continue;
    const path = isAbsolute(token) ? relative(src, token) : posix.normalize(token).replace(/^(\.\.\/)+/, '');
    deps.add(path);
  }
  return deps;
}
