import { describe, expect, it } from 'vitest';
import { lastJson, protm } from '../helpers/cli.js';

describe('protm CLI', () => {
  it('lists every command with a description', async () => {
    const r = await protm(['--help']);
    expect(r.exitCode).toBe(0);
    for (const cmd of ['setup', 'doctor', 'sources', 'patches', 'build']) expect(r.stdout).toMatch(new RegExp(`^\\s+${cmd}\\b.*\\S`, 'm'));
  });

  it('rejects an unknown command with exit status 2', async () => {
    const r = await protm(['frobnicate']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("unknown command 'frobnicate'");
  });

  it('rejects a missing argument with exit status 2', async () => {
    const r = await protm(['sources', 'update', 'linux']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("missing required argument 'version'");
  });

  it('names an unknown component: a usage error (exit 2) with the choices', async () => {
    const r = await protm(['patches', 'apply', 'firefox']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/components: kernel, mesa, qemu/);
    expect(r.stderr).toContain('unknown component "firefox"');
  });

  it('names an unknown target suite before building anything: a usage error (exit 2)', async () => {
    const r = await protm(['run', '--suite', 'no-such-suite']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/no target suite named "no-such-suite"[\s\S]*suites: .*tee-heap/);
  });

  it('prints its version', async () => {
    const r = await protm(['--version']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('--json prints a summary object as the last stdout line', async () => {
    const r = await protm(['doctor', '--json']);
    const summary = lastJson(r.stdout);
    expect(summary).toMatchObject({ command: 'doctor', status: r.exitCode === 0 ? 'ok' : 'failed' });
    expect(Array.isArray(summary.missing)).toBe(true);
    expect(typeof summary.metadata).toBe('string');
    expect(typeof summary.seconds).toBe('number');
  });

  it('--json reports failures as status "failed" with the error', async () => {
    const r = await protm(['sources', 'fetch', 'no-such-pin', '--json']);
    expect(r.exitCode).toBe(1);
    expect(lastJson(r.stdout)).toMatchObject({ command: 'sources fetch', status: 'failed', error: expect.stringContaining('no pin named "no-such-pin"') });
  });
});
