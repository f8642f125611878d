// An arm64 userland on this machine for the host checks: the target's
// libraries, the Vulkan loader and vulkaninfo (the same pinned Debian
// packages the target's root filesystem has) and our Mesa build. QEMU's
// user-mode emulator runs arm64 programs with it as their root (-L), so the
// host checks run the very binaries the target runs, on Mesa's drm-shim.
import { join } from 'node:path';
import { cachedArtifact } from '../lib/artifact.js';
import type { RunRecord } from '../lib/run-record.js';
import { pinHash } from '../sources/fetch.js';
import { findPin, loadPins } from '../sources/pins.js';
import type { MesaBuild } from './mesa.js';
import { stageDebianPins, stageInstalledTree } from './rootfs.js';

const PINS = ['target-libs', 'mesa-runtime'];
const RECIPE = 1;

/** The sysroot's directory (a content-keyed artifact). */
export async function mesaSysroot(record: RunRecord, mesa: MesaBuild): Promise<string> {
  const pins = loadPins();
  const key = { pins: PINS.map((n) => pinHash(findPin(pins, n))), mesa: mesa.key, recipe: RECIPE };
  const artifact = await cachedArtifact(record, 'mesa-sysroot', key, async (dir) => {
    const root = join(dir, 'root');
    await stageDebianPins(record, root, PINS);
    stageInstalledTree(mesa.root, root);
  });
  return join(artifact.dir, 'root');
}
