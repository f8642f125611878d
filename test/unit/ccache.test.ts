// Our ccache settings, with the host's real ccache and gcc: a miss must cost
// one compile (no extra preprocessor pass, which made cold builds 1.4x to
// 1.6x as slow), and the same source built in another tree must still hit.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ccacheSettings } from '../../tools/host/ccache.js';

const scratch = mkdtempSync(join(tmpdir(), 'protm-ccache-'));
afterAll(() => {
  vi.unstubAllEnvs();
  rmSync(scratch, { recursive: true, force: true });
});

/** A tree under <cache>/trees with a header and a source including it. */
function tree(cache: string, name: string): string {
  const dir = join(cache, 'trees', name, 'src');
  mkdirSync(join(dir, 'include'), { recursive: true });
  writeFileSync(join(dir, 'include', 'answer.h'), '#define ANSWER 42\n');
  writeFileSync(join(dir, 'answer.c'), '#include "answer.h"\nint answer(void) { return ANSWER; }\n');
  return dir;
}

function stats(env: Record<string, string>): Record<string, number> {
  const out = execFileSync('ccache', ['--print-stats'], { env: { ...process.env, ...env }, encoding: 'utf8' });
  return Object.fromEntries(
    out
      .split('\n')
      .map((l) => l.split('\t'))
      .map(([k, v]) => [k, Number(v)]),
  );
}

describe('ccache settings', () => {
  // The kernel's -Wp,-MMD,<file> and meson's -MD -MF <file>.
  for (const [style, depArgs] of [
    ['kernel', (d: string) => [`-Wp,-MMD,${d}`]],
    ['meson', (d: string) => ['-MD', '-MF', d]],
  ] as const) {
    it(`a cold compile (${style} dependency flags) runs only the compiler, and another tree hits`, () => {
      const cache = join(scratch, style);
      vi.stubEnv('PROTM_CACHE', cache);
      vi.stubEnv('PROTM_SHARED_CACHE', '');
      const env = ccacheSettings();
      const compile = (src: string) =>
        execFileSync('ccache', ['gcc', '-O2', '-Iinclude', ...depArgs('answer.d'), '-c', 'answer.c', '-o', 'answer.o'], {
          cwd: src,
          env: { ...process.env, ...env },
        });
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
});
