// Host checks: Mesa's protected paths on this machine, with no GPU. The
// target's arm64 Mesa build and check programs run on Mesa's Panthor
// drm-shim (which the series teaches protected mode), under QEMU's user-mode
// emulator with an arm64 sysroot of the target's libraries
// (tools/build/mesa-sysroot.ts). Each program of test/target/mesa/ runs once
// per kernel the shim plays (SHIM_MODES): the feature must be there when
// protected mode is ready, and absent otherwise with nothing else
// regressing; the target's vulkaninfo is checked the same way.
import { basename, join, relative } from 'node:path';
import { execa } from 'execa';
import { buildMesa, type MesaBuild } from '../build/mesa.js';
import { buildMesaChecks } from '../build/mesa-checks.js';
import { mesaSysroot } from '../build/mesa-sysroot.js';
import { requireRoot } from '../host/root.js';
import { ensureHost } from '../host/setup.js';
import { ProtmError } from '../lib/errors.js';
import type { RunRecord } from '../lib/run-record.js';
import { aboutRun } from '../results/about.js';
import { parseKtap } from '../results/ktap.js';
import { type Case, flattenCases, publishResults, summaryLine } from '../results/report.js';

/** Debian's qemu-user-static (a host package, see tools/host/requirements.ts). */
const QEMU_USER = 'qemu-aarch64-static';

/**
 * The kernel the shim plays (PAN_SHIM_PROTM): "ready", the series with
 * protected mode set up; "available", the series before the setup (the
 * query says AVAILABLE, not READY); "none", a kernel without the series
 * (driver 1.2, the query unknown). Protected features only with "ready".
 */
export const SHIM_MODES = ['ready', 'available', 'none'] as const;
export type ShimMode = (typeof SHIM_MODES)[number];

/** One program's run must not take longer than this (the shim executes nothing; emulated, each takes about a second). */
const PROGRAM_TIMEOUT_S = 120;

export interface HostVerdict {
  cases: Case[];
  exitCode: number;
  text: string;
  resultsJson: string;
  junit: string;
  report: string;
}

/** The emulated program's environment (QEMU's own stays clean: an arm64 LD_PRELOAD means nothing to it). */
function shimEnv(mesa: MesaBuild, mode: ShimMode): Record<string, string> {
  return {
    LD_PRELOAD: join('/', relative(mesa.root, mesa.drmShim)),
    // The build's own manifest: it names the library by its path in the sysroot, as on the target.
    VK_ICD_FILENAMES: mesa.icd,
    // Mesa 25.0 marks panvk on v10 GPUs experimental.
    PAN_I_WANT_A_BROKEN_VULKAN_DRIVER: '1',
    // The shim's GPU: a Mali-G610 (arch 10.8), the model's.
    PAN_GPU_ID: 'a867',
    PAN_SHIM_PROTM: mode,
    // The shim is a device Mesa must find (an EGL display, a Vulkan device):
    // without one, say EGL fell back to software, the programs fail instead
    // of skipping. Not PROTM_EXPECT_GPU: the shim runs no work.
    PROTM_EXPECT_DEVICE: '1',
    // EGL on the render node the shim fakes.
    EGL_PLATFORM: 'surfaceless',
    // vulkaninfo complains without one (it looks for window systems).
    XDG_RUNTIME_DIR: '/tmp',
  };
}

/**
 * Run the arm64 program `argv` (its path on this machine) with `sysroot` as
 * its root for libraries and absolute paths (QEMU falls back to this
 * machine's for what the sysroot lacks, such as `argv[0]` and the ICD file).
 */
async function runEmulated(sysroot: string, env: Record<string, string>, argv: string[]): Promise<{ output: string; exitCode: number }> {
  const setEnv = Object.entries(env).flatMap(([k, v]) => {
    // QEMU splits -E at commas.
    if (v.includes(',')) throw new ProtmError(`host checks: ${k}=${v} has a comma, which QEMU's -E cannot pass`);
    return ['-E', `${k}=${v}`];
  });
  const r = await execa(QEMU_USER, ['-L', sysroot, ...setEnv, ...argv], { reject: false, all: true, timeout: PROGRAM_TIMEOUT_S * 1000 });
  const output = String(r.all ?? '');
  // A spawn failure has neither an exit status nor a signal; a program that crashed has a signal, and fails its case.
  if (r.exitCode === undefined && r.signal === undefined && !r.timedOut) {
    throw new ProtmError(`host checks: ${QEMU_USER} did not start: ${r.shortMessage}`, 'run `protm setup`');
  }
  if (r.signal !== undefined && !r.timedOut) return { output: `${output}\n# killed by ${r.signal}`, exitCode: 128 };
  return { output: r.timedOut ? `${output}\n# timed out after ${PROGRAM_TIMEOUT_S} s` : output, exitCode: r.exitCode ?? 1 };
}

/** vulkaninfo's view of the device: the protectedMemory feature and a queue family with the protected bit. */
export function vulkaninfoCases(output: string, mode: ShimMode, exitCode: number): Case[] {
  const suite = [`shim-${mode}`, 'vulkaninfo'];
  const diagnostics = output
    .split('\n')
    .filter((l) => /protected|Mali|deviceName|ERROR|error/i.test(l))
    .slice(0, 20);
  if (exitCode !== 0 || !/deviceName\s*=\s*Mali/.test(output)) {
    return [{ suite, name: 'lists the Mali GPU (panvk)', status: 'fail', reason: `vulkaninfo exited with ${exitCode} without a Mali device`, diagnostics }];
  }
  const feature = /protectedMemory\s*=\s*(true|false)/.exec(output)?.[1];
  const queue = /QUEUE_PROTECTED_BIT/.test(output);
  const want = mode === 'ready';
  const check = (name: string, ok: boolean, reason: string): Case =>
    ok ? { suite, name, status: 'pass', diagnostics: [] } : { suite, name, status: 'fail', reason, diagnostics };
  return [
    check('lists the Mali GPU (panvk)', true, ''),
    check(`protectedMemory = ${want}`, feature === String(want), `protectedMemory is ${feature ?? 'not listed'}`),
    check(
      want ? 'a queue family has QUEUE_PROTECTED_BIT' : 'no queue family has QUEUE_PROTECTED_BIT',
      queue === want,
      `QUEUE_PROTECTED_BIT ${queue ? 'present' : 'absent'}`,
    ),
  ];
}

/**
 * A program's KTAP as cases under shim-<mode> › program; a crash or a non-zero
 * exit is a failed case of its own, and no KTAP at all is one too (flattenCases).
 */
export function programCases(name: string, mode: ShimMode, output: string, exitCode: number): Case[] {
  const suite = [`shim-${mode}`, name];
  const cases = flattenCases(parseKtap(output)).map((c) => ({ ...c, suite: [...suite, ...c.suite] }));
  const failed = cases.some((c) => c.status === 'fail');
  if (exitCode !== 0 && !failed) {
    cases.push({ suite, name: 'exits with status 0', status: 'fail', reason: `exit status ${exitCode}`, diagnostics: output.split('\n').slice(-15) });
  }
  return cases;
}

export async function runHostChecks(record: RunRecord, modes: ShimMode[]): Promise<HostVerdict> {
  await ensureHost(record);
  requireRoot('the host checks (Mesa builds in the trixie build root)');
  const mesa = await buildMesa(record);
  const checks = await buildMesaChecks(record, mesa);
  const sysroot = await mesaSysroot(record, mesa);
  const cases: Case[] = [];
  for (const mode of modes) {
    const env = shimEnv(mesa, mode);
    // protectedMemory is a Vulkan 1.1 feature: vulkaninfo lists it in
    // VkPhysicalDeviceProtectedMemoryFeatures only with promoted structs shown.
    const vk = await runEmulated(sysroot, env, [join(sysroot, 'usr/bin/vulkaninfo'), '--show-promoted-structs']);
    record.log(`\n## vulkaninfo (shim ${mode})\n${vk.output}`);
    cases.push(...vulkaninfoCases(vk.output, mode, vk.exitCode));
    for (const bin of checks.binaries) {
      const r = await runEmulated(sysroot, env, [bin, '--expect-protected', mode === 'ready' ? 'yes' : 'no']);
      record.log(`\n## ${basename(bin)} (shim ${mode})\n${r.output}`);
      cases.push(...programCases(basename(bin), mode, r.output, r.exitCode));
    }
  }
  const p = publishResults(record.dir, cases, { name: 'protm.host-checks', about: aboutRun(record) });
  record.set('results', { summary: summaryLine(p.counts), resultsJson: p.results, junit: p.junit, report: p.report });
  return { cases: p.cases, exitCode: p.exitCode, text: p.text, resultsJson: p.results, junit: p.junit, report: p.report };
}
