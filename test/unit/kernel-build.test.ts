// The point of the tool: a real arm64 kernel build from the pinned tree and
// series. Cold this takes minutes; warm (work tree, ccache, build dir in the
// cache) it is a no-op make.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { lastJson, protm } from '../helpers/cli.js';

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
