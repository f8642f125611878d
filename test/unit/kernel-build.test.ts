// The point of the tool: a real arm64 kernel build from the pinned tree and
// series. Cold this takes minutes; warm (work tree, ccache, build dir in the
// cache) it is a no-op make.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { initramfsListPath, kernelFragments, kernelOutDir, missingListFiles, replaceBrokenInitramfsList } from '../../tools/build/kernel.js';
import { treeDir } from '../../tools/patches/components.js';
import { buildTreeName } from '../../tools/patches/worktree.js';
import { lastJson, protm } from '../helpers/cli.js';

describe('kernel configuration', () => {
  it('names the initramfs list the same way in every tree, so that they share one autoconf.h and their objects', () => {
    const cache = mkdtempSync(join(tmpdir(), 'protm-fragments-'));
    vi.stubEnv('PROTM_CACHE', cache);
    try {
      const build = buildTreeName('kernel');
      const initramfsLine = (tree: string, debug = false) => kernelFragments({ debug }, kernelOutDir(tree, { debug })).at(-1)?.text;
      mkdirSync(dirname(initramfsListPath()), { recursive: true });
      writeFileSync(initramfsListPath(), 'dir /dev 0755 0 0\ndir /protm 0755 0 0\n');
      expect(initramfsLine(build)).toBe('CONFIG_INITRAMFS_SOURCE="../../initramfs.list"\n');
      expect(initramfsLine(build, true)).toBe(initramfsLine(build));
      // The bisect-check tree: the same line, naming its own copy of the list.
      expect(initramfsLine('kernel-check')).toBe(initramfsLine(build));
      expect(readFileSync(join(treeDir('kernel-check'), 'initramfs.list'), 'utf8')).toBe(readFileSync(initramfsListPath(), 'utf8'));
    } finally {
      vi.unstubAllEnvs();
      rmSync(cache, { recursive: true, force: true });
    }
  });

  it("before this run's root filesystem, the kernel compiles with the last list, or a placeholder when that list names files that are gone", () => {
    const cache = mkdtempSync(join(tmpdir(), 'protm-early-list-'));
    vi.stubEnv('PROTM_CACHE', cache);
    try {
      const present = join(cache, 'present');
      writeFileSync(present, '#!/bin/sh\n');
      const gone = join(cache, 'rootfs-removed-by-gc/init');
      const list = (...files: string[]) => ['dir /dev 0755 0 0', ...files.map((f, i) => `file /f${i} ${f} 0755 0 0`), ''].join('\n');
      expect(missingListFiles(list(present, gone, present))).toEqual([gone]);
      expect(missingListFiles('dir /dev 0755 0 0\nslink /lib usr/lib 0777 0 0\n')).toEqual([]);

      expect(replaceBrokenInitramfsList()).toBe(false); // no list yet: the build writes its own
      mkdirSync(dirname(initramfsListPath()), { recursive: true });
      writeFileSync(initramfsListPath(), list(present));
      expect(replaceBrokenInitramfsList()).toBe(false);
      expect(readFileSync(initramfsListPath(), 'utf8')).toBe(list(present));
      writeFileSync(initramfsListPath(), list(present, gone));
      expect(replaceBrokenInitramfsList()).toBe(true);
      const placeholder = readFileSync(initramfsListPath(), 'utf8');
      expect(placeholder).toMatch(/^nod \/dev\/console /m);
      expect(missingListFiles(placeholder)).toEqual([]);
    } finally {
      vi.unstubAllEnvs();
      rmSync(cache, { recursive: true, force: true });
    }
  });
});

describe('protm build kernel', () => {
  it('produces an arm64 Image with Panthor and the TEE protected heaps configured', async () => {
    const r = await protm(['build', 'kernel', '--json']);
    const summary = lastJson(r.stdout);
    expect(summary.status, r.stderr.slice(-3000)).toBe('ok');
    const image = summary.image as string;
    expect(existsSync(image)).toBe(true);
    // arm64 Image header: "ARMd" magic at offset 56.
    expect(readFileSync(image).subarray(56, 60).toString('latin1')).toBe('ARM\x64');
    const config = readFileSync(summary.config as string, 'utf8');
    for (const opt of ['CONFIG_DRM_PANTHOR=y', 'CONFIG_TEE_DMABUF_HEAPS=y', 'CONFIG_OPTEE_STATIC_PROTMEM_POOL=y', 'CONFIG_ARM64=y'])
      expect(config).toContain(`\n${opt}\n`);
    const metadata = JSON.parse(readFileSync(summary.metadata as string, 'utf8'));
    // The exact command, with the PROTM_ variables it ran under (the test command sets PROTM_EXACT_SERIES).
    expect(metadata.reproduce.slice(-5)).toEqual(['npx', 'protm', 'build', 'kernel', '--json']);
    expect(metadata.reproduce).toContain('PROTM_EXACT_SERIES=1');
    expect(metadata.kernel.imageSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(metadata.pins.linux.version).toBe('7.2.13-1');
    expect(metadata.kernel.configHash).toMatch(/^[0-9a-f]{16}$/);
  });
});
