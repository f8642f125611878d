// Boots protm's KUnit kernel on the host's QEMU (Debian's qemu-system-aarch64,
// virt, no firmware): the kernel, the initramfs of tools/build/
// kunit-initramfs.ts, and the console into a file. The verdict is read from
// that file; this only says whether the boot ran to its end.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { INIT_TAG } from '../build/kunit-initramfs.js';
import { ProtmError } from '../lib/errors.js';
import { runStep, type StepOptions } from '../lib/process.js';
import type { RunRecord } from '../lib/run-record.js';
import { fileTail } from '../lib/text.js';

/** Long enough for every suite under TCG; a hung test ends the boot here. */
const TIMEOUT_SECONDS = 300;
const CONSOLE_TAIL = 40;

export interface KunitBoot {
  kernel: string;
  cpio: string;
  /** Where the console goes (overwritten). */
  consoleLog: string;
}

export function kunitQemuArgs(boot: KunitBoot): string[] {
  return [
    '-machine',
    'virt',
    // pauth-impdef: QEMU's cheap pointer-authentication hash; the
    // architected one dominates TCG's time in a kernel built with PAC.
    '-cpu',
    'max,pauth-impdef=on',
    '-m',
    '1024',
    '-nodefaults',
    '-display',
    'none',
    '-monitor',
    'none',
    '-nic',
    'none',
    '-serial',
    `file:${boot.consoleLog}`,
    '-no-reboot',
    '-kernel',
    boot.kernel,
    '-initrd',
    boot.cpio,
    // panic=-1: a test that brings the kernel down ends the boot at once
    // (-no-reboot turns the reboot into QEMU's exit), instead of at the timeout.
    '-append',
    'console=ttyAMA0 kunit.enable=1 rdinit=/init panic=-1',
  ];
}

/** What an error message ends with: the last lines the kernel printed. */
function consoleEnd(consoleLog: string): string {
  return `--- the console's last lines (${consoleLog}) ---\n${fileTail(consoleLog, CONSOLE_TAIL, '(no console output)')}`;
}

/** Boots, waits for the power-off, and returns the console. */
export async function bootKunit(record: RunRecord, boot: KunitBoot, opts: Pick<StepOptions, 'env'> = {}): Promise<string> {
  rmSync(boot.consoleLog, { force: true });
  try {
    await runStep(record, 'KUnit run (arm64, QEMU)', 'qemu-system-aarch64', kunitQemuArgs(boot), { ...opts, timeoutSeconds: TIMEOUT_SECONDS });
  } catch (err) {
    // A hang or a QEMU failure: what the kernel printed so far says where.
    if (err instanceof ProtmError) {
      throw new ProtmError(`${err.message}\n${consoleEnd(boot.consoleLog)}`, err.hint);
    }
    throw err;
  }
  const output = existsSync(boot.consoleLog) ? readFileSync(boot.consoleLog, 'utf8') : '';
  const loaded = output.match(new RegExp(`${INIT_TAG}(\\d+) of (\\d+) modules loaded`));
  if (!loaded) {
    // A test that brought the kernel down: its suite's KTAP stops there, and
    // the parser reports the missing results as a crash.
    if (/# Subtest:/.test(output)) return output;
    throw new ProtmError(`the KUnit boot ended before its init had loaded the modules\n${consoleEnd(boot.consoleLog)}`);
  }
  if (loaded[1] !== loaded[2]) {
    const failures = output.split('\n').filter((l) => l.includes(`${INIT_TAG}failed to load`));
    throw new ProtmError(
      `the KUnit boot loaded ${loaded[1]} of ${loaded[2]} modules, so some tests never ran:\n${failures.join('\n')}`,
      `"No such file or directory" means a symbol the module needs is missing (a module it needs did not load); the kernel's own messages are in ${boot.consoleLog}`,
    );
  }
  return output;
}
