// LAVA's per-check test suites back into the suite's shape (as flattenCases
// makes of the KTAP), and the job definitions' fixed parts. No server needed.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { LavaTestCase } from '../../tools/lava/api.js';
import { failureReason, targetConsole } from '../../tools/lava/api.js';
import { KTAP_FIXUP, KTAP_RESULT_PATTERN, monitorNames, suiteMonitors } from '../../tools/lava/job.js';
import { casesFromLava, comparable, NO_LAVA_RESULT } from '../../tools/lava/results.js';
import { type KtapStatus, parseKtap } from '../../tools/results/ktap.js';
import { flattenCases } from '../../tools/results/report.js';

let id = 0;
const lc = (suite: string, name: string, result: string, depth = 0): LavaTestCase => ({ id: ++id, suite, name, result, units: '    '.repeat(depth) });

describe('LAVA results as protm cases', () => {
  it('gives what flattenCases gives for the same KTAP', () => {
    // As run-suite prints it: each check a subtest, a KTAP check's own suite one level deeper.
    const ktap = [
      'KTAP version 1',
      '1..4',
      '    # Subtest: tee-heap',
      '    KTAP version 1',
      '    1..1',
      '        KTAP version 1',
      '        # Subtest: tee-heap',
      '        1..3',
      '        ok 1 heap_present',
      '        not ok 2 alloc_1mib',
      '        ok 3 static_pool # SKIP dynamic profile',
      '    not ok 1 tee-heap',
      'not ok 1 tee-heap',
      '    # Subtest: xtest-quick',
      'ok 2 xtest-quick',
      '    # Subtest: crashes',
      'not ok 3 crashes',
      '    # Subtest: dies-after-its-cases',
      '    ok 1 only_case',
      'not ok 4 dies-after-its-cases',
    ].join('\n');
    const lava = [
      lc('tee-heap', 'heap_present', 'pass', 2),
      lc('tee-heap', 'alloc_1mib', 'fail', 2),
      lc('tee-heap', 'static_pool', 'skip', 2),
      lc('tee-heap', 'tee_heap', 'fail', 1),
      lc('tee-heap', 'tee_heap', 'fail'),
      lc('xtest-quick', 'xtest_quick', 'pass'),
      lc('crashes', 'crashes', 'fail'),
      lc('dies-after-its-cases', 'only_case', 'pass', 1),
      lc('dies-after-its-cases', 'dies_after_its_cases', 'fail'),
    ];
    const fromLava = casesFromLava(['tee-heap', 'xtest-quick', 'crashes', 'dies-after-its-cases'], lava);
    expect(comparable(fromLava)).toEqual(comparable(flattenCases(parseKtap(ktap))));
    expect(fromLava.find((c) => c.name === 'alloc_1mib')?.suite).toEqual(['tee-heap', 'tee_heap']);
  });

  it('fails a check LAVA recorded nothing for, keeping the cases it did record', () => {
    const cases = casesFromLava(['a-check', 'b-check'], [lc('a-check', 'one', 'pass', 1), lc('b-check', 'b_check', 'pass')]);
    expect(cases.map((c) => [c.suite.join('/'), c.name, c.status, c.reason])).toEqual([
      ['a-check', 'one', 'pass', undefined],
      ['', 'a-check', 'fail', NO_LAVA_RESULT],
      ['', 'b-check', 'pass', undefined],
    ]);
  });

  // The checks come from the job's own monitors, not today's suite file; a
  // LAVA suite that none of them names still counts.
  it('fails on results of a LAVA suite that no check names, and reads the checks from the job', () => {
    const lava = [lc('lava', 'job', 'pass'), lc('0_tee-heap', 'tee_heap', 'pass'), lc('1_xtest-quick', 'xtest_quick', 'fail')];
    const cases = casesFromLava(['tee-heap'], lava);
    expect(cases.map((c) => [c.name, c.status])).toEqual([
      ['tee-heap', 'pass'],
      ['xtest-quick', 'fail'],
    ]);
    expect(cases[1]?.reason).toBe('LAVA has results for "xtest-quick", which is not one of the checks read');
    expect(cases[1]?.diagnostics).toEqual(['xtest_quick: fail']);
    const definition = JSON.stringify({ actions: [{ deploy: {} }, { boot: {} }, { test: { monitors: suiteMonitors('tee-heap') } }] });
    expect(monitorNames(definition)).toEqual(['tee-heap', 'xtest-quick']);
    expect(monitorNames('actions:\n- test: {}\n')).toBeUndefined();
  });

  it('reads the device output and the reason out of a LAVA job log', () => {
    const log = [
      "- {dt: 2026-12-04T14:00:00.000000, lvl: info, msg: 'start: 1 deploy'}",
      "- {dt: 2026-12-04T14:00:01.000000, lvl: target, msg: '[    1.0] protm-ktap: ok 1 it''s fine'}",
      '- {dt: 2026-12-04T14:00:01.000000, lvl: target, msg: "tab\\there"}',
      '- {"dt": "2026-12-04T14:00:02.000000+00:00", "lvl": "target", "msg": "as LAVA 2026.10 logs: JSON"}',
      "- {dt: 2026-12-04T14:00:02.000000, lvl: error, msg: 'lava test monitoring has timed out'}",
    ].join('\n');
    expect(targetConsole(log)).toBe("[    1.0] protm-ktap: ok 1 it's fine\ntab\there\nas LAVA 2026.10 logs: JSON");
    expect(failureReason({ id: 1, state: 'Finished', health: 'Incomplete', failure_comment: null, description: '' }, log)).toBe(
      'lava test monitoring has timed out (last device output: as LAVA 2026.10 logs: JSON)',
    );
  });

  // LAVA matches the monitor's pattern with Python's re; run it there, on the
  // console's shape of each line, and compare with protm's own parser.
  it("gives each result line the verdict protm's KTAP parser gives it, whatever the directive's case", () => {
    const lines = [
      'ok 1 plain',
      'not ok 2 broken',
      'ok 3 upper # SKIP no heap',
      'ok 4 lower # skip no heap',
      'ok 5 mixed # Skipped: no heap',
      'ok 6 tight #SKIP',
      'not ok 7 failed_but_skipped # skip',
      'ok 8 todo # TODO later',
      'not ok 9 todo_lower # todo',
      'ok 10 expected_failure # XFAIL',
      'not ok 11 timed_out # TIMEOUT',
      'ok 12 skip_in_the_name',
      'ok 13 - dashed # okay, SKIP is a word here',
    ];
    const script = [
      'import json, re, sys',
      'p, fix, lines = json.load(sys.stdin)',
      'out = []',
      'for line in lines:',
      '    m = re.search(p, "[   1.0] protm-ktap: " + line + "\\r\\r\\n", re.DOTALL)',
      '    out.append(fix.get(m.group("result"), "unmapped " + m.group("result")) if m else None)',
      'print(json.dumps(out))',
    ].join('\n');
    const input = JSON.stringify([KTAP_RESULT_PATTERN, KTAP_FIXUP, lines]);
    const lava: (string | null)[] = JSON.parse(execFileSync('python3', ['-c', script], { input, encoding: 'utf8' }));
    const ours = lines.map((l) => parseKtap(`KTAP version 1\n1..1\n${l.replace(/\d+/, '1')}\n`).children[0]?.status);
    const asLava = (s: KtapStatus | undefined) => (s === 'todo' ? 'skip' : s);
    expect(lava.map((r, i) => `${lines[i]}: ${r}`)).toEqual(ours.map((s, i) => `${lines[i]}: ${asLava(s)}`));
    expect(lava.filter((r) => r === 'skip')).toHaveLength(7);
  });

  it('has one monitor per check of the suite, the last ending at init\'s "suite finished"', () => {
    const monitors = suiteMonitors('tee-heap');
    expect(monitors.map((m) => m.name)).toEqual(['tee-heap', 'xtest-quick']);
    expect(monitors[1]!.end).toBe('protm: suite tee-heap finished');
    expect(new Set(Object.values(KTAP_FIXUP))).toEqual(new Set(['pass', 'fail', 'skip']));
  });
});
