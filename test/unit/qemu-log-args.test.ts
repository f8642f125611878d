// QEMU's log options: with the GPU model the model's host errors are always
// logged (they fail the run), whatever PROTM_QEMU_LOG adds.
import { describe, expect, it } from 'vitest';
import { logArgs } from '../../tools/boot/qemu.js';

describe('QEMU log options', () => {
  it("always trace the GPU model's host errors", () => {
    expect(logArgs(true, undefined)).toEqual(['-d', 'trace:mali_csf_host_error', '-D', 'qemu.log']);
  });

  it('add what PROTM_QEMU_LOG asks for, with host times', () => {
    expect(logArgs(true, 'guest_errors,trace:mali_csf_*')).toEqual([
      '-d',
      'trace:mali_csf_host_error,guest_errors,trace:mali_csf_*',
      '-D',
      'qemu.log',
      '-msg',
      'timestamp=on',
    ]);
  });

  it('log nothing without the model unless asked', () => {
    expect(logArgs(false, undefined)).toEqual([]);
    expect(logArgs(false, 'guest_errors')).toEqual(['-d', 'guest_errors', '-D', 'qemu.log', '-msg', 'timestamp=on']);
  });
});
