// What the kernel check counts from kernel-doc: its complaints once each, and
// only those a patch adds to a file that already had some upstream.
import { describe, expect, it } from 'vitest';
import { addedWarnings, parseKernelDoc } from '../../tools/patches/kernel-doc.js';

// Linux 7.2's scripts/kernel-doc -none on panthor_fw.c before and after a
// patch that documents a member under the wrong name (it prints each twice).
const upstream = [
  "Warning: drivers/gpu/drm/panthor/panthor_fw.c:143 Excess struct member 'start' description in 'panthor_fw_binary_section_entry_hdr'",
  "Warning: drivers/gpu/drm/panthor/panthor_fw.c:273 Excess struct member 'ping_work' description in 'panthor_fw'",
  "Warning: drivers/gpu/drm/panthor/panthor_fw.c:143 Excess struct member 'start' description in 'panthor_fw_binary_section_entry_hdr'",
  "Warning: drivers/gpu/drm/panthor/panthor_fw.c:273 Excess struct member 'ping_work' description in 'panthor_fw'",
].join('\n');
const patched = [
  "Warning: drivers/gpu/drm/panthor/panthor_fw.c:145 Excess struct member 'start' description in 'panthor_fw_binary_section_entry_hdr'",
  "Warning: drivers/gpu/drm/panthor/panthor_fw.c:319 struct member 'protm' not described in 'panthor_fw'",
  "Warning: drivers/gpu/drm/panthor/panthor_fw.c:319 Excess struct member 'ping_work' description in 'panthor_fw'",
  "Warning: drivers/gpu/drm/panthor/panthor_fw.c:319 Excess struct member 'prot' description in 'panthor_fw'",
  "Warning: drivers/gpu/drm/panthor/panthor_fw.c:145 Excess struct member 'start' description in 'panthor_fw_binary_section_entry_hdr'",
  "Warning: drivers/gpu/drm/panthor/panthor_fw.c:319 struct member 'protm' not described in 'panthor_fw'",
].join('\n');

describe('kernel-doc warnings', () => {
  it('are read once each, with their line', () => {
    expect(parseKernelDoc(upstream)).toEqual([
      { line: 143, message: "Excess struct member 'start' description in 'panthor_fw_binary_section_entry_hdr'" },
      { line: 273, message: "Excess struct member 'ping_work' description in 'panthor_fw'" },
    ]);
    expect(parseKernelDoc('make[1]: Entering directory\n  CC      drivers/gpu/drm/panthor/panthor_fw.o\n')).toEqual([]);
  });

  it("count only what the patch adds, though it moved upstream's to other lines", () => {
    expect(addedWarnings(parseKernelDoc(upstream), parseKernelDoc(patched))).toEqual([
      { line: 319, message: "struct member 'protm' not described in 'panthor_fw'" },
      { line: 319, message: "Excess struct member 'prot' description in 'panthor_fw'" },
    ]);
    expect(addedWarnings(parseKernelDoc(patched), parseKernelDoc(upstream))).toEqual([]);
  });
});
