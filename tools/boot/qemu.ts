// Boots the arm64 target: TF-A (BL1/BL2/BL31) + OP-TEE (BL32) + the kernel
// Image as BL33, all loaded by semihosting from the working directory, on
// QEMU's virt machine with TrustZone. The normal-world console is watched
// through staged timeouts; the secure-world console goes to its own log.
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { SecureWorld } from '../build/secure-world.js';
import { killGroupOnExit, signalGroup } from '../lib/children.js';
import { ProtmError } from '../lib/errors.js';
import { progress } from '../lib/progress.js';
import type { RunRecord } from '../lib/run-record.js';
import { parseJitter, startJitter } from './jitter.js';
import { type BootTimeouts, qemuBootStages, StageExitError, type StageTiming, watchStages } from './stages.js';

export interface BootSpec {
  secure: SecureWorld;
  image: string;
  /** Suite name handed to the target's init through fw_cfg; "shell" for an interactive shell. */
  suite: string;
  /** Profile-specific arguments for the checks (e.g. which heap), as PROTM_CHECK_ARGS on the target. */
  checkArgs?: string;
  timeouts?: Partial<BootTimeouts>;
  /** QEMU binary; our patched build for the Mali model, else the host's. */
  qemu?: string;
  /**
   * Add the Mali CSF GPU model (needs our QEMU build), given the firmware
   * image the kernel loads: the model checks that the firmware's protected
   * sections are protected memory.
   */
  gpuFirmware?: string;
}

export interface BootResult {
  dir: string;
  consoleLog: string;
  secureLog: string;
  timings: StageTiming[];
  seconds: number;
  command: string[];
}

const BOOT_FILES = ['bl1.bin', 'bl2.bin', 'bl31.bin', 'bl32.bin', 'bl32_extra1.bin', 'bl32_extra2.bin', 'bl33.bin'];
/** The GPU model's copy of the firmware image, beside the boot files. */
export const GPU_FIRMWARE_FILE = 'mali_csffw.bin';
/** QEMU's log (-D): the GPU model's host errors, and what PROTM_QEMU_LOG asks for. */
export const QEMU_LOG_FILE = 'qemu.log';

/** Lay out the firmware files under the names TF-A's semihosting loader opens. */
function prepareDir(dir: string, spec: BootSpec): void {
  mkdirSync(dir, { recursive: true });
  const f = spec.secure.files;
  const files: [string, string][] = [f.bl1, f.bl2, f.bl31, f.bl32, f.bl32Extra1, f.bl32Extra2, spec.image].map((from, i) => [from, BOOT_FILES[i]!]);
  if (spec.gpuFirmware) files.push([spec.gpuFirmware, GPU_FIRMWARE_FILE]);
  for (const [from, name] of files) if (from !== join(dir, name)) copyFileSync(from, join(dir, name));
}

/**
 * The firmware and kernel copies are only for QEMU's semihosting loader: once
 * QEMU has exited they go, so a run record keeps its logs (and metadata with
 * every hash) but not 10 MB of binaries.
 */
function removeBootFiles(dir: string): void {
  for (const name of [...BOOT_FILES, GPU_FIRMWARE_FILE]) rmSync(join(dir, name), { force: true });
}

/** QEMU option values escape a comma by doubling it. */
function qemuOptValue(value: string): string {
  return value.replace(/,/g, ',,');
}

/**
 * QEMU's log, into qemu.log beside the consoles. With the GPU model it always
 * has the model's host errors (the trace event mali_csf_host_error), which
 * fail the run. PROTM_QEMU_LOG=guest_errors,trace:mali_csf_* (QEMU's -d
 * items) adds the model's own log, each line with the host's time so that a
 * trace shows where time goes.
 */
export function logArgs(gpu: boolean, extra: string | undefined): string[] {
  const items = [...(gpu ? ['trace:mali_csf_host_error'] : []), ...(extra ? [extra] : [])];
  if (items.length === 0) return [];
  return ['-d', items.join(','), '-D', QEMU_LOG_FILE, ...(extra ? ['-msg', 'timestamp=on'] : [])];
}

export function qemuArgs(spec: BootSpec, interactive: boolean): string[] {
  const ram = spec.secure.profile.machine.ramMiB;
  const gpu = spec.gpuFirmware !== undefined;
  return [
    '-machine',
    `virt,secure=on,gic-version=3${gpu ? ',mali=on' : ''}`,
    ...(gpu ? ['-global', `driver=mali-csf,property=firmware,value=${GPU_FIRMWARE_FILE}`] : []),
    '-cpu',
    'cortex-a57',
    // With the Mali model, virt's RAM sits behind the model's TZC-400, an
    // IOMMU memory region. Multi-threaded TCG walks page tables through such
    // RAM racing with the controller's TLB invalidations (a vCPU thread
    // dereferenced a stale host pointer in arm_ldq_ptw: SIGSEGV in 3 boots
    // of 14), so those boots run both vCPUs in one TCG thread.
    ...(gpu ? ['-accel', 'tcg,thread=single'] : []),
    '-smp',
    '2',
    '-m',
    String(ram),
    '-bios',
    'bl1.bin',
    '-semihosting-config',
    'enable=on,target=native',
    '-display',
    'none',
    '-monitor',
    'none',
    '-serial',
    interactive ? 'mon:stdio' : 'stdio',
    '-serial',
    'file:secure.log',
    '-no-reboot',
    ...logArgs(gpu, process.env.PROTM_QEMU_LOG),
    // No network: the target needs none, and virt's default NIC wants an option ROM.
    '-nic',
    'none',
    '-fw_cfg',
    `name=opt/protm/suite,string=${qemuOptValue(spec.suite)}`,
    ...(spec.checkArgs ? ['-fw_cfg', `name=opt/protm/check-args,string=${qemuOptValue(spec.checkArgs)}`] : []),
    // The checks must fail, not skip, when the GPU they were promised is missing.
    ...(gpu ? ['-fw_cfg', 'name=opt/protm/expect-gpu,string=1'] : []),
    ...(spec.secure.dtb ? ['-dtb', spec.secure.dtb] : []),
  ];
}

/** After the kernel's power-off message QEMU exits by itself; past this it is stuck. */
const EXIT_GRACE_MS = 15_000;

/** QEMU printed the kernel's power-off but did not exit. */
export class QemuStuckError extends ProtmError {
  constructor() {
    super(`QEMU did not exit within ${EXIT_GRACE_MS / 1000} s of the kernel's power-off; it was killed`);
    this.name = 'QemuStuckError';
  }
}

/**
 * QEMU powered the guest off, then exited with an error status or died of a
 * signal: e.g. the GPU model's assertion or a crash while it shuts down,
 * which the checks' own results cannot show.
 */
export class QemuExitError extends ProtmError {
  constructor(how: string, stderr: string) {
    super([`QEMU ${how} after the power-off`, ...stderr.trim().split('\n').slice(-10)].join('\n'));
    this.name = 'QemuExitError';
  }
}

/** Resolves when `child` exits; rejects with a clear error if it could not be started. */
function exited(child: ChildProcess, qemu: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.once('error', (err: NodeJS.ErrnoException) => {
      const hint = err.code === 'ENOENT' ? 'install it with `protm setup` (or drop --no-gpu to use our QEMU build)' : undefined;
      reject(new ProtmError(`QEMU could not be started (${qemu}): ${err.code === 'ENOENT' ? 'not found' : err.message}`, hint));
    });
  });
}

/** Boot, run the suite and power off; rejects naming the stage that hung. */
export async function bootAndWatch(record: RunRecord, spec: BootSpec): Promise<BootResult> {
  const dir = join(record.dir, 'boot');
  prepareDir(dir, spec);
  const qemu = spec.qemu ?? 'qemu-system-aarch64';
  const args = qemuArgs(spec, false);
  record.log(`\n## boot: ${[qemu, ...args].join(' ')} (in ${dir})`);
  const consoleLog = join(dir, 'console.log');
  const consoleFile = createWriteStream(consoleLog);
  const started = Date.now();
  // Its own process group: the wrapper's unshare/chroot chain and QEMU die together with protm.
  const child = spawn(qemu, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const release = killGroupOnExit(child);
  const jitterRange = parseJitter(process.env.PROTM_QEMU_JITTER);
  const jitter = jitterRange && startJitter(child, jitterRange);
  const exit = exited(child, qemu);
  // QEMU's output may still arrive after its exit: the console file is ended
  // once both pipes closed (see below), never written after that.
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
    if (!consoleFile.writableEnded) consoleFile.write(`[qemu stderr] ${d.toString()}`);
  });
  // Not ended with QEMU's stdout: its stderr may still have something to say.
  child.stdout.pipe(consoleFile, { end: false });
  const ticker = progress.start(`boot ${spec.suite}`);
  try {
    const timings = await Promise.race([
      watchStages(child, child.stdout, {
        stages: qemuBootStages(spec.timeouts),
        onLine: (line) => {
          ticker.update(line);
          // A panicked kernel never powers off: stop QEMU once the trace is out
          // instead of waiting for the stage timeout.
          if (/Kernel panic - not syncing/.test(line)) setTimeout(() => signalGroup(child, 'SIGTERM'), 2000).unref();
        },
        onStage: (label) => ticker.update(`[${label}]`),
      }),
      // A start failure (spawn error) ends the watch at once.
      exit.then(() => new Promise<never>(() => {})),
    ]);
    // The power-off stage ends on the kernel's message; QEMU then exits by itself, or is stuck.
    const inTime = await Promise.race([exit.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), EXIT_GRACE_MS).unref())]);
    if (!inTime) throw new QemuStuckError();
    if (child.signalCode !== null || child.exitCode !== 0) {
      // Its last words may still be in the pipe.
      await Promise.race([closed, new Promise((r) => setTimeout(r, 2000).unref())]);
      throw new QemuExitError(child.signalCode !== null ? `was killed by ${child.signalCode}` : `exited with status ${child.exitCode}`, stderr);
    }
    ticker.stop(true);
    return { dir, consoleLog, secureLog: join(dir, 'secure.log'), timings, seconds: (Date.now() - started) / 1000, command: [qemu, ...args] };
  } catch (err) {
    ticker.stop(false);
    if (err instanceof StageExitError) await Promise.race([exit.catch(() => {}), new Promise((r) => setTimeout(r, 2000).unref())]);
    // QEMU itself failed (bad option, missing file, no permission): say so with its own words.
    const failed = child.signalCode !== null || (child.exitCode !== null && child.exitCode !== 0);
    if (err instanceof StageExitError && failed && stderr.trim()) {
      const how = child.signalCode !== null ? `was killed by ${child.signalCode}` : `exited with status ${child.exitCode}`;
      throw new ProtmError(
        `QEMU ${how} during boot stage "${err.stage}":\n${stderr.trim().split('\n').slice(-10).join('\n')}`,
        `the full console is in ${consoleLog}`,
      );
    }
    throw err;
  } finally {
    if (jitter) {
      const { stops, stoppedMs } = jitter.end();
      record.log(`PROTM_QEMU_JITTER=${process.env.PROTM_QEMU_JITTER}: QEMU was stopped ${stops} times, ${stoppedMs} ms in all`);
    }
    if (child.exitCode === null && child.signalCode === null) signalGroup(child, 'SIGKILL');
    release();
    exit.catch(() => {});
    removeBootFiles(dir);
    await Promise.race([closed, new Promise((r) => setTimeout(r, EXIT_GRACE_MS).unref())]);
    child.stdout.unpipe(consoleFile);
    await new Promise<void>((resolve) => consoleFile.end(() => resolve()));
  }
}

/** Boot with the console on this terminal (suite "shell"); resolves with QEMU's exit code. */
export async function bootInteractive(record: RunRecord, spec: BootSpec): Promise<number> {
  const dir = join(record.dir, 'boot');
  prepareDir(dir, spec);
  const qemu = spec.qemu ?? 'qemu-system-aarch64';
  progress.note(`▸ interactive boot (Ctrl-A X quits QEMU); secure-world log: ${join(dir, 'secure.log')}`);
  const child = spawn(qemu, qemuArgs({ ...spec, suite: 'shell' }, true), { cwd: dir, stdio: 'inherit' });
  try {
    await exited(child, qemu);
    return child.exitCode ?? 1;
  } finally {
    removeBootFiles(dir);
  }
}
