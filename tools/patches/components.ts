// The patched components: which pin each series applies to and where its
// patches live.
import { join } from 'node:path';
import { ProtmError, USAGE_ERROR } from '../lib/errors.js';
import { cachePaths, repoPaths } from '../lib/paths.js';

export const COMPONENTS = ['kernel', 'mesa', 'qemu'] as const;
export type Component = (typeof COMPONENTS)[number];

const PIN_OF: Record<Component, string> = { kernel: 'linux', mesa: 'mesa', qemu: 'qemu' };

export function asComponent(name: string): Component {
  if ((COMPONENTS as readonly string[]).includes(name)) return name as Component;
  throw new ProtmError(`unknown component "${name}"`, `components: ${COMPONENTS.join(', ')}`, USAGE_ERROR);
}

export function pinOf(component: Component): string {
  return PIN_OF[component];
}

export function patchDir(component: Component): string {
  return process.env.PROTM_PATCHES_ROOT ? join(process.env.PROTM_PATCHES_ROOT, `${component}-patches`) : repoPaths.patches(component);
}

/**
 * Work trees and their build outputs sit side by side (<tree>/src,
 * <tree>/out-<config>) so that the relative path from any build directory to
 * its sources is the same "../src": ccache (with base_dir = the trees root)
 * then shares objects between the main tree and the bisect-check tree.
 */
export function treeDir(name: string): string {
  return join(cachePaths.trees(), name);
}
