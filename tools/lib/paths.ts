// Where protm keeps things. Everything a build writes lives under the cache
// (default ~/.cache/protm, or $PROTM_CACHE), never in the checkout's tracked files.
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function cacheDir(): string {
  const fromEnv = process.env.PROTM_CACHE;
  return fromEnv && fromEnv.length > 0 ? resolve(fromEnv) : join(homedir(), '.cache', 'protm');
}

/**
 * Another protm cache to borrow from (PROTM_SHARED_CACHE): its verified
 * downloads are copied instead of downloaded again (and checked against the
 * pins like any download), and its ccache directory is shared. Used by the
 * first-run test, which starts from an empty cache.
 */
export function sharedCacheDir(): string | undefined {
  const dir = process.env.PROTM_SHARED_CACHE;
  return dir && dir.length > 0 ? resolve(dir) : undefined;
}

export const cachePaths = {
  /** Private apt state: lists, downloaded archives. */
  apt: () => join(cacheDir(), 'apt'),
  /** Verified downloads, one directory per pin and version. */
  downloads: () => join(cacheDir(), 'downloads'),
  /** Unpacked pristine sources, read-only by convention. */
  sources: () => join(cacheDir(), 'sources'),
  /** Git work trees (src) and their build outputs (out-*), side by side. */
  trees: () => join(cacheDir(), 'trees'),
  /** Build products of non-git components (TF-A, OP-TEE, rootfs). */
  artifacts: () => join(cacheDir(), 'artifacts'),
  /** One directory per command run: logs and metadata.json. */
  runs: () => join(cacheDir(), 'runs'),
  ccache: () => join(sharedCacheDir() ?? cacheDir(), 'ccache'),
  buildRoots: () => join(cacheDir(), 'buildroots'),
  /** The FIFOs of the processes' pools of cores (tools/lib/jobserver.ts). */
  jobserver: () => join(cacheDir(), 'jobserver'),
  /** Inter-process locks (one file per locked resource, naming its holder). */
  locks: () => join(cacheDir(), 'locks'),
};

export const repoPaths = {
  pins: () => join(repoRoot, 'images', 'pins.json'),
  kernelFragments: () => join(repoRoot, 'images', 'kernel'),
  patches: (component: string) => join(repoRoot, `${component}-patches`),
};
