// Boots the arm64 target: TF-A (BL1/BL2/BL31) + OP-TEE (BL32) + the kernel
// Image as BL33, all loaded by semihosting from the working directory, on
// QEMU's virt machine with TrustZone. The normal-world console is watched
// through staged timeouts; the secure-world console goes to its own log.
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { SecureWorld } from '../build/secure-world.js';
import { progress } from '../lib/progress.js';
import type { RunRecord } from '../lib/run-record.js';
import { type BootTimeouts, qemuBootStages, type StageTiming, watchStages } from './stages.js';

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
  /** Add the Mali CSF GPU model (needs our QEMU build). */
  gpu?: boolean;
}

export interface BootResult {
  dir: string;
  consoleLog: string;
  secureLog: string;
  timings: StageTiming[];
  seconds: number;
  command: string[];
}

/** Lay out the firmware files under the names TF-A's semihosting loader opens. */
function prepareDir(dir: string, spec: BootSpec): void {
  mkdirSync(dir, { recursive: true });
  const f = spec.secure.files;
  const files: [string, string][] = [
    [f.bl1, 'bl1.bin'],
    [f.bl2, 'bl2.bin'],
    [f.bl31, 'bl31.bin'],
    [f.bl32, 'bl32.bin'],
    [f.bl32Extra1, 'bl32_extra1.bin'],
    [f.bl32Extra2, 'bl32_extra2.bin'],
    [spec.image, 'bl33.bin'],
  ];
  for (const [from, name] of files) copyFileSync(from, join(dir, name));
}

/** QEMU option values escape a comma by doubling it. */
function qemuOptValue(value: string): string {
  return value.replace(/,/g, ',,');
}

export function qemuArgs(spec: BootSpec, interactive: boolean): string[] {
  const ram = spec.secure.profile.machine.ramMiB;
  return [
    '-machine', `virt,secure=on,gic-version=3${spec.gpu ? ',mali=on' : ''}`,
    '-cpu', 'cortex-a57',
    '-smp', '2',
    '-m', String(ram),
    '-bios', 'bl1.bin',
    '-semihosting-config', 'enable=on,target=native',
    '-display', 'none',
    '-monitor', 'none',
    '-serial', interactive ? 'mon:stdio' : 'stdio',
    '-serial', 'file:secure.log',
    '-no-reboot',
    // No network: the target needs none, and virt's default NIC wants an option ROM.
    '-nic', 'none',
    '-fw_cfg', `name=opt/protm/suite,string=${qemuOptValue(spec.suite)}`,
    ...(spec.checkArgs ? ['-fw_cfg', `name=opt/protm/check-args,string=${qemuOptValue(spec.checkArgs)}`] : []),
    ...(spec.secure.dtb ? ['-dtb', spec.secure.dtb] : []),
  ];
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
  const child = spawn(qemu, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const release = killOnExit(child);
  child.stderr.on('data', (d: Buffer) => consoleFile.write(`[qemu stderr] ${d.toString()}`));
  child.stdout.pipe(consoleFile);
  const ticker = progress.start(`boot ${spec.suite}`);
  try {
    const timings = await watchStages(child, child.stdout, {
      stages: qemuBootStages(spec.timeouts),
      onLine: (line) => {
        ticker.update(line);
        // A panicked kernel never powers off: stop QEMU once the trace is out
        // instead of waiting for the stage timeout.
        if (/Kernel panic - not syncing/.test(line)) setTimeout(() => child.kill('SIGTERM'), 2000).unref();
      },
      onStage: (label) => ticker.update(`[${label}]`),
    });
    // The power-off stage ends on the kernel's message; let QEMU exit by itself.
    await new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', () => resolve())));
    ticker.stop(true);
    return { dir, consoleLog, secureLog: join(dir, 'secure.log'), timings, seconds: (Date.now() - started) / 1000, command: [qemu, ...args] };
  } catch (err) {
    ticker.stop(false);
    throw err;
  } finally {
    release();
    if (child.exitCode === null) child.kill('SIGKILL');
    await new Promise<void>((resolve) => consoleFile.end(() => resolve()));
  }
}

/** If protm is interrupted or exits, QEMU must not live on (it would spin a core). */
function killOnExit(child: ChildProcess): () => void {
  const onExit = () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  };
  const onSignal = (signal: NodeJS.Signals) => {
    onExit();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('exit', onExit);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return () => {
    process.off('exit', onExit);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}

/** Boot with the console on this terminal (suite "shell"); resolves with QEMU's exit code. */
export async function bootInteractive(record: RunRecord, spec: BootSpec): Promise<number> {
  const dir = join(record.dir, 'boot');
  prepareDir(dir, spec);
  const qemu = spec.qemu ?? 'qemu-system-aarch64';
  progress.note(`▸ interactive boot (Ctrl-A X quits QEMU); secure-world log: ${join(dir, 'secure.log')}`);
  const child = spawn(qemu, qemuArgs({ ...spec, suite: 'shell' }, true), { cwd: dir, stdio: 'inherit' });
  return new Promise((resolve) => child.once('exit', (code) => resolve(code ?? 1)));
}
