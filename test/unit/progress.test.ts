// The progress display on a terminal: live lines where the terminal has a
// size, and the plain per-step lines where it reports none (a pseudo-terminal
// nobody sized, as `script` makes without a controlling terminal), never nothing.
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../tools/lib/paths.js';
import { shellQuote } from '../../tools/lib/shell.js';

const demo = [process.execPath, '--import', 'tsx', join(repoRoot, 'test', 'helpers', 'progress-demo.ts')].map(shellQuote).join(' ');

/** The demo's terminal output, run by `script` on a new pseudo-terminal after `setup`. */
async function onTerminal(setup: string): Promise<string> {
  const r = await execa('script', ['-qec', `${setup}exec ${demo}`, '/dev/null'], { cwd: repoRoot, stdin: 'ignore', reject: false });
  expect(r.exitCode, r.stdout).toBe(0);
  return r.stdout;
}

describe('progress on a terminal', () => {
  it('draws a live line with the step and its last output on a sized terminal', async () => {
    const out = await onTerminal('stty cols 100 rows 20; ');
    expect(out).toMatch(/▸ demo step \d+s {2}compiling part one/);
    expect(out).toMatch(/✓ demo step \(\d+s\)/);
  });

  it('prints the step as a plain line on a terminal that reports 0 columns', async () => {
    const out = await onTerminal('stty cols 0 rows 0; ');
    expect(out).toMatch(/^▸ demo step\r?$/m);
    expect(out).toMatch(/✓ demo step \(\d+s\)/);
  });
});
