// The Panthor uAPI header as userspace gets it from our kernel series:
// `make headers_install` of the kernel work tree, kept as a content-keyed
// artifact (keyed by the kernel tree's source header). Mesa is built against
// this file, never against a copy kept by hand.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cachedArtifact } from '../lib/artifact.js';
import { ProtmError } from '../lib/errors.js';
import { sha256 } from '../lib/hash.js';
import { runStep } from '../lib/process.js';
import type { RunRecord } from '../lib/run-record.js';
import { patchDir, treeDir } from '../patches/components.js';
import { readSeries } from '../patches/series.js';
import { buildTreeName, currentWorkTree, exactSeriesMode, readTreeState } from '../patches/worktree.js';
import { pinHash } from '../sources/fetch.js';
import { findPin, loadPins } from '../sources/pins.js';
import { withKernelTree } from './kernel.js';

const SOURCE_HEADER = 'include/uapi/drm/panthor_drm.h';

export interface UapiHeader {
  /** The installed header (usr/include/drm/panthor_drm.h of headers_install). */
  path: string;
  sha256: string;
}

/**
 * The kernel tree to take the header from. The tree lock is only taken when
 * the tree is not ready (never applied, or CI's exact tree behind the
 * series): a kernel build elsewhere holds that lock for minutes, and
 * headers_install only reads the tree (its output goes to a scratch O=).
 */
async function kernelSource(record: RunRecord): Promise<string> {
  const src = join(treeDir(buildTreeName('kernel')), 'src');
  const ready = async () => {
    if (!existsSync(join(src, '.git'))) return false;
    const state = await readTreeState(src);
    if (state.appliedHead === undefined) return false;
    return !exactSeriesMode() || state.seriesHash === readSeries(patchDir('kernel')).hash;
  };
  if (await ready()) return src;
  return withKernelTree(async () => (await currentWorkTree('kernel', record)).src);
}

export async function panthorUapiHeader(record: RunRecord): Promise<UapiHeader> {
  const src = await kernelSource(record);
  const source = join(src, SOURCE_HEADER);
  if (!existsSync(source)) throw new ProtmError(`the kernel tree has no ${SOURCE_HEADER} (${src})`);
  const sourceSha = sha256(readFileSync(source));
  const key = { linux: pinHash(findPin(loadPins(), 'linux')), header: sourceSha };
  const artifact = await cachedArtifact(record, 'panthor-uapi', key, async (dir) => {
    // A build directory of its own: headers_install must not touch the
    // kernel builds' configuration, nor write into the source tree.
    const scratch = mkdtempSync(join(tmpdir(), 'protm-headers-'));
    try {
      await runStep(
        record,
        'kernel headers_install (Panthor uAPI for Mesa)',
        'make',
        ['-C', src, `O=${scratch}`, 'ARCH=arm64', `INSTALL_HDR_PATH=${join(dir, 'usr')}`, 'headers_install'],
        { jobserver: 'make' },
      );
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
    // The tree is read without its lock: make sure it did not change meanwhile.
    if (sha256(readFileSync(source)) !== sourceSha) throw new ProtmError(`${source} changed during headers_install; run again`);
  });
  const path = join(artifact.dir, 'usr/include/drm/panthor_drm.h');
  if (!existsSync(path)) throw new ProtmError(`headers_install did not produce ${path}`);
  record.set('panthor-uapi', { kernelTree: src, sourceSha256: sourceSha, installed: path });
  return { path, sha256: sha256(readFileSync(path)) };
}
