// The target's init learns what to run from fw_cfg (QEMU) or from the kernel
// command line (LAVA boards, which have no fw_cfg). The selection is a sourced
// shell file; run it with the host's POSIX sh as the target's busybox would.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../tools/lib/paths.js';

const TARGET_ENV = join(repoRoot, 'test/target/rootfs/target-env');

async function select(env: Record<string, string>, fwcfg: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'protm-fwcfg-'));
  for (const [name, value] of Object.entries(fwcfg)) {
    mkdirSync(join(dir, name));
    writeFileSync(join(dir, name, 'raw'), value);
  }
  const script = '. "$1"; printf "%s|%s|%s" "$suite" "$PROTM_EXPECT_GPU" "$PROTM_CHECK_ARGS"';
  try {
    const r = await execa('sh', ['-c', script, 'sh', TARGET_ENV], { env: { ...env, fwcfg: dir }, extendEnv: false });
    const [suite, expectGpu, checkArgs] = r.stdout.split('|');
    return { suite, expectGpu, checkArgs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('target init: what to run', () => {
  it('takes the suite and the GPU promise from the kernel command line when there is no fw_cfg (boards)', async () => {
    expect(await select({ protm_suite: 'tee-heap', protm_expect_gpu: '1' })).toEqual({
      suite: 'tee-heap',
      expectGpu: '1',
      checkArgs: '',
    });
  });

  it('takes them from fw_cfg on QEMU, which wins over the command line', async () => {
    const fwcfg = { suite: 'gpu-basic', 'expect-gpu': '1', 'check-args': '--heap protected,secure-video' };
    expect(await select({ protm_suite: 'tee-heap' }, fwcfg)).toEqual({
      suite: 'gpu-basic',
      expectGpu: '1',
      checkArgs: '--heap protected,secure-video',
    });
  });

  it('gives an interactive shell and promises no GPU when nothing is named', async () => {
    expect(await select({})).toEqual({ suite: 'shell', expectGpu: '0', checkArgs: '' });
  });
});
