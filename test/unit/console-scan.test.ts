// Console scanning on report text as arm64 kernels, OP-TEE and TF-A print it,
// and on clean boot logs full of look-alike lines that must not count.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeFinding, type FindingKind, MODEL_SOURCE, scanConsole } from '../../tools/boot/console-scan.js';
import { repoRoot } from '../../tools/lib/paths.js';

const fixture = (name: string) => readFileSync(join(repoRoot, 'test', 'fixtures', 'console', name), 'utf8');

/** A report dropped into the middle of the clean log, as it would appear there. */
function withReport(report: string[]): { log: string; firstLine: number } {
  const clean = fixture('clean-normal.txt').split('\n');
  const at = clean.findIndex((l) => l.includes('Run /init as init process')) + 1;
  return { log: [...clean.slice(0, at), ...report, ...clean.slice(at)].join('\n'), firstLine: at + 1 };
}

const REPORTS: Record<Exclude<FindingKind, 'optee-panic' | 'tfa-panic' | 'gpu-host-error'>, string[]> = {
  oops: [
    '[    5.123456] Unable to handle kernel NULL pointer dereference at virtual address 0000000000000008',
    '[    5.123460] Mem abort info:',
    '[    5.123461]   ESR = 0x0000000096000006',
    '[    5.123470] Internal error: Oops: 0000000096000006 [#1]  SMP',
    '[    5.123480] Modules linked in: panthor drm_gpuvm drm_exec',
    '[    5.123490] pc : panthor_heap_grow+0x48/0x1f0 [panthor]',
  ],
  bug: [
    '[    6.000001] ------------[ cut here ]------------',
    '[    6.000002] kernel BUG at drivers/dma-buf/heaps/protected_heap.c:214!',
    '[    6.000010] Internal error: Oops - BUG: 00000000f2000800 [#1]  SMP',
  ],
  warn: [
    '[    7.000001] ------------[ cut here ]------------',
    '[    7.000002] WARNING: drivers/gpu/drm/panthor/panthor_fw.c:1123 at panthor_fw_post_reset+0x9c/0xd8 [panthor], CPU#1: kworker/u8:2/57',
    '[    7.000003] Modules linked in: panthor',
  ],
  kasan: [
    '[    8.100000] ==================================================================',
    '[    8.100001] BUG: KASAN: slab-use-after-free in tee_shm_put+0x2c/0x90',
    '[    8.100002] Read of size 4 at addr ffff000004a3c010 by task protm-check/231',
  ],
  kmemleak: [
    '[   70.000000] kmemleak: 2 new suspected memory leaks (see /sys/kernel/debug/kmemleak)',
    'unreferenced object 0xffff000003e5a000 (size 256):',
    '  comm "protm-check", pid 231, jiffies 4294912345',
  ],
  lockdep: [
    '[    9.000000] ======================================================',
    '[    9.000001] WARNING: possible circular locking dependency detected',
    '[    9.000002] 7.2.13 #1 Not tainted',
    '[    9.000003] ------------------------------------------------------',
    '[    9.000004] protm-check/231 is trying to acquire lock:',
  ],
  panic: [
    '[   10.000000] Kernel panic - not syncing: Oops: Fatal exception',
    '[   10.000001] SMP: stopping secondary CPUs',
    '[   10.000002] ---[ end Kernel panic - not syncing: Oops: Fatal exception ]---',
  ],
  'rcu-stall': [
    '[   31.000000] rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:',
    '[   31.000001] rcu: 	1-...!: (1 GPs behind) idle=7a4c/1/0x4000000000000000 softirq=1234/1235 fqs=0',
  ],
  'gpu-firmware': [
    '[   12.000000] panthor b000000.gpu: [drm] *ERROR* Unhandled Page fault in AS0 at VA 0x0000000004012000',
    '[   12.000001] raw fault status: 0x2C3',
    '[   12.000002] decoded fault status: SLAVE FAULT',
  ],
  'gpu-protm-entry': [
    '[    6.102144] panthor b000000.gpu: [drm] *ERROR* Protected mode entry timed out: pid=62, comm=protm-protected, resetting the GPU',
    '[    6.110031] panthor b000000.gpu: [drm] GPU reset requested',
  ],
  'hung-task': [
    '[  243.000000] INFO: task protm-check:231 blocked for more than 120 seconds.',
    '[  243.000001]       Not tainted 7.2.13 #1',
    '[  243.000002] "echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.',
  ],
};

describe('console scan', () => {
  for (const [kind, report] of Object.entries(REPORTS)) {
    it(`finds a ${kind} report with its line and context`, () => {
      const { log, firstLine } = withReport(report);
      const found = scanConsole(log);
      expect(found.length).toBeGreaterThan(0);
      const first = found[0]!;
      expect(first.kind).toBe(kind);
      const index = report.findIndex((l) => !/^\[[^\]]*\] (?:=+|-+(?:\[ cut here \]-+)?)$/.test(l));
      expect(first.line).toBe(firstLine + index);
      expect(first.source).toBe('normal');
      // The timestamp is gone from the text but kept in the context.
      expect(first.text).toBe(report[index]!.replace(/^\[[^\]]*\] /, '').trim());
      expect(first.context).toContain(report[index]);
      expect(first.context.length).toBeGreaterThan(3);
    });
  }

  it('reads the older WARN formats, a lockdep "INFO:" header and other variants', () => {
    const found = scanConsole(
      [
        '[    1.0] WARNING: CPU: 0 PID: 1 at kernel/time/clockevents.c:458 clockevents_register_device+0x143/0x160',
        '[    1.5] WARNING: at panthor_mmu_irq_handler+0x10/0x20 [panthor], CPU#0: swapper/0/0',
        '[    2.0] INFO: possible recursive locking detected',
        '[    3.0] BUG: sleeping function called from invalid context at kernel/locking/mutex.c:580',
        '[    4.0] KASAN: null-ptr-deref in range [0x0000000000000000-0x0000000000000007]',
        '[    5.0] rcu: INFO: rcu_sched self-detected stall on CPU',
        '[    6.0] INFO: task kworker/0:1:12 blocked on a mutex for more than 122 seconds.',
        '[    7.0] panthor fb000000.gpu: [drm] *ERROR* CSG 0 update request timedout',
        // A user VM's fault (recovered by the scheduler) is not the firmware's.
        '[    8.0] panthor fb000000.gpu: [drm] *ERROR* Unhandled Page fault in AS1 at VA 0x0000000001010000',
      ].join('\n'),
    );
    expect(found.map((f) => [f.kind, f.line])).toEqual([
      ['warn', 1],
      ['warn', 2],
      ['lockdep', 3],
      ['bug', 4],
      ['kasan', 5],
      ['rcu-stall', 6],
      ['hung-task', 7],
      ['gpu-firmware', 8],
    ]);
  });

  it('finds OP-TEE and TF-A panics on the secure console', () => {
    const clean = fixture('clean-secure.txt').trimEnd().split('\n');
    const log = [
      ...clean,
      "E/TC:0 0 Panic 'Failed to map protected heap' at core/mm/core_mmu.c:2051 <core_mmu_map_contiguous_pages>",
      'E/TC:0 0 TEE load address @ 0xe100000',
      'E/TC:0 0 Call stack:',
      'E/TC:0 0  0x0e10a4c8',
      'PANIC at PC : 0x000000000e0a1b2c',
    ].join('\n');
    const found = scanConsole(log, { source: 'secure' });
    expect(found.map((f) => [f.kind, f.line, f.source])).toEqual([
      ['optee-panic', clean.length + 1, 'secure'],
      ['tfa-panic', clean.length + 5, 'secure'],
    ]);
    expect(found[0]!.context.slice(-4)).toEqual([
      'E/TC:0 0 TEE load address @ 0xe100000',
      'E/TC:0 0 Call stack:',
      'E/TC:0 0  0x0e10a4c8',
      'PANIC at PC : 0x000000000e0a1b2c',
    ]);
    expect(describeFinding(found[0]!)).toBe(
      `OP-TEE panic (secure console, line ${clean.length + 1}): E/TC:0 0 Panic 'Failed to map protected heap' at core/mm/core_mmu.c:2051 <core_mmu_map_contiguous_pages>`,
    );
  });

  it("finds the kernel's misuse of the GPU in the model's log, with or without host times", () => {
    const log = [
      // PROTM_QEMU_LOG's other items: the model's own trace and a user's shader fault.
      '2026-12-07T23:40:01.100200Z mali_csf_as_command AS1 cmd 2 transtab 0x0 transcfg 0x0 lockaddr 0x80000000000f',
      '2026-12-07T23:40:01.100300Z mali-csf: shader instruction 0x0 (undecodable) at 0x1000: no such opcode',
      '2026-12-07T23:40:01.100400Z mali_csf_host_error AS1 command 3 written while AS_STATUS.AS_ACTIVE: ignored',
      'mali_csf_host_error CSG2: protected suspend buffer 0x9c000000 refused in protected mode',
    ].join('\n');
    const found = scanConsole(log, { source: MODEL_SOURCE });
    expect(found.map((f) => [f.kind, f.line])).toEqual([
      ['gpu-host-error', 3],
      ['gpu-host-error', 4],
    ]);
    expect(describeFinding(found[1]!)).toBe(
      "GPU driven against its rules (the GPU model's log, line 4): mali_csf_host_error CSG2: protected suspend buffer 0x9c000000 refused in protected mode",
    );
  });

  it('has no false positive on a clean boot (normal and secure world)', () => {
    // These logs hold look-alikes: the KASAN/kmemleak/lockdep banners, a
    // check's own diagnostic that mentions "BUG:", OP-TEE's "WARNING: ...
    // might be insecure" and a TA panic caused on purpose by a negative check.
    expect(scanConsole(fixture('clean-normal.txt'))).toEqual([]);
    expect(scanConsole(fixture('clean-secure.txt'), { source: 'secure' })).toEqual([]);
  });

  it('lets expected reports through with an allow list', () => {
    const { log } = withReport(REPORTS.warn);
    expect(scanConsole(log, { allow: [/panthor_fw_post_reset/] })).toEqual([]);
    expect(scanConsole(log, { allow: [/something else/] })).toHaveLength(1);
  });

  it('handles serial "\\r\\n" line ends and clips context at the log edges', () => {
    const found = scanConsole('[    1.0] Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000100\r\n[    1.1] ---[ end Kernel panic ]---\r\n');
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ kind: 'panic', line: 1, text: 'Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000100' });
    expect(found[0]!.context).toEqual([
      '[    1.0] Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000100',
      '[    1.1] ---[ end Kernel panic ]---',
    ]);
  });
});
