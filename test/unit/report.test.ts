// Cases, results.json, JUnit XML, the terminal table and the exit code, from
// a parsed console (the same fixture the parser tests use).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MODEL_SOURCE, scanConsole } from '../../tools/boot/console-scan.js';
import { repoRoot } from '../../tools/lib/paths.js';
import { NO_RESULT, parseKtap } from '../../tools/results/ktap.js';
import {
  type Case,
  countCases,
  findingCases,
  flattenCases,
  junitXml,
  renderTable,
  renderText,
  resultsExitCode,
  resultsJson,
  summaryLine,
  writeJUnit,
  writeResultsJson,
} from '../../tools/results/report.js';

const consoleLog = readFileSync(join(repoRoot, 'test', 'fixtures', 'ktap', 'protm-console.txt'), 'utf8');
const cases = flattenCases(parseKtap(consoleLog));
const scratch = mkdtempSync(join(tmpdir(), 'protm-report-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Attributes of every <tag ...> element in document order. */
function elements(xml: string, tag: string): Array<Record<string, string>> {
  return [...xml.matchAll(new RegExp(`<${tag}(\\s[^>]*)?/?>`, 'g'))].map((m) =>
    Object.fromEntries([...(m[1] ?? '').matchAll(/([\w-]+)="([^"]*)"/g)].map((a) => [a[1]!, a[2]!])),
  );
}

/** Tags must open and close in order: a small well-formedness check. */
function assertBalanced(xml: string): void {
  const body = xml.replace(/<\?xml[^>]*\?>/, '').replace(/<!\[CDATA\[[\s\S]*?\]\]>/g, '');
  const stack: string[] = [];
  for (const m of body.matchAll(/<(\/?)([\w-]+)[^>]*?(\/?)>/g)) {
    const [, closing, name, selfClosing] = m;
    if (selfClosing) continue;
    if (closing) expect(stack.pop()).toBe(name);
    else stack.push(name!);
  }
  expect(stack).toEqual([]);
  expect(body.replace(/<[^>]*>/g, '')).not.toMatch(/[<>]/);
}

describe('cases', () => {
  it('flattens the tree into suite path + name, leaves only', () => {
    expect(cases.map((c) => [[...c.suite, c.name].join('/'), c.status])).toEqual([
      ['tee/tee-open', 'pass'],
      ['tee/tee-supplicant', 'skip'],
      ['tee/tee-rpmb', 'todo'],
      ['protected-heap/alloc-4k', 'pass'],
      ['protected-heap/alloc-64m', 'fail'],
      ['gpu-probe', 'pass'],
      ['gpu-secure-mode', 'skip'],
    ]);
  });

  it('keeps a failed suite with no failed case as a case of its own', () => {
    const tree = parseKtap(
      'KTAP version 1\n1..1\n    KTAP version 1\n    # Subtest: heap\n    1..1\n    ok 1 a\n# heap: exit hook leaked 3 buffers\nnot ok 1 heap\n',
    );
    expect(flattenCases(tree).map((c) => [c.suite.join('/'), c.name, c.status])).toEqual([
      ['heap', 'a', 'pass'],
      ['', 'heap', 'fail'],
    ]);
  });

  it('counts TODO as skipped, never as passed, and ends with the closing line', () => {
    const counts = countCases(cases);
    expect(counts).toEqual({ total: 7, passed: 3, failed: 1, skipped: 3, todo: 1 });
    expect(summaryLine(counts)).toBe('3 passed, 1 failed, 3 skipped');
    expect(renderText(cases).split('\n').at(-1)).toBe('3 passed, 1 failed, 3 skipped');
  });

  it('exits non-zero on a failure, when nothing ran and when every case skipped; zero when something passed and nothing failed', () => {
    expect(resultsExitCode(cases)).toBe(1);
    expect(resultsExitCode([])).toBe(1);
    expect(resultsExitCode(flattenCases(parseKtap('TAP version 14\n1..0\n')))).toBe(1);
    const good = cases.filter((c) => c.status !== 'fail');
    expect(resultsExitCode(good)).toBe(0);
    const skippedOnly = cases.filter((c) => c.status === 'skip' || c.status === 'todo');
    expect(skippedOnly.length).toBeGreaterThan(1);
    expect(resultsExitCode(skippedOnly)).toBe(1);
    expect(renderText(skippedOnly)).toMatch(/nothing passed: all \d+ cases were skipped, so nothing was tested/);
    expect(JSON.parse(resultsJson(skippedOnly)).status).toBe('nothing passed');
  });

  it('makes a clean run fail when the console has a kernel report', () => {
    const good = cases.filter((c) => c.status !== 'fail');
    const log = `${consoleLog}[    5.000000] ------------[ cut here ]------------\n[    5.000001] WARNING: drivers/gpu/drm/panthor/panthor_mmu.c:1421 at panthor_vm_bind+0x1c/0x40, CPU#1: protm-check/212\n`;
    const extra = findingCases(scanConsole(log));
    expect(extra).toHaveLength(1);
    expect(extra[0]).toMatchObject({ suite: ['console'], name: 'no kernel oops/WARN/BUG', status: 'fail' });
    expect(extra[0]!.reason).toMatch(/^kernel WARN \(normal console, line \d+\): WARNING: drivers\/gpu/);
    expect(resultsExitCode([...good, ...extra])).toBe(1);
    expect(findingCases(scanConsole(consoleLog))).toEqual([]);
  });

  it("makes a clean run fail on the GPU model's host errors, counting them", () => {
    const good = cases.filter((c) => c.status !== 'fail');
    const line = 'mali_csf_host_error AS0 command 3 with no region locked';
    const extra = findingCases(scanConsole(`${line}\n${line}\n`, { source: MODEL_SOURCE }));
    expect(extra).toHaveLength(1);
    expect(extra[0]).toMatchObject({ suite: ['console'], name: 'the kernel broke no rule of the GPU interface', status: 'fail' });
    expect(extra[0]!.reason).toBe(`GPU driven against its rules (the GPU model's log, line 1): ${line} (+1 more)`);
    expect(resultsExitCode([...good, ...extra])).toBe(1);
    expect(findingCases(scanConsole('', { source: MODEL_SOURCE }))).toEqual([]);
  });
});

describe('terminal', () => {
  it('renders one row per case with why it did not pass, then failure details', () => {
    const text = renderText(cases, 200);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^STATUS\s+CASE$/);
    expect(lines).toContain('SKIP    tee › tee-supplicant  (tee-supplicant not started in this image)');
    expect(lines).toContain('TODO    tee › tee-rpmb  (RPMB emulation not wired up yet)');
    expect(lines).toContain('PASS    gpu-probe');
    expect(text).toContain('FAIL protected-heap › alloc-64m\n    alloc-64m: EXPECTATION FAILED at checks/heap.c:88');
  });

  it('says so when there were no results', () => {
    expect(renderText([])).toMatch(/no results.*\n0 passed, 0 failed, 0 skipped$/);
  });

  it('shows times when known and truncates long rows to the width', () => {
    const timed: Case[] = [{ suite: ['s'], name: 'x'.repeat(200), status: 'pass', diagnostics: [], seconds: 1.25 }];
    const [, row] = renderTable(timed, 60).split('\n');
    expect(row).toHaveLength(60);
    expect(row).toMatch(/^PASS\s+1\.3s {2}s › x+…$/);
  });
});

describe('results.json', () => {
  it('holds cases, counts and timing', () => {
    const path = join(scratch, 'out', 'results.json');
    const timing = { startedAt: '2026-01-05T00:00:00.000Z', seconds: 42.5, stages: [{ name: 'kernel', seconds: 3.2 }] };
    writeResultsJson(path, cases, timing);
    const doc = JSON.parse(readFileSync(path, 'utf8'));
    expect(doc.status).toBe('failed');
    expect(doc.summary).toBe('3 passed, 1 failed, 3 skipped');
    expect(doc.counts).toEqual({ total: 7, passed: 3, failed: 1, skipped: 3, todo: 1 });
    expect(doc.timing).toEqual(timing);
    expect(doc.cases).toHaveLength(7);
    expect(doc.cases[4]).toMatchObject({ suite: ['protected-heap'], name: 'alloc-64m', status: 'fail' });
  });

  it('marks an empty run "no results"', () => {
    const path = join(scratch, 'empty.json');
    writeResultsJson(path, []);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ status: 'no results', counts: { total: 0 } });
  });
});

describe('JUnit XML', () => {
  const withConsole = [
    ...cases,
    ...findingCases(scanConsole('[    6.0] Unable to handle kernel NULL pointer dereference at virtual address 0000000000000000\n[    6.0] x]]>y \x07 bell\n')),
  ];
  const path = join(scratch, 'junit', 'junit.xml');
  writeJUnit(path, withConsole, { name: 'protm-boot' });
  const xml = readFileSync(path, 'utf8');

  it('is well-formed XML', () => {
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
    assertBalanced(xml);
    expect(xml).not.toContain('\x07');
  });

  it('has the right counts overall and per suite', () => {
    expect(elements(xml, 'testsuites')[0]).toMatchObject({ name: 'protm-boot', tests: '8', failures: '2', skipped: '3', errors: '0' });
    expect(elements(xml, 'testsuite').map((s) => [s.name, s.tests, s.failures, s.skipped])).toEqual([
      ['tee', '3', '0', '2'],
      ['protected-heap', '2', '1', '0'],
      ['protm-boot', '2', '0', '1'],
      ['console', '1', '1', '0'],
    ]);
    expect(elements(xml, 'testcase')).toHaveLength(8);
  });

  it('writes skips with their reason and failures with their diagnostics', () => {
    expect(elements(xml, 'skipped').map((s) => s.message)).toEqual([
      'tee-supplicant not started in this image',
      'TODO: RPMB emulation not wired up yet',
      'no protected-mode capable GPU model in QEMU',
    ]);
    expect(xml).toContain(
      [
        '<testcase classname="protected-heap" name="alloc-64m">',
        '      <failure message="not ok"><![CDATA[alloc-64m: EXPECTATION FAILED at checks/heap.c:88',
        '  expected dma_buf fd >= 0, got -12 (ENOMEM)]]></failure>',
      ].join('\n'),
    );
    expect(elements(xml, 'failure')[1]!.message).toMatch(/^kernel oops \(normal console, line 1\): Unable to handle kernel NULL pointer/);
  });

  it('reports missing results as failures', () => {
    const cut = flattenCases(parseKtap(consoleLog.slice(0, consoleLog.indexOf('ok 3 gpu-probe'))));
    const out = junitXml(cut);
    expect(elements(out, 'testsuites')[0]).toMatchObject({ tests: '7', failures: '3' });
    expect(elements(out, 'failure').map((f) => f.message)).toEqual(['not ok', NO_RESULT, NO_RESULT]);
  });
});
