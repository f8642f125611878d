import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findDropped, parseConfig } from '../../tools/build/kconfig.js';
import { configureKernel } from '../../tools/build/kernel.js';
import { RunRecord } from '../../tools/lib/run-record.js';
import { fetchPin } from '../../tools/sources/fetch.js';
import { findPin, loadPins } from '../../tools/sources/pins.js';

describe('kconfig fragment checks', () => {
  it('parses set, unset and "=n" options', () => {
    const v = parseConfig('CONFIG_A=y\n# CONFIG_B is not set\nCONFIG_C="x y"\nCONFIG_D=n\n# comment\n');
    expect([...v]).toEqual([
      ['CONFIG_A', 'y'],
      ['CONFIG_B', 'n'],
      ['CONFIG_C', '"x y"'],
      ['CONFIG_D', 'n'],
    ]);
  });

  it('treats an option missing from .config as not set', () => {
    expect(findDropped([{ name: 'f', text: 'CONFIG_X=n\nCONFIG_Y=y\n' }], 'CONFIG_Z=y\n')).toEqual([
      { option: 'CONFIG_Y', wanted: 'y', got: 'not set', fragment: 'f' },
    ]);
  });

  it('reports an option Kconfig drops for an unmet dependency, on the pinned kernel', async () => {
    const record = new RunRecord('test kconfig');
    const src = await fetchPin(findPin(loadPins(), 'linux'), record);
    const out = mkdtempSync(join(tmpdir(), 'protm-kconfig-'));
    try {
      // DRM_PANTHOR depends on DRM, which allnoconfig leaves off.
      const fragments = [{ name: 'broken.config', text: 'CONFIG_PRINTK=y\nCONFIG_DRM_PANTHOR=y\n' }];
      await expect(configureKernel(record, src, out, fragments)).rejects.toThrow(
        /lost 1 option[\s\S]*CONFIG_DRM_PANTHOR: wanted y, got not set \(broken\.config\)/,
      );
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
