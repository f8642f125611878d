// The target's check harness (test/target/rootfs/run-suite, run here by the
// host's sh) and the host's reading of what it prints, together: a check
// that tested nothing must never come out as a pass, and a run whose KTAP
// says nothing ran must fail even when another case (the GPU probe) passed.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../tools/lib/paths.js';
import { ktapChannel, parseKtap } from '../../tools/results/ktap.js';
import { type Case, flattenCases, junitXml, resultsExitCode } from '../../tools/results/report.js';
import { programCases } from '../../tools/run/host-checks.js';

const scratch = mkdtempSync(join(tmpdir(), 'protm-run-suite-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** run-suite on a suite file holding `lines`; returns the cases the host reads from its kmsg output. */
function runSuite(name: string, lines: string[] | undefined): Case[] {
  const dir = mkdtempSync(join(scratch, `${name}-`));
  if (lines) writeFileSync(join(dir, name), `${lines.join('\n')}\n`);
  const kmsg = join(dir, 'kmsg');
  writeFileSync(kmsg, '');
  execFileSync('sh', [join(repoRoot, 'test/target/rootfs/run-suite'), name], {
    env: { ...process.env, PROTM_SUITES: dir, PROTM_KMSG: kmsg, PROTM_TMP: dir },
  });
  return flattenCases(parseKtap(ktapChannel(readFileSync(kmsg, 'utf8'))));
}

const status = (cases: Case[], name: string) => cases.find((c) => c.name === name);

describe('run-suite and the verdict', () => {
  it('a ktap check that prints no plan fails; one whose plan skips everything is a skip, not a pass', () => {
    const cases = runSuite('mixed', [
      "tested ktap printf 'KTAP version 1\\n1..1\\nok 1 case\\n'",
      'silent ktap true',
      "no_device ktap printf 'KTAP version 1\\n1..0 # SKIP no device\\n'",
      "bare_plan ktap printf 'KTAP version 1\\n1..0\\n'",
      'by_status exit true',
      'failing exit false',
    ]);
    expect(status(cases, 'case')).toMatchObject({ suite: ['tested'], status: 'pass' });
    expect(status(cases, 'silent')).toMatchObject({ status: 'fail' });
    expect(status(cases, 'silent')?.diagnostics.join('\n')).toMatch(/silent printed no KTAP plan \(exit status 0\)/);
    expect(status(cases, 'no_device')).toMatchObject({ status: 'skip', reason: 'no device' });
    expect(status(cases, 'bare_plan')).toMatchObject({ status: 'fail', reason: 'planned no tests (1..0): nothing ran' });
    expect(status(cases, 'by_status')).toMatchObject({ status: 'pass' });
    expect(status(cases, 'failing')).toMatchObject({ status: 'fail' });
  });

  it('a suite that does not exist fails the run, even beside a passing case', () => {
    const cases = runSuite('absent', undefined);
    expect(cases).toEqual([expect.objectContaining({ status: 'fail', reason: 'no test results' })]);
    // As a GPU run has it: its probe case passes beside the suite's cases.
    const withProbe: Case[] = [...cases, { suite: ['gpu'], name: 'panthor probed', status: 'pass', diagnostics: [] }];
    expect(resultsExitCode(withProbe)).toBe(1);
  });

  it('a host-check program that printed no KTAP fails, whatever its exit status', () => {
    expect(programCases('protm-egl-protected', 'ready', 'Segmentation fault?\n', 0)).toEqual([
      expect.objectContaining({ suite: ['shim-ready', 'protm-egl-protected'], status: 'fail', reason: 'no KTAP output found' }),
    ]);
  });

  // Seen on a debug-kernel boot: init's echo lost the race with the first
  // KTAP record, whose tag then came mid-line, and the document's header
  // with it; the run-suite level's result then looked like a second "ok 1".
  it('reads a KTAP record that a userspace console write left mid-line', () => {
    const console = [
      'Run /init as init process',
      'protm: userspace up, suite=protected-modeprotm-ktap: KTAP version 1',
      'protm-ktap: 1..1',
      '',
      'protm-ktap:     # Subtest: protected-mode',
      'protm-ktap:     KTAP version 1',
      'protm-ktap:     1..1',
      'protm-ktap:         KTAP version 1',
      'protm-ktap:         # Subtest: protected-mode',
      'protm-ktap:         1..1',
      'protm-ktap:         ok 1 protm_setup_ready',
      'protm-ktap:     ok 1 protected-mode',
      'protm-ktap: ok 1 protected-mode',
    ].join('\n');
    const cases = flattenCases(parseKtap(ktapChannel(console)));
    expect(cases).toEqual([expect.objectContaining({ suite: ['protected-mode', 'protected-mode'], name: 'protm_setup_ready', status: 'pass' })]);
  });

  it('a result number printed twice does not stand in for a test that never reported', () => {
    const cases = flattenCases(parseKtap('KTAP version 1\n1..2\nok 1 first\nok 1 first\n'));
    expect(cases.map((c) => c.status)).toEqual(['pass', 'fail']);
    expect(cases[1]?.reason).toMatch(/result number 1 again, after 1/);
  });

  it('junit.xml fails a run in which nothing passed, though no case failed', () => {
    const skipped: Case[] = [{ suite: ['s'], name: 'a', status: 'skip', reason: 'no device', diagnostics: [] }];
    expect(junitXml(skipped)).toMatch(/<failure message="all 1 cases were skipped, so nothing was tested"/);
    expect(junitXml([])).toMatch(/<failure message="no check reported anything"/);
    const passed: Case[] = [{ suite: ['s'], name: 'a', status: 'pass', diagnostics: [] }];
    expect(junitXml(passed)).not.toMatch(/<failure/);
  });
});
