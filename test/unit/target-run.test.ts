// The main job end to end: build (warm from the cache after the first run),
// boot the QEMU target with TF-A + OP-TEE, run the tee-heap suite, report.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { cpioList } from '../../tools/build/rootfs.js';
import { PROTM_VERIFY_TA_UUID } from '../../tools/build/target-checks.js';
import { lastJson, protm } from '../helpers/cli.js';

interface ResultsDoc {
  counts: { total: number; passed: number; failed: number; skipped: number };
  cases: { suite: string[]; name: string; status: string; reason?: string; pictures?: { id: string; file: string }[] }[];
  /** Where results.json is, with report.html and the pictures. */
  dir: string;
}

async function runSuite(args: string[]): Promise<ResultsDoc> {
  const r = await protm(['run', ...args, '--json']);
  const summary = lastJson(r.stdout);
  expect(summary.status, `${r.stderr.slice(-4000)}\n${r.stdout.slice(-4000)}`).toBe('ok');
  expect(existsSync(summary.junit as string)).toBe(true);
  expect(readFileSync(summary.junit as string, 'utf8')).toMatch(/<testsuites[^>]*tests="\d+"/);
  // The report says what was tested: the kernel tree holds exactly the series (tests build nothing else).
  expect(readFileSync(summary.report as string, 'utf8')).toMatch(
    /^<!DOCTYPE html>[\s\S]*<th>kernel tree<\/th><td>[0-9a-f]{12}: exactly the series in the checkout<\/td>/,
  );
  return { ...(JSON.parse(readFileSync(summary.results as string, 'utf8')) as ResultsDoc), dir: dirname(summary.results as string) };
}

function status(doc: ResultsDoc, name: string): string | undefined {
  return doc.cases.find((c) => c.name === name)?.status;
}

describe('protm run (QEMU target, tee-heap suite)', () => {
  it('passes on the dynamic profile, protected memory proven unreadable', async () => {
    const doc = await runSuite(['--suite', 'tee-heap', '--profile', 'dynamic']);
    expect(doc.counts.failed).toBe(0);
    expect(doc.counts.passed).toBeGreaterThanOrEqual(10);
    for (const name of [
      'protected_heap_exists',
      'alloc_1mib',
      'mmap_refused_system_heap_maps',
      'pool_exhaustion_enomem_and_refill',
      'register_fd_accepts_protected',
      'ta_fill_hash_compare_protected',
      'protected_content_unreadable_from_normal_world',
      'xtest-quick',
    ]) {
      expect(status(doc, name), name).toBe('pass');
    }
  });

  it('built an initramfs holding init, busybox, the TA, xtest and the Mali firmware, and booted without keeping binaries in the run record', async () => {
    const r = await protm(['run', '--profile', 'dynamic', '--json']);
    expect(r.exitCode, r.stderr.slice(-3000)).toBe(0);
    // This run's own rootfs, from its metadata, not whichever list was written last.
    const meta = JSON.parse(readFileSync(lastJson(r.stdout).metadata as string, 'utf8')) as { rootfs: { dir: string } };
    const list = cpioList(join(meta.rootfs.dir, 'root'));
    for (const entry of [
      /^file \/init \S+ 0755 0 0$/m,
      /^slink \/bin\/sh busybox 0777 0 0$/m,
      /^file \/usr\/bin\/xtest /m,
      new RegExp(`^file /usr/lib/optee_armtz/${PROTM_VERIFY_TA_UUID}\\.ta `, 'm'),
      /^file \/usr\/lib\/firmware\/arm\/mali\/arch10\.8\/mali_csffw\.bin /m,
    ]) {
      expect(list).toMatch(entry);
    }
    const boot = join(dirname(lastJson(r.stdout).metadata as string), 'boot');
    // The consoles and the GPU model's log of host errors (empty on a good run).
    expect(readdirSync(boot).sort()).toEqual(['console.log', 'qemu.log', 'secure.log']);
    expect(readFileSync(join(boot, 'qemu.log'), 'utf8')).toBe('');
  });

  it('passes on the static profile, whose pool is reserved inside guest RAM', async () => {
    const doc = await runSuite(['--suite', 'tee-heap', '--profile', 'static']);
    expect(doc.counts.failed).toBe(0);
    expect(status(doc, 'static_pool_reserved_in_dt')).toBe('pass');
    expect(status(doc, 'protected_content_unreadable_from_normal_world')).toBe('pass');
  });

  it('passes the Panthor protected uAPI checks on the QEMU Mali CSF model', async () => {
    const doc = await runSuite(['--suite', 'panthor-protm']);
    expect(doc.counts.failed).toBe(0);
    expect(doc.counts.skipped).toBe(0);
    for (const name of [
      'protm_info_query',
      'setup_rejects_system_heap_buffer',
      'setup_concurrent_callers_one_wins',
      'setup_twice_is_ebusy',
      'setup_survives_runtime_suspend',
      'group_normal_has_no_protm_suspend_buffer',
      'group_create_destroy_protected',
      'protected_bo_cpu_mmap_refused',
      'vm_bind_protected_flag_asserts_protected',
    ]) {
      expect(status(doc, name), name).toBe('pass');
    }
  });

  it('runs jobs on the Mali CSF model and recovers from a fault, a job timeout and a progress timeout (gpu-basic)', async () => {
    const doc = await runSuite(['--suite', 'gpu-basic']);
    expect(doc.counts.failed).toBe(0);
    expect(doc.counts.skipped).toBe(0);
    for (const name of [
      'dev_query_g610_identity',
      'job_store_and_sync_add',
      'vm_bind_remap_seen_by_gpu',
      'invalid_instruction_cs_fault',
      'mmu_fault_kills_group',
      'job_timeout_recovers',
      'endless_shader_progress_timeout',
    ]) {
      expect(status(doc, name), name).toBe('pass');
    }
    // Malformed firmware: every image is rejected, then the real one rebinds.
    const firmware = doc.cases.filter((c) => c.suite.includes('panthor-firmware'));
    expect(firmware.length).toBeGreaterThanOrEqual(12);
    for (const c of firmware) expect(c.status, c.name).toBe('pass');
    expect(status(doc, 'real_firmware_restored')).toBe('pass');
  });

  it('gpu-basic with the debug kernel: faults, timeouts and 14 rebinds leave no KASAN, kmemleak or lockdep report', async () => {
    const doc = await runSuite(['--suite', 'gpu-basic', '--debug']);
    expect(doc.counts.failed).toBe(0);
    expect(doc.counts.skipped).toBe(0);
    expect(doc.cases.some((c) => c.suite[0] === 'console')).toBe(false);
    expect(status(doc, 'real_firmware_restored')).toBe('pass');
  });

  it('passes with the debug kernel (KASAN, kmemleak, lockdep) and no report on the console', async () => {
    const doc = await runSuite(['--suite', 'tee-heap', '--profile', 'dynamic', '--debug']);
    expect(doc.counts.failed).toBe(0);
    expect(doc.cases.some((c) => c.suite[0] === 'console')).toBe(false);
    expect(status(doc, 'protected_content_unreadable_from_normal_world')).toBe('pass');
  });

  // Mesa as the userspace of the protected uAPI (mesa-patches/): panvk and
  // panfrost before protected mode is set up (nothing protected offered,
  // unprotected work still runs) and after (protected memory, a protected
  // command buffer entering protected mode once, protected fills and compute
  // checked by our TA, EGL protected contexts).
  it('runs Vulkan and EGL with and without protected mode on the Mali model (mesa)', async () => {
    const doc = await runSuite(['--suite', 'mesa']);
    const line = (c: ResultsDoc['cases'][number]) => `${c.suite.join(' › ')} › ${c.name}: ${c.status} ${c.reason ?? ''}`;
    expect(doc.cases.filter((c) => c.status === 'fail').map(line)).toEqual([]);
    const inSuite = (suite: string, name: string) => doc.cases.find((c) => c.suite[0] === suite && c.name === name)?.status;
    for (const name of [
      'vulkan_device',
      'unprotected_device_memory_submit',
      'protected_device_and_queues',
      'protected_memory_allocated_bound',
      'protected_memory_map_refused',
      'protected_command_buffer_fence',
      'protected_mode_entered_and_left',
      'unprotected_submit_no_protected_mode',
      'protected_work_then_synchronisation',
    ]) {
      expect(inSuite('vk-protected', name), name).toBe('pass');
    }
    // Protected GPU work through panvk, verified in the secure world: the
    // memory types a protected and a system dma-buf can be imported as, a TEE
    // heap buffer imported as protected memory, a protected fill (also from
    // a secondary command buffer), update, copy, image copy round trip,
    // clearing render passes (colour, depth, stencil) and SSBO dispatch whose bytes our TA hashes, and
    // an unprotected queue's copy out of it that faults and leaks nothing.
    for (const name of [
      'protected_device_with_dma_buf_import',
      'dma_buf_memory_types_protected_only_for_protected_heap',
      'tee_heap_buffer_imported_as_protected_memory',
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
      'normal_queue_copy_from_protected_faults_leaks_nothing',
    ]) {
      expect(inSuite('vk-protected-compute', name), name).toBe('pass');
    }
    // GPU work through panvk in normal memory, read back by the CPU: buffer
    // fill, update and copy, an SSBO shader, and image copies (vk_meta's
    // texel-fetch and image-store shaders) on OPTIMAL and LINEAR images, and
    // render passes that clear D16 and D32 depth attachments and a D24S8
    // depth/stencil one.
    for (const name of [
      'vulkan_device',
      'fill_buffer',
      'update_buffer',
      'copy_buffer',
      'compute_shader_writes_ssbo',
      'compute_shader_draws_picture',
      'fill_buffer_1mib_timed',
      'copy_buffer_image_optimal_round_trip',
      'copy_buffer_image_linear_round_trip',
      'copy_image_optimal_to_linear',
      'render_pass_depth_clear_d16',
      'render_pass_depth_clear_d32',
      'render_pass_depth_stencil_clear_d24s8',
    ]) {
      expect(inSuite('vk-compute', name), name).toBe('pass');
    }
    // The report's pictures: what the GPU drew in normal memory, the picture
    // the TA's hash of the protected buffer matched (the same pixels), and
    // what a normal queue's copy out of protected memory got (the CPU's bytes).
    const pictures = doc.cases.flatMap((c) => c.pictures ?? []);
    expect(pictures.map((p) => p.id)).toEqual(['gpu-picture', 'protected-picture', 'copy-out']);
    const png = (id: string) => PNG.sync.read(readFileSync(join(doc.dir, pictures.find((p) => p.id === id)!.file)));
    expect(png('gpu-picture').data.equals(png('protected-picture').data)).toBe(true);
    expect([...new Set(png('copy-out').data)]).toEqual([0xa5]);
    // EGL on the model: render targets cleared by fragment jobs, read back
    // by the CPU (unprotected) and by our TA (protected); protected surfaces
    // (a pbuffer, and a GBM window surface whose front buffer our TA reads).
    for (const name of [
      'unprotected_clear_read_back',
      'protected_surfaceless_render_target',
      'protected_clear_verified_by_ta',
      'protected_surface_extension',
      'protected_pbuffer_cleared',
      'protected_gbm_surface_verified_by_ta',
    ]) {
      expect(inSuite('egl-protected', name), name).toBe('pass');
    }
    expect(inSuite('egl-not-ready', 'unprotected_clear_read_back')).toBe('pass');
    expect(inSuite('vk-not-ready', 'vulkan_device')).toBe('pass');
    for (const name of ['initramfs-mtimes', 'vulkaninfo-protected-memory', 'vulkaninfo-protected-queue', 'vulkaninfo-protected-memory-type']) {
      expect(status(doc, name), name).toBe('pass');
    }
    // Skips only for the protected features absent before the setup.
    const skips = doc.cases.filter((c) => c.status === 'skip');
    expect(skips.filter((c) => !/-not-ready$/.test(c.suite[0] ?? '') || !/as expected/.test(c.reason ?? '')).map(line)).toEqual([]);
  });

  // Protected work end to end (kernel series part 2 on the model, part 2):
  // the default suite of `protm run`, on both secure-world profiles and under
  // the debug kernel.
  const PROTECTED = [
    'protm_setup_ready',
    'protected_job_writes_protected_buffer',
    'normal_group_prot_region_refused',
    'normal_group_load_faults_copies_nothing',
    'batch_one_entry_one_exit',
    'normal_group_progresses_during_protected_work',
    'protected_hang_blames_only_protected_group',
    'protected_shader_hang_meets_progress_timer',
    'protected_fault_blames_only_protected_group',
    'protected_work_after_reset',
    'protected_work_after_runtime_suspend',
    'protected_buffers_owned_exclusively',
  ];
  for (const args of [
    ['--profile', 'dynamic'],
    ['--profile', 'static'],
  ]) {
    it(`runs protected work end to end, isolated and recovered (protected-mode, ${args.join(' ')})`, async () => {
      const doc = await runSuite(['--suite', 'protected-mode', ...args]);
      expect(doc.counts.failed).toBe(0);
      expect(doc.counts.skipped).toBe(0);
      for (const name of PROTECTED) expect(status(doc, name), name).toBe('pass');
      expect(doc.cases.some((c) => c.suite[0] === 'console')).toBe(false);
    });
  }

  // Under the debug kernel (several times slower) too: the batch case gates
  // its first job until the whole batch is queued, so it must cost one entry
  // there as well. Everything passes, with no KASAN, kmemleak or lockdep report.
  it('runs protected work under the debug kernel with no sanitizer report (protected-mode --debug)', async () => {
    const doc = await runSuite(['--suite', 'protected-mode', '--debug']);
    expect(doc.counts.failed).toBe(0);
    expect(doc.counts.skipped).toBe(0);
    for (const name of PROTECTED) expect(status(doc, name), name).toBe('pass');
    expect(doc.cases.some((c) => c.suite[0] === 'console')).toBe(false);
  });
});
