// The target check programs and the protm_verify TA, as far as the host can
// check them: the shared pattern and the SHA-256 against independent
// implementations, the KTAP the suite prints when there is no TEE, and (with
// an OP-TEE dev kit in the cache) the arm64 build itself.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildOptee, loadSecureProfile } from '../../tools/build/secure-world.js';
import {
  buildTargetChecks,
  checkPrograms,
  isCheckSource,
  linuxUapiHeaders,
  PROTM_VERIFY_TA_UUID,
  targetChecksPaths,
  teeHeapCheckArgs,
} from '../../tools/build/target-checks.js';
import { RunRecord } from '../../tools/lib/run-record.js';
import { parseKtap } from '../../tools/results/ktap.js';

const scratch = mkdtempSync(join(tmpdir(), 'protm-target-checks-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const ta = targetChecksPaths.ta();
const programs = targetChecksPaths.programs();

/** The pattern of protm_verify_ta.h, written again from its description (splitmix64, little-endian words). */
function pattern(seed: number, size: number): Buffer {
  const mask = (1n << 64n) - 1n;
  const s = BigInt(seed >>> 0);
  const out = Buffer.alloc(size);
  for (let word = 0; word * 8 < size; word++) {
    let z = (((s << 32n) | s) + (BigInt(word) + 1n) * 0x9e3779b97f4a7c15n) & mask;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & mask;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & mask;
    z ^= z >> 31n;
    for (let b = 0; b < 8 && word * 8 + b < size; b++) out[word * 8 + b] = Number((z >> BigInt(8 * b)) & 0xffn);
  }
  return out;
}

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

describe('target check sources', () => {
  it('every test/target/*_check.c is a program named protm-<name>', () => {
    const found = checkPrograms();
    expect(found.map((p) => p.name)).toContain('protm-tee-heap');
    for (const p of found)
      expect(p.name).toBe(
        `protm-${p.source
          .split('/')
          .pop()!
          .replace(/_check\.c$/, '')
          .replace(/_/g, '-')}`,
      );
  });

  it('the build key covers the C sources, not the rootfs scripts beside them', () => {
    expect(isCheckSource('tee_heap_check.c')).toBe(true);
    expect(isCheckSource('lib/sha256.h')).toBe(true);
    expect(isCheckSource('rootfs/init')).toBe(false);
    expect(isCheckSource('suites/tee-heap.sh')).toBe(false);
  });

  it('the TA UUID is the same in the header, the TA makefile and the build', () => {
    const header = readFileSync(join(ta, 'include', 'protm_verify_ta.h'), 'utf8');
    expect(header).toContain(`#define PROTM_VERIFY_UUID_STR "${PROTM_VERIFY_TA_UUID}"`);
    const [a, b, c, d, e] = PROTM_VERIFY_TA_UUID.split('-') as [string, string, string, string, string];
    const bytes = (d + e)
      .match(/../g)!
      .map((x) => `0x${x}`)
      .join(', ');
    expect(header.replace(/\s*\\\n\s*/g, ' ')).toContain(`{ 0x${a}, 0x${b}, 0x${c}, { ${bytes} } }`);
    expect(readFileSync(join(ta, 'Makefile'), 'utf8')).toContain(`BINARY = ${PROTM_VERIFY_TA_UUID}`);
  });

  it('the TA is flagged for secure data path memory references', () => {
    expect(readFileSync(join(ta, 'user_ta_header_defines.h'), 'utf8')).toMatch(/#define TA_FLAGS \([^)]*TA_FLAG_SECURE_DATA_PATH/);
  });

  it('teeHeapCheckArgs: the static profile passes its pool range, the dynamic one only the heap', () => {
    expect(teeHeapCheckArgs(loadSecureProfile('static'))).toEqual(['--heap', 'protected,secure-video', '--sdp-base', '0x7f000000', '--sdp-size', '0x1000000']);
    expect(teeHeapCheckArgs(loadSecureProfile('dynamic'))).toEqual(['--heap', 'protected,secure-video']);
  });
});

describe('host build of the shared C code', () => {
  it('lib/sha256.c and the header pattern agree with node:crypto and an independent pattern (host cc)', () => {
    const driver = join(scratch, 'digest.c');
    writeFileSync(
      driver,
      `#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/sha256.h"
#include "protm_verify_ta.h"
static void hex(const void *p, size_t n) { uint8_t d[32]; char h[65]; sha256(p, n, d); sha256_hex(d, h); puts(h); }
int main(void) {
	static const unsigned sizes[] = { 1, 55, 56, 63, 64, 65, 4097, 1048576 };
	static const unsigned seeds[] = { 0, 0x5eed1234u, 0xffffffffu };
	char *a = malloc(1000000); memset(a, 'a', 1000000);
	hex("", 0); hex("abc", 3); hex(a, 1000000);
	for (unsigned s = 0; s < 3; s++) for (unsigned z = 0; z < 8; z++) {
		uint8_t *b = malloc(sizes[z]);
		for (unsigned i = 0; i < sizes[z]; i++) b[i] = protm_verify_pattern_byte(seeds[s], i);
		hex(b, sizes[z]); free(b);
	}
	return 0;
}
`,
    );
    const exe = join(scratch, 'digest');
    execFileSync('cc', [
      '-O2',
      '-std=gnu11',
      '-Wall',
      '-Wextra',
      '-Werror',
      `-I${programs}`,
      `-I${join(ta, 'include')}`,
      '-o',
      exe,
      driver,
      join(programs, 'lib', 'sha256.c'),
    ]);
    const got = execFileSync(exe, { encoding: 'utf8' }).trim().split('\n');
    const want = [sha(''), sha('abc'), sha('a'.repeat(1000000))];
    for (const seed of [0, 0x5eed1234, 0xffffffff]) for (const size of [1, 55, 56, 63, 64, 65, 4097, 1048576]) want.push(sha(pattern(seed, size)));
    expect(want[1]).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(got).toEqual(want);
  });

  it('protm-tee-heap without a TEE device: the device case fails, every other case skips (host build)', async () => {
    // linux/tee.h, dma-heap.h, dma-buf.h, bits.h and the DRM headers are
    // architecture-neutral: the pinned tree's versions build natively
    // against the host's other headers.
    const uapi = await linuxUapiHeaders(new RunRecord('unit-target-checks'));
    const inc = join(scratch, 'include');
    mkdirSync(join(inc, 'linux'), { recursive: true });
    for (const h of ['tee.h', 'dma-heap.h', 'dma-buf.h', 'bits.h']) cpSync(join(uapi, 'linux', h), join(inc, 'linux', h));
    // lib/panthor.c, linked into every program, needs the pinned DRM uapi.
    cpSync(join(uapi, 'drm'), join(inc, 'drm'), { recursive: true });
    const exe = join(scratch, 'protm-tee-heap');
    const lib = readdirSync(join(programs, 'lib'))
      .filter((f) => f.endsWith('.c'))
      .map((f) => join(programs, 'lib', f));
    execFileSync('cc', [
      '-O2',
      '-std=gnu11',
      '-Wall',
      '-Wextra',
      '-Werror',
      `-I${inc}`,
      `-I${join(ta, 'include')}`,
      `-I${programs}`,
      '-o',
      exe,
      join(programs, 'tee_heap_check.c'),
      ...lib,
    ]);

    const run = spawnSync(exe, ['--tee', '/nonexistent/tee0', '--heap', 'protm-no-such-heap', '--system-heap', 'protm-no-such-heap'], { encoding: 'utf8' });
    expect(run.status).toBe(1);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe('KTAP version 1');
    const tree = parseKtap(run.stdout);
    expect(tree.children.map((c) => c.name)).toEqual(['tee-heap']);
    const suite = tree.children[0]!;
    expect(suite.status).toBe('fail');
    expect(suite.children.length).toBe(15);
    expect(suite.children[0]).toMatchObject({ name: 'tee_device_is_optee', status: 'fail' });
    for (const c of suite.children.slice(1)) {
      expect(c.status, c.name).toBe('skip');
      expect(c.reason, c.name).toBeTruthy();
    }
    expect(run.stdout).toContain('cannot open /nonexistent/tee0');

    // The command line (lib/args.c, shared by every check program): usage errors exit 2 and say why.
    const half = spawnSync(exe, ['--sdp-base', '0x7f000000'], { encoding: 'utf8' });
    expect(half.status).toBe(2);
    expect(half.stderr).toContain('--sdp-base and --sdp-size go together');
    const notNumber = spawnSync(exe, ['--sdp-base', 'zz', '--sdp-size', '4096'], { encoding: 'utf8' });
    expect(notNumber.status).toBe(2);
    expect(notNumber.stderr).toContain('--sdp-base: not a number: zz');
    for (const args of [['--no-such-option'], ['--heap'], ['positional']]) {
      const bad = spawnSync(exe, args, { encoding: 'utf8' });
      expect(bad.status, args.join(' ')).toBe(2);
      expect(bad.stderr, args.join(' ')).toContain('usage: protm-tee-heap');
      expect(bad.stdout, args.join(' ')).toBe('');
    }
    const help = spawnSync(exe, ['--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout.trim()).toBe('usage: protm-tee-heap [--heap NAME] [--system-heap NAME] [--tee DEV] [--sdp-base ADDR] [--sdp-size BYTES]');
  });
});

// Nothing here depends on what an earlier test or run left in the cache: the
// dev kit is built (or taken from the cache) by the test itself.
describe('arm64 build', () => {
  it('builds the signed TA and every check program as a static arm64 executable', async () => {
    const record = new RunRecord('unit-target-checks');
    const { taDevKit } = await buildOptee(record, loadSecureProfile('dynamic'));
    const built = await buildTargetChecks(record, { taDevKit });
    expect(built.binaries.map((b) => b.split('/').pop())).toEqual(checkPrograms().map((p) => p.name));
    expect(built.binaries.map((b) => b.split('/').pop())).toContain('protm-tee-heap');
    expect(built.tas.map((t) => t.split('/').pop())).toEqual([`${PROTM_VERIFY_TA_UUID}.ta`]);

    for (const bin of built.binaries) {
      const elf = readFileSync(bin);
      expect(elf.subarray(0, 4).toString('latin1'), bin).toBe('\x7fELF');
      expect(elf.readUInt16LE(18), bin).toBe(183); // EM_AARCH64
      // Static: no PT_INTERP program header.
      const phoff = Number(elf.readBigUInt64LE(32));
      const phentsize = elf.readUInt16LE(54);
      const phnum = elf.readUInt16LE(56);
      const types = Array.from({ length: phnum }, (_, i) => elf.readUInt32LE(phoff + i * phentsize));
      expect(types, bin).not.toContain(3);
    }

    // OP-TEE's signed TA header: magic "OTSH" (SHDR_MAGIC 0x4f545348).
    expect(readFileSync(built.tas[0]!).readUInt32LE(0)).toBe(0x4f545348);
  });
});
