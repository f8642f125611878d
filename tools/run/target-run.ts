// The main job: build what is missing (secure world, check programs, rootfs,
// kernel), boot the QEMU target on a suite, and turn its console into
// results (results.json, junit.xml, a table and a closing count line).
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { type ConsoleFinding, MODEL_SOURCE, scanConsole } from '../boot/console-scan.js';
import { parseJitter } from '../boot/jitter.js';
import { type BootResult, bootAndWatch, bootInteractive, QEMU_LOG_FILE, QemuExitError, QemuStuckError } from '../boot/qemu.js';
import { StageExitError, StageTimeoutError } from '../boot/stages.js';
import { buildKernel, compileKernelBeforeRootfs, type KernelBuild, withKernelTree } from '../build/kernel.js';
import { buildMesa } from '../build/mesa.js';
import { buildMesaChecks } from '../build/mesa-checks.js';
import { buildQemu } from '../build/qemu.js';
import { installInitramfsList, MALI_FIRMWARE, type RootfsAddition, stageRootfs } from '../build/rootfs.js';
import { buildSecureWorld, type SecureWorld } from '../build/secure-world.js';
import { buildTargetChecks, teeHeapCheckArgs } from '../build/target-checks.js';
import { requireRoot } from '../host/root.js';
import { ensureHost } from '../host/setup.js';
import { sideBySide } from '../lib/children.js';
import { ProtmError, USAGE_ERROR } from '../lib/errors.js';
import { repoRoot } from '../lib/paths.js';
import type { RunRecord } from '../lib/run-record.js';
import { type AboutRows, aboutRun } from '../results/about.js';
import { ktapChannel, parseKtap } from '../results/ktap.js';
import { type Case, findingCases, flattenCases, publishResults, summaryLine } from '../results/report.js';

export interface TargetOptions {
  profile: string;
  suite: string;
  debug: boolean;
  /** Boot our QEMU build with the Mali CSF GPU model (else the host's QEMU, no GPU). */
  gpu: boolean;
}

export interface Prepared {
  secure: SecureWorld;
  kernel: KernelBuild;
  /** This run's copy of the kernel Image (the build directory is shared). */
  image: string;
  checkArgs: string;
  qemu?: string;
  /** With the Mali model: the firmware image the kernel loads, for the model too. */
  gpuFirmware?: string;
}

/**
 * Everything a boot needs, built or taken from the cache. QEMU builds beside
 * the rest: both chains have long stretches that keep one core busy at most
 * (build roots, unpacking, configure, links, firmware signing), which the
 * other chain's compiles fill on a two-core machine.
 */
export async function prepareTarget(record: RunRecord, opts: TargetOptions): Promise<Prepared> {
  await ensureHost(record);
  if (opts.gpu) requireRoot('the target with the Mali GPU model (our QEMU build)');
  // A bad PROTM_QEMU_JITTER is an error before anything is built.
  parseJitter(process.env.PROTM_QEMU_JITTER);
  // PROTM_QEMU boots another QEMU binary (one's own build, a wrapper) instead.
  const ownQemu = process.env.PROTM_QEMU;
  const [target, qemu] = await sideBySide(
    () => prepareKernelSide(record, opts),
    async () => ownQemu || (opts.gpu ? (await buildQemu(record)).binary : undefined),
  );
  return { ...target, qemu };
}

/**
 * The secure world, the check programs, the root filesystem and the kernel
 * with it built in. Only the kernel's last link needs the root filesystem:
 * its compile runs beside the secure world, the check programs and the
 * staging of the root filesystem, with the initramfs list as it stands, and
 * relinks (about 15 s) once the list is this run's. From an empty cache
 * this starts the kernel's compile about seven minutes earlier; on a warm
 * one, a kernel edit compiles while the check programs build.
 */
async function prepareKernelSide(record: RunRecord, opts: TargetOptions): Promise<Omit<Prepared, 'qemu'>> {
  const [{ secure, rootfs }] = await sideBySide(
    async () => {
      const secure = await buildSecureWorld(record, opts.profile);
      const checks = await buildTargetChecks(record, { taDevKit: secure.taDevKit });
      const rootfs = await stageRootfs(record, checks, await suiteAdditions(record, suiteNeeds(opts.suite)));
      return { secure, rootfs };
    },
    () => compileKernelBeforeRootfs(record, { debug: opts.debug }),
  );
  // The initramfs list and the kernel build directory are shared by every
  // profile: hold the tree from writing the list until this run has its own
  // copy of the Image, so a concurrent run cannot swap either underneath.
  const { kernel, image } = await withKernelTree(async () => {
    await installInitramfsList(record, rootfs);
    const kernel = await buildKernel(record, { debug: opts.debug });
    const image = join(record.dir, 'boot', 'bl33.bin');
    mkdirSync(dirname(image), { recursive: true });
    copyFileSync(kernel.image, image);
    return { kernel, image };
  });
  // The model reads the very firmware file the kernel loads, from the root filesystem.
  const gpuFirmware = opts.gpu ? join(rootfs.dir, 'root', MALI_FIRMWARE) : undefined;
  return { secure, kernel, image, checkArgs: teeHeapCheckArgs(secure.profile).join(' '), gpuFirmware };
}

const suitesDir = () => join(repoRoot, 'test/target/suites');

/** The target suites (test/target/suites). */
export function suiteNames(): string[] {
  return readdirSync(suitesDir()).sort();
}

/** What a suite may ask for beyond the plain root filesystem ("# needs: mesa"). */
export const SUITE_NEEDS = ['mesa'] as const;
export type SuiteNeed = (typeof SUITE_NEEDS)[number];

/**
 * The arm64 Mesa build, Debian's Vulkan loader and vulkaninfo, and the
 * programs of test/target/mesa/. Only suites that say so get them: they make
 * the first run build Mesa (about 10 minutes) and the initramfs some 30 MB
 * larger, which the other suites have no use for.
 */
async function suiteAdditions(record: RunRecord, needs: SuiteNeed[]): Promise<RootfsAddition[]> {
  if (!needs.includes('mesa')) return [];
  const mesa = await buildMesa(record);
  const checks = await buildMesaChecks(record, mesa);
  return [{ key: `${mesa.key}/${basename(checks.dir)}`, trees: [mesa.root], binaries: checks.binaries, pins: ['mesa-runtime'] }];
}

/** The "# needs:" line of a suite (none for the interactive shell). */
export function suiteNeeds(name: string): SuiteNeed[] {
  const path = join(suitesDir(), name);
  if (name === 'shell' || !existsSync(path)) return [];
  const line = /^# needs: (.*)$/m.exec(readFileSync(path, 'utf8'))?.[1];
  const needs = line ? line.split(/[\s,]+/).filter(Boolean) : [];
  for (const n of needs) {
    if (!(SUITE_NEEDS as readonly string[]).includes(n)) throw new ProtmError(`suite ${name}: unknown need "${n}"`, `known: ${SUITE_NEEDS.join(', ')}`);
  }
  return needs as SuiteNeed[];
}

/** The suite's file; a suite may declare its own per-check budget ("# check-timeout: SECONDS"). */
function readSuite(name: string): { checkTimeout?: number } {
  const path = join(suitesDir(), name);
  if (!/^[A-Za-z0-9_-]+$/.test(name) || !existsSync(path)) {
    throw new ProtmError(`no target suite named "${name}"`, `suites: ${suiteNames().join(', ')}`, USAGE_ERROR);
  }
  const declared = /^# check-timeout: (\d+)\s*$/m.exec(readFileSync(path, 'utf8'))?.[1];
  return declared ? { checkTimeout: Number(declared) } : {};
}

/** A debug kernel (KASAN, lockdep) runs several times slower under TCG. */
function timeouts(debug: boolean, checkTimeout?: number) {
  const t = debug
    ? { firmware: 120, kernel: 600, userspace: 600, check: 900, poweroff: 300 }
    : { firmware: 60, kernel: 120, userspace: 120, check: 300, poweroff: 60 };
  return checkTimeout ? { ...t, check: debug ? checkTimeout * 3 : checkTimeout } : t;
}

/**
 * TF-A's QEMU platform powers off through a GPIO and panics if that call
 * returns ("ERROR: QEMU System Power off: with GPIO." on the normal console,
 * then "PANIC at PC" on the secure one); QEMU sometimes prints the panic
 * before it exits. That panic, as the secure log's last line after a
 * power-off request, is not a failure; a TF-A panic anywhere else still is.
 */
export function isPowerOffPanic(f: ConsoleFinding, consoleLog: string, secureLog: string): boolean {
  if (f.kind !== 'tfa-panic' || !/QEMU System Power off/.test(consoleLog)) return false;
  return secureLog
    .split('\n')
    .slice(f.line)
    .every((l) => l.trim() === '');
}

/**
 * A target booted with the Mali model must have a GPU: Panthor's probe is a
 * case of its own, so a kernel whose probe fails cannot pass by having every
 * GPU check skip for want of a render node.
 */
export function gpuProbeCase(consoleLog: string): Case {
  const name = 'Mali GPU probed by Panthor';
  if (/\[drm\] Initialized panthor /.test(consoleLog)) return { suite: ['boot'], name, status: 'pass', diagnostics: [] };
  const panthor = consoleLog
    .split('\n')
    .filter((l) => /panthor|mali/i.test(l))
    .slice(-15);
  return {
    suite: ['boot'],
    name,
    status: 'fail',
    reason: 'booted with the Mali GPU model, but Panthor never reported "[drm] Initialized panthor"',
    diagnostics: panthor,
  };
}

export interface TargetVerdict {
  cases: Case[];
  exitCode: number;
  text: string;
  boot?: BootResult;
  resultsJson: string;
  junit: string;
  report: string;
}

export async function runTarget(record: RunRecord, opts: TargetOptions): Promise<TargetVerdict> {
  const suite = readSuite(opts.suite);
  const prepared = await prepareTarget(record, opts);
  const bootDir = join(record.dir, 'boot');
  let boot: BootResult | undefined;
  const extra: Case[] = [];
  try {
    boot = await bootAndWatch(record, {
      secure: prepared.secure,
      image: prepared.image,
      suite: opts.suite,
      checkArgs: prepared.checkArgs,
      timeouts: timeouts(opts.debug, suite.checkTimeout),
      qemu: prepared.qemu,
      gpuFirmware: prepared.gpuFirmware,
    });
  } catch (err) {
    if (!(err instanceof StageTimeoutError || err instanceof StageExitError || err instanceof QemuStuckError || err instanceof QemuExitError)) throw err;
    // Keep what the checks printed before the hang, and fail the run on it.
    const name =
      err instanceof StageTimeoutError
        ? `stage ${err.stage} finished in time`
        : err instanceof QemuStuckError
          ? 'QEMU exited after the power-off'
          : err instanceof QemuExitError
            ? 'QEMU exited cleanly after the power-off'
            : 'QEMU kept running to the end';
    extra.push({
      suite: ['boot'],
      name,
      status: 'fail',
      reason: err.message.split('\n')[0],
      diagnostics: err.message.split('\n').slice(1),
    });
  }
  const consoleLog = readFileSync(join(bootDir, 'console.log'), 'utf8');
  // QEMU creates secure.log only once it runs: a QEMU that died first left none.
  const securePath = join(bootDir, 'secure.log');
  const secureLog = existsSync(securePath) ? readFileSync(securePath, 'utf8') : '';
  const modelPath = join(bootDir, QEMU_LOG_FILE);
  const modelLog = existsSync(modelPath) ? readFileSync(modelPath, 'utf8') : '';
  const findings = [
    ...scanConsole(consoleLog, { source: 'normal' }),
    ...scanConsole(secureLog, { source: 'secure' }).filter((f) => !isPowerOffPanic(f, consoleLog, secureLog)),
    // One line says all a host error has to say: no context around it.
    ...scanConsole(modelLog, { source: MODEL_SOURCE }).map((f) => ({ ...f, context: [] })),
  ];
  const cases = [...flattenCases(parseKtap(ktapChannel(consoleLog))), ...extra, ...(opts.gpu ? [gpuProbeCase(consoleLog)] : []), ...findingCases(findings)];
  const timing = { startedAt: new Date().toISOString(), seconds: boot?.seconds, stages: boot?.timings };
  const about: AboutRows = [
    ['suite', `${opts.suite}, secure world ${opts.profile}${opts.debug ? ', debug kernel' : ''}${opts.gpu ? ', Mali model' : ', no GPU'}`],
    ...aboutRun(record),
  ];
  const p = publishResults(record.dir, cases, { name: `protm.${opts.suite}.${opts.profile}${opts.debug ? '.debug' : ''}`, timing, about });
  record.set('target', {
    ...opts,
    bootSeconds: boot?.seconds,
    stages: boot?.timings,
    qemu: boot?.command,
    consoleLog: join(bootDir, 'console.log'),
    secureLog: join(bootDir, 'secure.log'),
    ...(opts.gpu ? { modelLog: modelPath } : {}),
  });
  record.set('results', { summary: summaryLine(p.counts), resultsJson: p.results, junit: p.junit, report: p.report });
  return { cases: p.cases, exitCode: p.exitCode, text: p.text, boot, resultsJson: p.results, junit: p.junit, report: p.report };
}

export async function shellTarget(record: RunRecord, opts: TargetOptions): Promise<number> {
  const prepared = await prepareTarget(record, opts);
  return bootInteractive(record, {
    secure: prepared.secure,
    image: prepared.image,
    suite: 'shell',
    checkArgs: prepared.checkArgs,
    qemu: prepared.qemu,
    gpuFirmware: prepared.gpuFirmware,
  });
}
