// Mesa's protected paths on the host, on drm-shim (no GPU): the target's
// arm64 build of exactly the checked-in mesa-patches, vulkaninfo and the
// programs of test/target/mesa/, run under QEMU's user-mode emulator, with
// the shim playing a kernel whose protected mode is ready, one where it is
// not set up yet, and one without the series.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { lastJson, protm } from '../helpers/cli.js';

interface ResultsDoc {
  status: string;
  counts: { total: number; passed: number; failed: number; skipped: number };
  cases: { suite: string[]; name: string; status: string; reason?: string }[];
}

describe('Mesa on drm-shim', () => {
  it('shows protected memory only when the kernel has protected mode ready, and every program passes', async () => {
    const r = await protm(['host-checks', '--json']);
    const summary = lastJson(r.stdout);
    const doc = JSON.parse(readFileSync(summary.results as string, 'utf8')) as ResultsDoc;
    const line = (c: ResultsDoc['cases'][number]) => `${c.suite.join(' › ')} › ${c.name}: ${c.status} ${c.reason ?? ''}`;
    expect(doc.cases.filter((c) => c.status === 'fail').map(line), r.stdout.slice(-3000)).toEqual([]);
    expect(r.exitCode).toBe(0);
    // Skips only where they are the expected outcome: protected cases when
    // the shim's kernel has no protected mode ready, the protected-mode
    // entry counter, which lives in Panthor's debugfs (no kernel here), and
    // protm-vk-compute's and protm-egl-protected's comparisons of what the
    // GPU wrote (the shim runs nothing; its commands must still be recorded,
    // submitted and signalled),
    // and protm-vk-protected-compute's readings of protected memory through
    // our TA (no TEE on the host) and its copy that only a GPU can fault on.
    const noGpuCompare = (c: ResultsDoc['cases'][number]) =>
      ((c.suite[1] === 'protm-vk-compute' && c.name !== 'vulkan_device') ||
        (c.suite[1] === 'protm-egl-protected' &&
          ['unprotected_clear_read_back', 'protected_clear_verified_by_ta', 'protected_gbm_surface_verified_by_ta'].includes(c.name))) &&
      /no GPU runs the work/.test(c.reason ?? '');
    const taReadings = [
      'tee_buffer_filled_by_ta',
      'protected_fill_verified_by_ta',
      'protected_secondary_fill_verified_by_ta',
      'protected_update_verified_by_ta',
      'protected_copy_verified_by_ta',
      'protected_image_copies_verified_by_ta',
      'protected_render_pass_clear_verified_by_ta',
      'protected_render_pass_depth_clear_verified_by_ta',
      'protected_render_pass_stencil_clear_verified_by_ta',
      'protected_compute_shader_verified_by_ta',
      'protected_picture_verified_by_ta',
    ];
    const noTeeOrGpu = (c: ResultsDoc['cases'][number]) =>
      c.suite[1] === 'protm-vk-protected-compute' &&
      ((taReadings.includes(c.name) && /no TEE here/.test(c.reason ?? '')) ||
        (c.name === 'normal_queue_copy_from_protected_faults_leaks_nothing' && /no GPU runs the work/.test(c.reason ?? '')));
    const unexpectedSkips = doc.cases.filter(
      (c) =>
        c.status === 'skip' &&
        !(c.suite[0] !== 'shim-ready' && /as expected/.test(c.reason ?? '')) &&
        !(c.name === 'protected_mode_entered_and_left' && /protm_stats/.test(c.reason ?? '')) &&
        !noGpuCompare(c) &&
        !noTeeOrGpu(c),
    );
    expect(unexpectedSkips.map(line)).toEqual([]);
    expect(doc.cases.filter((c) => c.suite[0] === 'shim-ready' && c.status === 'skip' && !noGpuCompare(c) && !noTeeOrGpu(c))).toHaveLength(1);
    const names = doc.cases.map((c) => `${c.suite.join(' › ')} › ${c.name}`);
    expect(names).toContain('shim-ready › vulkaninfo › protectedMemory = true');
    expect(names).toContain('shim-ready › vulkaninfo › a queue family has QUEUE_PROTECTED_BIT');
    // A buffer of the (shim's) protected heap is offered the protected memory
    // type alone, and imports into Vulkan as protected memory.
    for (const name of ['dma_buf_memory_types_protected_only_for_protected_heap', 'tee_heap_buffer_imported_as_protected_memory']) {
      const found = doc.cases.find((c) => c.suite[0] === 'shim-ready' && c.suite[1] === 'protm-vk-protected-compute' && c.name === name);
      expect(found?.status, name).toBe('pass');
    }
    for (const mode of ['shim-available', 'shim-none']) {
      expect(names).toContain(`${mode} › vulkaninfo › protectedMemory = false`);
      expect(names).toContain(`${mode} › vulkaninfo › no queue family has QUEUE_PROTECTED_BIT`);
    }
    // Every program ran in both modes and reported cases of its own.
    const programs = new Set(doc.cases.filter((c) => c.suite[1]?.startsWith('protm-')).map((c) => c.suite[1]));
    expect(programs.size).toBeGreaterThan(0);
    for (const p of programs) {
      for (const mode of ['shim-ready', 'shim-available', 'shim-none']) expect(doc.cases.some((c) => c.suite[0] === mode && c.suite[1] === p)).toBe(true);
    }
  });
});
