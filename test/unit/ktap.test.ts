// The KTAP parser on real KUnit/kselftest output (copied from the kernel's
// tools/testing/kunit/test_data) and on a console as our QEMU boot prints it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../tools/lib/paths.js';
import { type KtapNode, KtapParser, NO_RESULT, numberTapResults, parseKtap, stripConsolePrefix } from '../../tools/results/ktap.js';

const fixture = (name: string) => readFileSync(join(repoRoot, 'test', 'fixtures', 'ktap', name), 'utf8');

/** "status name" per node, depth-first, indented by depth: easy to compare whole trees. */
function outline(node: KtapNode, depth = 0): string[] {
  const self = `${'  '.repeat(depth)}${node.status} ${node.name}`;
  return [self, ...node.children.flatMap((c) => outline(c, depth + 1))];
}

function find(node: KtapNode, ...path: string[]): KtapNode {
  let at = node;
  for (const name of path) {
    const next = at.children.find((c) => c.name === name);
    if (!next) throw new Error(`no ${name} under ${at.name}: ${at.children.map((c) => c.name).join(', ')}`);
    at = next;
  }
  return at;
}

describe('KTAP from the kernel tree', () => {
  it('nests tab-indented "# Subtest:" suites, including a suite inside a suite', () => {
    const tree = parseKtap(fixture('is_test_passed-all_passed_nested.txt'));
    expect(outline(tree)).toEqual([
      'pass ktap',
      '  pass sysctl_test',
      '    pass sysctl_test_dointvec_null_tbl_data',
      '    pass example',
      '      pass example_simple_test',
      '      pass example_mock_test',
      '    pass sysctl_test_dointvec_table_len_is_zero',
      '    pass sysctl_test_dointvec_table_read_but_position_set',
      '  pass example',
      '    pass example_simple_test',
      '    pass example_mock_test',
    ]);
  });

  it('nests "KTAP version 1" suites indented by four spaces and bubbles failures up', () => {
    const tree = parseKtap(fixture('is_test_passed-failure-nested.txt'));
    expect(outline(tree)).toEqual(['fail ktap', '  fail subtest 1', '    pass test 1', '  fail subtest 2', '    fail subsubtest 1']);
  });

  it('attaches "#" diagnostics and the indented expectation text to the failing case', () => {
    const tree = parseKtap(fixture('is_test_passed-failure.txt'));
    const failed = find(tree, 'example', 'example_simple_test');
    expect(failed.status).toBe('fail');
    expect(failed.diagnostics).toEqual([
      'example_simple_test: initializing',
      'example_simple_test: EXPECTATION FAILED at lib/kunit/example-test.c:30',
      'Expected 1 + 1 == 3, but',
      '1 + 1 == 2',
      '3 == 3',
      'example_simple_test: example_simple_test failed',
    ]);
    // The unindented kernel line "init_suite" is noise, not a diagnostic.
    expect(JSON.stringify(tree)).not.toContain('init_suite');
    expect(find(tree, 'example').status).toBe('fail');
    expect(find(tree, 'sysctl_test').status).toBe('pass');
    expect(find(tree, 'example', 'example_mock_test').diagnostics).toEqual(['example_mock_test: initializing', 'example_mock_test: example_mock_test passed']);
  });

  it('reads SKIP with its reason, whether one case or a whole suite is skipped', () => {
    const some = parseKtap(fixture('skip_tests.txt'));
    expect(find(some, 'example', 'example_skip_test')).toMatchObject({ status: 'skip', reason: 'this test should be skipped' });
    expect(find(some, 'example').status).toBe('pass');
    const all = parseKtap(fixture('skip_all_tests.txt'));
    expect(all.status).toBe('skip');
    expect(find(all, 'string-stream-test')).toMatchObject({ status: 'skip' });
    expect(find(all, 'string-stream-test', 'string_stream_test_get_string')).toMatchObject({ status: 'skip', reason: 'all tests skipped' });
  });

  it("reads suite attributes printed between the KTAP and plan lines as the suite's own diagnostics", () => {
    const tree = parseKtap(fixture('parse_attributes.txt'));
    expect(find(tree, 'suite').diagnostics).toEqual(['module: example']);
    expect(find(tree, 'suite', 'test')).toMatchObject({ status: 'pass', diagnostics: ['test.speed: slow'] });
  });

  it('strips "[ time][ caller]" prefixes', () => {
    const tree = parseKtap(fixture('multiple_prefixes.txt'));
    expect(tree.children.map((c) => c.name)).toEqual(['kunit-resource-test', 'kunit-try-catch-test', 'string-stream-test']);
    expect(find(tree, 'kunit-resource-test').children).toHaveLength(5);
    expect(tree.status).toBe('pass');
  });

  it('ignores kernel messages printed in the middle of a suite', () => {
    const tree = parseKtap(fixture('interrupted_tap_output.txt'));
    expect(find(tree, 'kunit-resource-test').children.map((c) => c.status)).toEqual(['pass', 'pass', 'pass', 'pass', 'pass']);
    expect(JSON.stringify(tree)).not.toContain('kAFS');
  });

  it('reads kselftest TAP 13: "# " lines are diagnostics, an unnamed SKIP result still counts', () => {
    const tree = parseKtap(fixture('is_test_passed-kselftest.txt'));
    expect(tree.children.map((c) => [c.status, c.name])).toEqual([
      ['pass', 'selftests: membarrier: membarrier_test_single_thread'],
      ['pass', 'selftests: membarrier: membarrier_test_multi_thread'],
      ['skip', 'test 3'],
    ]);
    expect(tree.children[0]!.diagnostics).toContain('ok 1 sys_membarrier available');
  });

  it('turns the tests a panic cut off into failures "no result (crashed or timed out?)"', () => {
    const tree = parseKtap(fixture('kernel_panic_interrupt.txt'));
    const suite = find(tree, 'string-stream-test');
    expect(suite).toMatchObject({ status: 'fail', reason: NO_RESULT });
    expect(suite.children.map((c) => [c.name, c.status, c.reason])).toEqual([
      ['string_stream_test_empty_on_creation', 'pass', undefined],
      ['test 2', 'fail', NO_RESULT],
      ['test 3', 'fail', NO_RESULT],
    ]);
    // What the crashing test printed (the panic, indented inside the suite) stays with it.
    expect(suite.children[1]!.diagnostics[0]).toMatch(/^Kernel panic - not syncing/);
    expect(tree.status).toBe('fail');
  });
});

describe('KTAP on our QEMU console', () => {
  const console = fixture('protm-console.txt');

  it('finds the checks among firmware, kernel and shell lines', () => {
    const tree = parseKtap(console, { name: 'checks' });
    expect(outline(tree)).toEqual([
      'fail checks',
      '  pass tee',
      '    pass tee-open',
      '    skip tee-supplicant',
      '    todo tee-rpmb',
      '  fail protected-heap',
      '    pass alloc-4k',
      '    fail alloc-64m',
      '  pass gpu-probe',
      '  skip gpu-secure-mode',
    ]);
    expect(find(tree, 'tee', 'tee-rpmb').reason).toBe('RPMB emulation not wired up yet');
    expect(find(tree, 'gpu-secure-mode').reason).toBe('no protected-mode capable GPU model in QEMU');
    expect(find(tree, 'protected-heap', 'alloc-64m').diagnostics).toEqual([
      'alloc-64m: EXPECTATION FAILED at checks/heap.c:88',
      '  expected dma_buf fd >= 0, got -12 (ENOMEM)',
    ]);
    expect(find(tree, 'gpu-probe').diagnostics).toEqual(['gpu-probe: panthor 2d000000.gpu: found Mali-G610']);
  });

  it('gives the same tree fed in arbitrary chunks as it arrives', () => {
    const parser = new KtapParser({ name: 'checks' });
    for (let i = 0; i < console.length; i += 7) parser.write(console.slice(i, i + 7));
    expect(parser.end()).toEqual(parseKtap(console, { name: 'checks' }));
  });

  it('fails the planned checks that never reported when the output stops', () => {
    const cut = console.slice(0, console.indexOf('    ok 1 alloc-4k'));
    const tree = parseKtap(cut);
    expect(outline(tree)).toEqual([
      'fail ktap',
      '  pass tee',
      '    pass tee-open',
      '    skip tee-supplicant',
      '    todo tee-rpmb',
      '  fail protected-heap',
      '    fail test 1',
      '    fail test 2',
      '  fail test 3',
      '  fail test 4',
    ]);
    for (const missing of [find(tree, 'protected-heap', 'test 1'), find(tree, 'test 4')]) expect(missing.reason).toBe(NO_RESULT);
  });

  it('times each test from the previous result when given a clock', () => {
    let now = 0;
    const parser = new KtapParser({ clock: () => now });
    for (const line of ['KTAP version 1', '1..2', 'ok 1 quick', '# slow: waiting']) {
      parser.push(line);
      now += 100;
    }
    now += 2500;
    parser.push('ok 2 slow');
    const tree = parser.end();
    expect(tree.children.map((c) => c.seconds)).toEqual([0.2, 2.7]);
  });
});

describe('KTAP edge cases', () => {
  it('reports no output at all as a failure, not an empty pass', () => {
    expect(parseKtap('[    0.1] Booting Linux\nKernel panic - not syncing: Attempted to kill init!\n')).toMatchObject({
      status: 'fail',
      reason: 'no KTAP output found',
      children: [],
    });
    expect(parseKtap('TAP version 14\n1..0\n')).toMatchObject({ status: 'fail', reason: 'no test results' });
  });

  it('on "Bail out!" fails every planned test that is left, or the bail-out itself', () => {
    const left = parseKtap('KTAP version 1\n1..3\nok 1 a\nBail out! GPU hung\nok 2 b\n');
    expect(left.children.map((c) => [c.name, c.status, c.reason])).toEqual([
      ['a', 'pass', undefined],
      ['test 2', 'fail', 'no result (bailed out: GPU hung)'],
      ['test 3', 'fail', 'no result (bailed out: GPU hung)'],
    ]);
    const none = parseKtap('KTAP version 1\n1..1\nok 1 a\nBail out!\n');
    expect(none.children.map((c) => [c.name, c.status])).toEqual([
      ['a', 'pass'],
      ['Bail out!', 'fail'],
    ]);
  });

  it('keeps TODO apart from pass, and SKIP wins over "not ok"', () => {
    const tree = parseKtap('TAP version 14\n1..3\nnot ok 1 flaky # TODO fix the clock\nnot ok 2 absent # SKIP no device\nnot ok 3 hung # TIMEOUT 30 seconds\n');
    expect(tree.children.map((c) => [c.status, c.reason])).toEqual([
      ['todo', 'fix the clock'],
      ['skip', 'no device'],
      ['fail', 'TIMEOUT 30 seconds'],
    ]);
  });

  it('fills a gap in the numbering with a missing result', () => {
    const tree = parseKtap('KTAP version 1\n1..3\nok 1 a\nok 3 c\n');
    expect(tree.children.map((c) => [c.name, c.status])).toEqual([
      ['a', 'pass'],
      ['test 2', 'fail'],
      ['c', 'pass'],
    ]);
  });

  it('closes an unindented nested suite by its plan count', () => {
    const tree = parseKtap('KTAP version 1\n1..2\nKTAP version 1\n1..2\nok 1 a\nok 2 b\nok 1 suite\nok 2 other\n');
    expect(outline(tree)).toEqual(['pass ktap', '  pass suite', '    pass a', '    pass b', '  pass other']);
  });

  it('reads a second document (checks after in-kernel KUnit) into the same tree', () => {
    const tree = parseKtap('[    1.0] KTAP version 1\n[    1.0] 1..1\n[    1.1] ok 1 kunit-suite\nKTAP version 1\n1..1\nok 1 userspace-check\n');
    expect(tree.children.map((c) => c.name)).toEqual(['kunit-suite', 'userspace-check']);
  });

  it('strips timestamp, caller id, \\r and colour codes from console lines', () => {
    expect(stripConsolePrefix('[   12.345678][    T1] ok 1 x\r')).toBe('ok 1 x');
    expect(stripConsolePrefix('\x1b[32mok 1 x\x1b[0m')).toBe('ok 1 x');
    expect(stripConsolePrefix('[    0.060000] \t# Subtest: s')).toBe('\t# Subtest: s');
  });

  it("names a qtest's failure: glib's unnumbered result before its bail-out", () => {
    // Two glib qtest binaries' TAP, one after the other, as `protm qtest` joins them.
    const glib = [
      'TAP version 14',
      '1..2',
      'ok 1 /aarch64/mali-csf/ids',
      'ok 2 /aarch64/mali-csf/cs/job',
      'TAP version 14',
      '# random seed: R02S',
      '1..3',
      '**',
      'ERROR:mali-csf-mmu-test.c:67:test_remap: assertion failed (0x11 == 0x22)',
      'not ok /aarch64/mali-csf/mmu/tlb-remap - ERROR:mali-csf-mmu-test.c:67:test_remap: assertion failed (0x11 == 0x22)',
      'Bail out!',
    ].join('\n');
    const cases = parseKtap(numberTapResults(glib)).children;
    expect(cases.map((c) => [c.name, c.status, c.reason])).toEqual([
      ['/aarch64/mali-csf/ids', 'pass', undefined],
      ['/aarch64/mali-csf/cs/job', 'pass', undefined],
      ['/aarch64/mali-csf/mmu/tlb-remap - ERROR:mali-csf-mmu-test.c:67:test_remap: assertion failed (0x11 == 0x22)', 'fail', undefined],
      ['test 2', 'fail', 'no result (bailed out)'],
      ['test 3', 'fail', 'no result (bailed out)'],
    ]);
    // Numbered lines and KTAP are left as they are.
    expect(numberTapResults('KTAP version 1\n1..1\nok 1 a')).toBe('KTAP version 1\n1..1\nok 1 a');
  });
});
