// Our ccache launcher (tools/host/ccache.ts), with the host's real ccache
// and gcc, the way the builds call it (by PATH): a miss must cost one
// compile (no extra preprocessor pass, which made cold builds 1.4x to 1.6x
// as slow), the same source in another tree must hit, and a source that
// embeds a file with .incbin must never get the object of an older file.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { hostCcacheEnv } from '../../tools/host/ccache.js';

const scratch = mkdtempSync(join(tmpdir(), 'protm-ccache-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
afterEach(() => vi.unstubAllEnvs());

/** The environment of a build against a fresh cache `name`. */
function freshCache(name: string): { cache: string; env: Record<string, string> } {
  const cache = join(scratch, name);
  vi.stubEnv('PROTM_CACHE', cache);
  vi.stubEnv('PROTM_SHARED_CACHE', '');
  return { cache, env: { ...(process.env as Record<string, string>), ...hostCcacheEnv() } };
}

/** A tree under <cache>/trees with a header and a source including it. */
function tree(cache: string, name: string): string {
  const dir = join(cache, 'trees', name, 'src');
  mkdirSync(join(dir, 'include'), { recursive: true });
  writeFileSync(join(dir, 'include', 'answer.h'), '#define ANSWER 42\n');
  writeFileSync(join(dir, 'answer.c'), '#include "answer.h"\nint answer(void) { return ANSWER; }\n');
  return dir;
}

function stats(env: Record<string, string>): Record<string, number> {
  const out = execFileSync('ccache', ['--print-stats'], { env, encoding: 'utf8' });
  return Object.fromEntries(
    out
      .split('\n')
      .map((l) => l.split('\t'))
      .map(([k, v]) => [k, Number(v)]),
  );
}

describe('ccache launcher', () => {
  // The kernel: CC="ccache <compiler>" with -Wp,-MMD,<file>. QEMU and TF-A:
  // the compiler by name (a launcher link), meson's -MD -MF <file>.
  for (const [style, argv] of [
    ['kernel', ['ccache', 'gcc', '-Wp,-MMD,answer.d']],
    ['by compiler name', ['gcc', '-MD', '-MF', 'answer.d']],
  ] as const) {
    it(`a cold compile (${style}) runs only the compiler, and another tree hits`, () => {
      const { cache, env } = freshCache(style.replace(/ /g, '-'));
      const compile = (src: string) => execFileSync(argv[0], [...argv.slice(1), '-O2', '-Iinclude', '-c', 'answer.c', '-o', 'answer.o'], { cwd: src, env });
      compile(tree(cache, 'first'));
      const cold = stats(env);
      expect(cold.cache_miss).toBe(1);
      // The default mode's miss shows as a preprocessed-cache miss: the preprocessor ran first.
      expect(cold.preprocessed_cache_miss).toBe(0);
      compile(tree(cache, 'second'));
      const warm = stats(env);
      expect(warm.direct_cache_hit).toBe(1);
      expect(warm.cache_miss).toBe(1);
    });
  }

  it('an object that embeds a file with .incbin (the kernel initramfs) follows the file, not the cache', () => {
    const { cache, env } = freshCache('incbin');
    const src = join(cache, 'trees', 'kernel', 'src');
    mkdirSync(src, { recursive: true });
    // Like usr/initramfs_data.S: the embedded file's name comes from the command line.
    writeFileSync(join(src, 'data.S'), '.section .rodata\n.incbin INITRAMFS_IMAGE\n');
    const build = (contents: string): string => {
      writeFileSync(join(src, 'blob'), contents);
      execFileSync('ccache', ['gcc', '-Wp,-MMD,data.d', '-DINITRAMFS_IMAGE="blob"', '-c', 'data.S', '-o', 'data.o'], { cwd: src, env });
      return readFileSync(join(src, 'data.o'), 'latin1');
    };
    expect(build('first initramfs')).toContain('first initramfs');
    const second = build('second initramfs');
    expect(second).toContain('second initramfs');
    expect(second).not.toContain('first initramfs');
  });
});
