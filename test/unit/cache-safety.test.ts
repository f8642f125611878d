// Nothing lost, nothing half-made used: interrupts, damaged products,
// concurrent runs, pin changes, run-record growth and a full disk, each
// injected for real against a private cache. The private cache borrows the
// real cache's verified downloads and ccache (PROTM_SHARED_CACHE), so these
// tests download nothing the real cache already has.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { cacheDir, repoRoot } from '../../tools/lib/paths.js';
import { protm } from '../helpers/cli.js';

const realCache = cacheDir();
const scratch = mkdtempSync(join(tmpdir(), 'protm-cache-safety-'));
const mounts: string[] = [];

// Asynchronous: a large scratch tree (a QEMU source and its git repository)
// removed synchronously blocks the test worker long enough for vitest's RPC
// to time out on a loaded machine.
afterAll(async () => {
  for (const m of mounts) execFileSync('umount', ['-l', m]);
  await rm(scratch, { recursive: true, force: true });
});

function privateCache(name: string): { cache: string; env: Record<string, string> } {
  const cache = join(scratch, name);
  mkdirSync(cache, { recursive: true });
  return { cache, env: { PROTM_CACHE: cache, PROTM_SHARED_CACHE: realCache } };
}

function artifactDirs(cache: string, prefix: string): string[] {
  const dir = join(cache, 'artifacts');
  return existsSync(dir) ? readdirSync(dir).filter((n) => n.startsWith(prefix)) : [];
}

function metadata(cache: string, command: string): Array<Record<string, unknown>> {
  const runs = join(cache, 'runs');
  return readdirSync(runs)
    .filter((n) => n.endsWith(`-${command.replace(/\s+/g, '-')}`))
    .sort()
    .map((n) => JSON.parse(readFileSync(join(runs, n, 'metadata.json'), 'utf8')) as Record<string, unknown>);
}

/** Processes whose command line mentions `text` (other than this test's own pgrep). */
function processesMentioning(text: string): string[] {
  try {
    return execFileSync('pgrep', ['-af', text], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.trim() && !l.includes('pgrep'));
  } catch {
    return [];
  }
}

describe('an interrupted build', () => {
  const { cache, env } = privateCache('interrupt');

  it('stops its children, records the interruption, and the next run rebuilds from scratch', async () => {
    // Without ccache, so that the build is still compiling when it is interrupted
    // (from a warm ccache TF-A builds in seconds).
    const child = execa(process.execPath, [join(repoRoot, 'bin', 'protm.js'), 'build', 'tfa'], {
      env: { ...env, CCACHE_DISABLE: '1' },
      reject: false,
      all: true,
    });
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`TF-A build never started:\n${output}`)), 600_000);
      child.all?.on('data', (d: Buffer) => {
        output += d.toString();
        if (output.includes('▸ tfa: build bl1 bl2 bl31')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    // Let make start its compilers, then interrupt protm as `kill` would.
    await new Promise((r) => setTimeout(r, 4000));
    expect(processesMentioning(join(cache, 'trees', 'secure', 'tfa')).length).toBeGreaterThan(0);
    child.kill('SIGTERM');
    const r = await child;
    expect(r.exitCode).toBe(143);
    expect(String(r.all)).toMatch(/SIGTERM: stopping 1 running step/);
    await new Promise((r2) => setTimeout(r2, 1500));
    expect(processesMentioning(join(cache, 'trees', 'secure', 'tfa'))).toEqual([]);
    const [interrupted] = metadata(cache, 'build tfa');
    expect(interrupted).toMatchObject({ status: 'failed', error: 'interrupted by SIGTERM before it finished' });
    expect(String(r.all)).toMatch(/protm build tfa: interrupted by SIGTERM before it finished/);
    // The half-built product is a temporary, never a finished artifact.
    expect(artifactDirs(cache, 'tfa-').every((n) => n.includes('.tmp-'))).toBe(true);

    const again = await protm(['build', 'tfa'], env);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(artifactDirs(cache, 'tfa-').filter((n) => n.includes('.tmp-'))).toEqual([]);
    const [done] = artifactDirs(cache, 'tfa-');
    expect(statSync(join(cache, 'artifacts', done!, 'bl31.bin')).size).toBeGreaterThan(10_000);
  });

  it('a damaged product (truncated file) is reported and rebuilt, never used', async () => {
    expect((await protm(['build', 'tfa'], env)).exitCode).toBe(0);
    const [done] = artifactDirs(cache, 'tfa-');
    const bl31 = join(cache, 'artifacts', done!, 'bl31.bin');
    const size = statSync(bl31).size;
    truncateSync(bl31, 100);
    const r = await protm(['build', 'tfa'], env);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/the cached tfa \(.*\) is damaged, rebuilding it:\s+bl31\.bin: 100 bytes, built with \d+/);
    expect(statSync(bl31).size).toBe(size);
  });

  it('two protm commands building the same product: one waits, naming the holder; it is built once', async () => {
    for (const d of artifactDirs(cache, 'tfa-')) rmSync(join(cache, 'artifacts', d), { recursive: true, force: true });
    const runs = await Promise.all([protm(['build', 'tfa'], env), protm(['build', 'tfa'], env)]);
    for (const r of runs) expect(r.exitCode, r.stderr).toBe(0);
    expect(runs.some((r) => /waiting for "artifact-tfa": locked by pid \d+ \(protm build tfa, since /.test(r.stderr))).toBe(true);
    const last = metadata(cache, 'build tfa').slice(-2);
    const built = last.filter((m) =>
      (m.steps as Array<{ name: string; status: string }>).some((s) => s.name === 'tfa: build bl1 bl2 bl31' && s.status === 'ok'),
    );
    expect(built).toHaveLength(1);
  });
});

describe('a pin change', () => {
  it('keeps the old work tree, with its unexported commit and untracked file, beside the new one', async () => {
    const { cache, env } = privateCache('pin-change');
    const src = join(cache, 'trees', 'qemu', 'src');
    mkdirSync(src, { recursive: true });
    const git = (args: string[]) =>
      execFileSync('git', args, {
        cwd: src,
        env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' },
      });
    git(['init', '-q']);
    writeFileSync(join(src, 'README'), 'an older pin\n');
    git(['add', 'README']);
    git(['commit', '-qm', 'old pin']);
    git(['tag', 'protm-base']);
    git(['config', 'protm.pinHash', 'an-older-pin']);
    writeFileSync(join(src, 'model.c'), 'work never exported\n');
    git(['add', 'model.c']);
    git(['commit', '-qm', 'unexported work']);
    writeFileSync(join(src, 'notes.txt'), 'untracked\n');

    const r = await protm(['patches', 'apply', 'qemu'], env);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/the qemu pin changed: the previous work tree is kept as \S+src\.pin-/);
    const aside = readdirSync(join(cache, 'trees', 'qemu')).filter((n) => n.startsWith('src.pin-'));
    expect(aside).toHaveLength(1);
    const old = join(cache, 'trees', 'qemu', aside[0]!);
    expect(readFileSync(join(old, 'notes.txt'), 'utf8')).toBe('untracked\n');
    expect(execFileSync('git', ['log', '--format=%s', '-1'], { cwd: old, encoding: 'utf8' }).trim()).toBe('unexported work');
    expect(existsSync(join(src, 'hw', 'arm', 'virt.c'))).toBe(true);
  });
});

describe('run records', () => {
  it('are pruned to PROTM_KEEP_RUNS, and protm gc removes leftovers of dead processes', async () => {
    const { cache, env } = privateCache('runs');
    for (let i = 0; i < 5; i++) expect((await protm(['gc'], { ...env, PROTM_KEEP_RUNS: '3' })).exitCode).toBe(0);
    expect(readdirSync(join(cache, 'runs'))).toHaveLength(3);
    const leftover = join(cache, 'artifacts', 'tfa-0123456789abcdef.tmp-999999');
    mkdirSync(leftover, { recursive: true });
    writeFileSync(join(leftover, 'bl31.bin'), 'half');
    // The ROCK 5B's own kernel build directory, which no current protm uses.
    const obsolete = join(cache, 'trees', 'kernel', 'src', '.protm-out-rock5b');
    mkdirSync(obsolete, { recursive: true });
    writeFileSync(join(obsolete, 'vmlinux'), 'old');
    const kept = join(cache, 'trees', 'kernel', 'src', '.protm-out');
    mkdirSync(kept, { recursive: true });
    // The host checks' native Mesa build, which they no longer make; the
    // patch check's native build in its own tree is still used.
    const oldNative = join(cache, 'trees', 'mesa-exact', 'out-native');
    mkdirSync(oldNative, { recursive: true });
    writeFileSync(join(oldNative, 'build.ninja'), 'old');
    const checkNative = join(cache, 'trees', 'mesa-check', 'out-native');
    mkdirSync(checkNative, { recursive: true });
    const r = await protm(['gc', '--keep-runs', '1'], env);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/removed \S+tfa-0123456789abcdef\.tmp-999999/);
    expect(r.stdout).toMatch(/removed \S+\/trees\/kernel\/src\/\.protm-out-rock5b/);
    expect(existsSync(leftover)).toBe(false);
    expect(existsSync(obsolete)).toBe(false);
    expect(existsSync(kept)).toBe(true);
    expect(r.stdout).toMatch(/removed \S+\/trees\/mesa-exact\/out-native/);
    expect(existsSync(oldNative)).toBe(false);
    expect(existsSync(checkNative)).toBe(true);
    expect(readdirSync(join(cache, 'runs'))).toHaveLength(1);
    // A finished record no longer says it is running.
    expect(readdirSync(join(cache, 'runs', readdirSync(join(cache, 'runs'))[0]!))).not.toContain('running.pid');
  });

  it('a run still being written is never pruned, however many shorter runs came after it', async () => {
    const { cache, env } = privateCache('runs-live');
    const runs = join(cache, 'runs');
    // Older than every run below: a long boot of another protm (this test's
    // process plays it, alive), and one whose protm died before it finished.
    const live = join(runs, '2000-01-01T00-00-00-000Z-run');
    const dead = join(runs, '2000-01-01T00-00-00-001Z-run');
    for (const [dir, pid] of [
      [live, process.pid],
      [dead, 999_999],
    ] as const) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'run.log'), '# protm run\n');
      writeFileSync(join(dir, 'running.pid'), `${pid}\n`);
    }
    for (let i = 0; i < 3; i++) expect((await protm(['gc'], { ...env, PROTM_KEEP_RUNS: '2' })).exitCode).toBe(0);
    expect(existsSync(live)).toBe(true);
    expect(existsSync(dead)).toBe(false);
    expect(readdirSync(runs)).toHaveLength(3);
  });
});

describe('a full disk', () => {
  const { cache, env } = privateCache('full');
  mkdirSync(cache, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=48m', 'tmpfs', cache]);
  mounts.push(cache);

  it('is refused up front when the cache has less than the minimum free', async () => {
    const r = await protm(['sources', 'fetch', 'linux'], env);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/not enough disk space for the cache \S+: 0\.0\d GiB free, protm needs at least 2\.0 GiB/);
    expect(r.stderr).toMatch(/hint: .*PROTM_CACHE.*protm gc/);
  });

  it('running out in the middle is reported as exactly that, with a run record, and leaves no partial download', async () => {
    const r = await protm(['sources', 'fetch', 'linux'], { ...env, PROTM_MIN_FREE_GB: '0' });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/out of disk space: the cache \S+ is full/);
    expect(r.stderr).toMatch(/run record: \S+metadata\.json/);
    const downloads = join(cache, 'downloads', 'linux');
    expect(existsSync(downloads) ? readdirSync(downloads) : []).toEqual([]);
  });
});
