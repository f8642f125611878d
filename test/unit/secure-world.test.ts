// The secure-world profiles (images/secure/*.json) and the OP-TEE patch that
// reserves the static SDP pool: checks that need no build and no boot.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  guestRam,
  loadSecureProfile,
  type SecureProfile,
  sdpPlacementProblems,
  secureProfileNames,
  secureProfilesDir,
  staticSdpRegion,
} from '../../tools/build/secure-world.js';
import { RunRecord } from '../../tools/lib/run-record.js';
import { fetchPin } from '../../tools/sources/fetch.js';
import { findPin, loadPins } from '../../tools/sources/pins.js';

const MiB = 1024n * 1024n;

function overlaps(a: { base: bigint; size: bigint }, b: { base: bigint; size: bigint }): boolean {
  return a.base < b.base + b.size && b.base < a.base + a.size;
}

function withMake(p: SecureProfile, make: Record<string, string>): SecureProfile {
  return { ...p, optee: { make: { ...p.optee.make, ...make } } };
}

describe('secure-world profiles', () => {
  it('images/secure holds the dynamic and static profiles, and both validate', () => {
    expect(secureProfileNames()).toEqual(['dynamic', 'static']);
    for (const name of secureProfileNames()) expect(loadSecureProfile(name).name).toBe(name);
  });

  it('static: the SDP pool is page aligned and inside the guest RAM (0x40000000 + 1 GiB)', () => {
    const p = loadSecureProfile('static');
    const sdp = staticSdpRegion(p);
    const ram = guestRam(p);
    expect(sdp).toBeDefined();
    expect(ram).toEqual({ base: 0x40000000n, size: 1024n * MiB });
    expect(sdp!.base % 4096n).toBe(0n);
    expect(sdp!.size % 4096n).toBe(0n);
    expect(sdp!.size).toBeGreaterThan(0n);
    expect(sdp!.base).toBeGreaterThanOrEqual(ram.base);
    expect(sdp!.base + sdp!.size).toBeLessThanOrEqual(ram.base + ram.size);
    expect(sdpPlacementProblems(p)).toEqual([]);
  });

  it('static: the SDP pool misses the DTB, OP-TEE static SHM and 64 MiB above the BL33 load address', () => {
    const sdp = staticSdpRegion(loadSecureProfile('static'))!;
    // TF-A plat/qemu/qemu/include/platform_def.h: PLAT_QEMU_DT_BASE, PLAT_QEMU_DT_MAX_SIZE.
    expect(overlaps(sdp, { base: 0x40000000n, size: 0x100000n })).toBe(false);
    // OP-TEE plat-vexpress/conf.mk (qemu_armv8a): CFG_SHMEM_START, CFG_SHMEM_SIZE.
    expect(overlaps(sdp, { base: 0x42000000n, size: 0x200000n })).toBe(false);
    // TF-A loads bl33.bin (the kernel Image) at NS_IMAGE_OFFSET = 0x60000000.
    expect(overlaps(sdp, { base: 0x60000000n, size: 64n * MiB })).toBe(false);
  });

  it('static: OP-TEE reports the pool itself (CFG_CORE_DYN_PROTMEM off)', () => {
    const o = loadSecureProfile('static').optee.make;
    expect(o.CFG_SECURE_DATA_PATH).toBe('y');
    expect(o.CFG_CORE_DYN_PROTMEM ?? 'n').toBe('n');
  });

  it('dynamic: memory is lent on demand and there is no static pool', () => {
    const p = loadSecureProfile('dynamic');
    expect(p.optee.make.CFG_CORE_DYN_PROTMEM).toBe('y');
    expect(p.optee.make.CFG_TEE_SDP_MEM_BASE).toBeUndefined();
    expect(staticSdpRegion(p)).toBeUndefined();
  });

  it('both profiles expect the protected,secure-video heap', () => {
    for (const name of secureProfileNames()) expect(loadSecureProfile(name).protectedMemory.heaps).toContain('protected,secure-video');
  });

  it('the profiles differ only in the protected-memory variables', () => {
    const strip = (p: SecureProfile) => {
      const { CFG_CORE_DYN_PROTMEM: _d, CFG_TEE_SDP_MEM_BASE: _b, CFG_TEE_SDP_MEM_SIZE: _s, ...rest } = p.optee.make;
      return { optee: rest, tfa: p.tfa.make, machine: { ramBase: p.machine.ramBase, ramMiB: p.machine.ramMiB } };
    };
    expect(strip(loadSecureProfile('static'))).toEqual(strip(loadSecureProfile('dynamic')));
  });

  it('TF-A variables name no BL32/BL33 image, so neither OP-TEE nor the kernel is built into TF-A', () => {
    for (const name of secureProfileNames()) {
      const tfa = loadSecureProfile(name).tfa.make;
      for (const v of ['BL32', 'BL32_EXTRA1', 'BL32_EXTRA2', 'BL33']) expect(tfa[v]).toBeUndefined();
      expect(tfa.SPD).toBe('opteed');
      expect(tfa.ARM_LINUX_KERNEL_AS_BL33).toBe('1');
    }
  });

  it("sdpPlacementProblems rejects OP-TEE's default range 0x0ec00000, unaligned ranges and ranges past the end of RAM", () => {
    const p = loadSecureProfile('static');
    expect(sdpPlacementProblems(withMake(p, { CFG_TEE_SDP_MEM_BASE: '0x0ec00000', CFG_TEE_SDP_MEM_SIZE: '0x00400000' })).join()).toMatch(
      /not inside the guest RAM/,
    );
    expect(sdpPlacementProblems(withMake(p, { CFG_TEE_SDP_MEM_BASE: '0x7f000800' })).join()).toMatch(/not page aligned/);
    expect(sdpPlacementProblems(withMake(p, { CFG_TEE_SDP_MEM_SIZE: '0x01000800' })).join()).toMatch(/not page aligned/);
    expect(sdpPlacementProblems(withMake(p, { CFG_TEE_SDP_MEM_BASE: '0x7f800000' })).join()).toMatch(/not inside the guest RAM/);
  });
});

describe('OP-TEE patch reserving the static SDP pool', () => {
  const patchDir = join(secureProfilesDir(), 'optee-os-patches');
  const patches = existsSync(patchDir)
    ? readdirSync(patchDir)
        .filter((f) => f.endsWith('.patch'))
        .sort()
    : [];
  // The pinned tree is fetched here (or found in the cache), never assumed.
  let optee = '';
  beforeAll(async () => {
    optee = await fetchPin(findPin(loadPins(), 'optee-os'), new RunRecord('unit-secure-world'));
  });

  it('adds a reserved-memory node from CFG_TEE_SDP_MEM_BASE/SIZE, only when a static pool is configured (text of the patch)', () => {
    expect(patches).toEqual([
      '0001-core-arm-reserve-the-static-SDP-pool-in-the-external-DT.patch',
      '0002-plat-vexpress-qemu-program-the-TZC-400-of-virt-tzc-on.patch',
    ]);
    const text = readFileSync(join(patchDir, patches[0]!), 'utf8');
    const added = text
      .split('\n')
      .filter((l) => l.startsWith('+') && !l.startsWith('+++'))
      .join('\n');
    expect(added).toContain('#if defined(CFG_SECURE_DATA_PATH) && defined(CFG_TEE_SDP_MEM_BASE)');
    expect(added).toMatch(/add_res_mem_dt_node\(dt, "optee_sdp", CFG_TEE_SDP_MEM_BASE,\s*\n\+\s*CFG_TEE_SDP_MEM_SIZE\)/);
    expect(added).toContain('mark_static_sdp_as_reserved(dt)');
  });

  it('applies to the pinned optee-os tree (patch --dry-run)', () => {
    for (const p of patches) {
      execFileSync('patch', ['--dry-run', '-p1', '--forward', '--batch', '-d', optee, '-i', join(patchDir, p)], { stdio: 'pipe' });
    }
  });

  it('add_res_mem_dt_node in the pinned tree marks the node no-map', () => {
    // no-map keeps the pool out of System RAM, which the TEE driver's
    // devm_memremap(MEMREMAP_WC) of the pool requires.
    const dt = readFileSync(join(optee, 'core', 'kernel', 'dt.c'), 'utf8');
    const fn = dt.slice(dt.indexOf('int add_res_mem_dt_node('));
    expect(fn.slice(0, fn.indexOf('\n}\n'))).toContain('fdt_setprop(dt->blob, offs, "no-map", NULL, 0)');
  });
});
