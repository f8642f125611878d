import { describe, expect, it } from 'vitest';
import { scanConsole } from '../../tools/boot/console-scan.js';
import { isPowerOffPanic } from '../../tools/run/target-run.js';

const poweredOff = 'protm: suite tee-heap finished\nreboot: Power down\nERROR:   QEMU System Power off: with GPIO.\n';
const running = 'protm: suite tee-heap finished\n';
const panicLast = 'I/TC: Primary CPU switching to normal world boot\nM/TA: enter\nPANIC at PC : 0x000000000e095b04\n\n';
const panicMid = 'I/TC: Primary CPU switching to normal world boot\nPANIC at PC : 0x000000000e095b04\nI/TC: still running\n';

function excused(consoleLog: string, secureLog: string): boolean[] {
  return scanConsole(secureLog, { source: 'secure' }).map((f) => isPowerOffPanic(f, consoleLog, secureLog));
}

describe("TF-A's panic after its GPIO power-off", () => {
  it("is excused as the secure log's last line after a power-off request", () => {
    expect(excused(poweredOff, panicLast)).toEqual([true]);
  });
  it('still fails the run without a power-off request', () => {
    expect(excused(running, panicLast)).toEqual([false]);
  });
  it('still fails the run when the secure world went on after it', () => {
    expect(excused(poweredOff, panicMid)).toEqual([false]);
  });
});
