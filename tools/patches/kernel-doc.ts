// The kernel-doc warnings a patch adds. W=1 runs scripts/kernel-doc on every
// C file it compiles and prints its complaints as "Warning: <file>:<line>
// <message>", which are not compiler warnings; reviewers run it on headers
// too (a uAPI header's comments are the uAPI's documentation). Upstream files
// already carry some warnings (panthor_fw.c has five), so each touched file's
// messages after the patch are compared with its messages before it. Line
// numbers are left out of the comparison: the patch moves them.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { execa } from 'execa';
import { ProtmError } from '../lib/errors.js';
import { onCore } from '../lib/jobserver.js';
import { gitTry } from './git.js';

export interface KernelDocWarning {
  line: number;
  message: string;
}

/** kernel-doc's complaints in its output, once each (it may print one twice). */
export function parseKernelDoc(output: string): KernelDocWarning[] {
  const seen = new Set<string>();
  const warnings: KernelDocWarning[] = [];
  for (const l of output.split('\n')) {
    const m = /^(?:Warning|warning|Error|error): \S+?:(\d+):? (.+)$/.exec(l.trim());
    if (!m || seen.has(m[2]!)) continue;
    seen.add(m[2]!);
    warnings.push({ line: Number(m[1]), message: m[2]! });
  }
  return warnings;
}

/** The warnings in `after` whose message `before` does not have. */
export function addedWarnings(before: KernelDocWarning[], after: KernelDocWarning[]): KernelDocWarning[] {
  const old = new Set(before.map((w) => w.message));
  return after.filter((w) => !old.has(w.message));
}

async function kernelDoc(src: string, file: string): Promise<KernelDocWarning[]> {
  // As Kbuild runs it ($(PYTHON3) $(KERNELDOC) -none), without -Wall (W=2),
  // on a core of the pool that the builds beside it share.
  const r = await onCore(() => execa('python3', [join(src, 'scripts/kernel-doc'), '-none', file], { cwd: src, reject: false, all: true }));
  const output = String(r.all ?? '');
  if (r.exitCode !== 0) {
    throw new ProtmError(`scripts/kernel-doc failed on ${file} (exit ${r.exitCode}):\n${output.trim().split('\n').slice(-8).join('\n')}`);
  }
  return parseKernelDoc(output);
}

/**
 * The kernel-doc warnings the commit at HEAD adds to the C files and headers
 * it touches (`touched`, relative to `src`), as "<file>:<line>: kernel-doc:
 * <message>". A file the commit creates had none before it.
 */
export async function kernelDocAdded(src: string, touched: string[]): Promise<string[]> {
  const files = touched.filter((f) => /\.[ch]$/.test(f));
  if (files.length === 0) return [];
  const scratch = mkdtempSync(join(tmpdir(), 'protm-kernel-doc-'));
  try {
    const added = await Promise.all(
      files.map(async (file, i) => {
        const old = await gitTry(src, ['show', `HEAD~1:${file}`]);
        let before: KernelDocWarning[] = [];
        if (old.ok) {
          // The same name in a directory of its own: kernel-doc reads the
          // suffix, and two touched files may share a name.
          const dir = join(scratch, String(i));
          mkdirSync(dir);
          const copy = join(dir, basename(file));
          writeFileSync(copy, `${old.stdout}\n`);
          before = await kernelDoc(src, copy);
        }
        return addedWarnings(before, await kernelDoc(src, file)).map((w) => `${file}:${w.line}: kernel-doc: ${w.message}`);
      }),
    );
    return added.flat();
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
