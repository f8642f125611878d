// What a run's results become: a flat list of cases (suite path + name), a
// results.json, a JUnit XML file for CI, a report.html with the pictures the
// checks drew, a plain-text table for the terminal, and an exit code. "No
// results" is a failure, never a pass, and a TODO counts as skipped, never as
// passed.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Builder, TestCase } from 'junit-report-builder';
import junit from 'junit-report-builder';
import { type ConsoleFinding, describeFinding } from '../boot/console-scan.js';
import type { AboutRows } from './about.js';
import { renderHtmlReport } from './html-report.js';
import type { KtapNode, KtapStatus } from './ktap.js';
import { decodePictures, isPictureLine, type Picture, savePictures } from './pictures.js';

export interface Case {
  /** Names of the enclosing suites, outermost first; empty for a top-level test. */
  suite: string[];
  name: string;
  status: KtapStatus;
  reason?: string;
  diagnostics: string[];
  seconds?: number;
  /** Pictures the check drew, as PNG files beside results.json. */
  pictures?: Picture[];
}

export interface Counts {
  total: number;
  passed: number;
  failed: number;
  /** Skipped and TODO cases together. */
  skipped: number;
  /** The TODO cases among `skipped`. */
  todo: number;
}

/** Overall timing, supplied by the caller (e.g. boot stage durations). */
export interface Timing {
  startedAt?: string;
  seconds?: number;
  stages?: Array<{ name: string; seconds: number }>;
}

/** Leaves become cases; a failed suite none of whose cases failed is a case too. */
export function flattenCases(tree: KtapNode): Case[] {
  const cases: Case[] = [];
  const toCase = (node: KtapNode, suite: string[]): Case => {
    const c: Case = { suite, name: node.name, status: node.status, diagnostics: node.diagnostics };
    if (node.reason) c.reason = node.reason;
    if (node.seconds !== undefined) c.seconds = node.seconds;
    return c;
  };
  // Returns whether a failure was recorded under `node`.
  const visit = (node: KtapNode, suite: string[]): boolean => {
    if (node.children.length === 0) {
      cases.push(toCase(node, suite));
      return node.status === 'fail';
    }
    let failed = false;
    for (const child of node.children) failed = visit(child, [...suite, node.name]) || failed;
    // e.g. a suite whose init failed, or one that crashed after its last case.
    if (node.status === 'fail' && !failed) {
      cases.push(toCase(node, suite));
      failed = true;
    }
    return failed;
  };
  let failed = false;
  for (const child of tree.children) failed = visit(child, []) || failed;
  // The document itself failed with nothing under it to say so: no KTAP at
  // all, or a plan of 0. Dropping it would let other cases (the GPU probe)
  // pass the run.
  if (tree.status === 'fail' && !failed) cases.push(toCase(tree, []));
  return cases;
}

// Findings grouped into one synthetic case per kind of problem.
const FINDING_CASES: Record<ConsoleFinding['kind'], string> = {
  oops: 'no kernel oops/WARN/BUG',
  bug: 'no kernel oops/WARN/BUG',
  warn: 'no kernel oops/WARN/BUG',
  panic: 'no kernel panic',
  kasan: 'no KASAN report',
  kmemleak: 'no kmemleak report',
  lockdep: 'no lockdep report',
  'rcu-stall': 'no RCU stall or hung task',
  'hung-task': 'no RCU stall or hung task',
  'gpu-firmware': 'no GPU firmware interface failure',
  'gpu-protm-entry': 'no failed protected-mode entry',
  'optee-panic': 'no secure-world panic',
  'tfa-panic': 'no secure-world panic',
  'gpu-host-error': 'the kernel broke no rule of the GPU interface',
};

const MAX_FINDINGS_SHOWN = 5;

/** Failed cases (suite "console") for console findings; none when the log is clean. */
export function findingCases(findings: ConsoleFinding[]): Case[] {
  const groups = new Map<string, ConsoleFinding[]>();
  for (const f of findings) {
    const name = FINDING_CASES[f.kind];
    groups.set(name, [...(groups.get(name) ?? []), f]);
  }
  return [...groups].map(([name, group]) => {
    const more = group.length > 1 ? ` (+${group.length - 1} more)` : '';
    const diagnostics = group.slice(0, MAX_FINDINGS_SHOWN).flatMap((f) => [describeFinding(f), ...f.context.map((l) => `    ${l}`)]);
    return { suite: ['console'], name, status: 'fail', reason: `${describeFinding(group[0]!)}${more}`, diagnostics };
  });
}

export function countCases(cases: Case[]): Counts {
  const counts: Counts = { total: cases.length, passed: 0, failed: 0, skipped: 0, todo: 0 };
  for (const c of cases) {
    if (c.status === 'pass') counts.passed++;
    else if (c.status === 'fail') counts.failed++;
    else counts.skipped++;
    if (c.status === 'todo') counts.todo++;
  }
  return counts;
}

/** "12 passed, 1 failed, 2 skipped" */
export function summaryLine(counts: Counts): string {
  return `${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`;
}

export type Verdict = 'passed' | 'failed' | 'no results' | 'nothing passed';

/** A run passes only when something passed and nothing failed: all-skipped tested nothing. */
export function verdict(counts: Counts): Verdict {
  if (counts.total === 0) return 'no results';
  if (counts.failed > 0) return 'failed';
  return counts.passed === 0 ? 'nothing passed' : 'passed';
}

/** Non-zero on any failure, when nothing ran at all, and when every case skipped. */
export function resultsExitCode(cases: Case[]): number {
  return verdict(countCases(cases)) === 'passed' ? 0 : 1;
}

function caseId(c: Case): string {
  return [...c.suite, c.name].join(' › ');
}

function formatSeconds(s: number | undefined): string {
  if (s === undefined) return '';
  return s >= 10 ? `${s.toFixed(0)}s` : `${s.toFixed(1)}s`;
}

/** One line per case: status, time (when known), suite › name, and why (fail/skip/todo). */
export function renderTable(cases: Case[], width = 120): string {
  const timed = cases.some((c) => c.seconds !== undefined);
  const row = (status: string, time: string, text: string) => `${status.padEnd(6)}  ${timed ? `${time.padStart(6)}  ` : ''}${text}`;
  const rows = cases.map((c) => {
    const why = c.status !== 'pass' && c.reason ? `  (${c.reason})` : '';
    const line = row(c.status.toUpperCase(), formatSeconds(c.seconds), `${caseId(c)}${why}`);
    return line.length > width ? `${line.slice(0, width - 1)}…` : line;
  });
  return [row('STATUS', 'TIME', 'CASE'), ...rows].join('\n');
}

/** Table, then each failure with its diagnostics, then the closing count line. */
export function renderText(cases: Case[], width = 120, diagnosticLines = 20): string {
  const parts = [renderTable(cases, width)];
  for (const c of cases.filter((x) => x.status === 'fail')) {
    const diags = c.diagnostics.slice(-diagnosticLines).map((d) => `    ${d}`);
    parts.push(`\nFAIL ${caseId(c)}${c.reason ? `: ${c.reason}` : ''}${diags.length ? `\n${diags.join('\n')}` : ''}`);
  }
  const counts = countCases(cases);
  if (counts.total === 0) parts.push('\nno results: no check reported anything (counted as a failure)');
  else if (verdict(counts) === 'nothing passed')
    parts.push(`\nnothing passed: all ${counts.total} cases were skipped, so nothing was tested (counted as a failure)`);
  parts.push(summaryLine(counts));
  return parts.join('\n');
}

export function resultsJson(cases: Case[], timing: Timing = {}): string {
  const counts = countCases(cases);
  const doc = { status: verdict(counts), summary: summaryLine(counts), counts, timing, cases };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

export function writeResultsJson(path: string, cases: Case[], timing: Timing = {}): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, resultsJson(cases, timing));
}

// Console output can hold control characters that XML 1.0 forbids (the
// builder throws on them), and a diagnostic may contain "]]>", which the
// builder only escapes once per CDATA section.
function xmlSafe(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters XML 1.0 forbids
  return text.replace(/[\0-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]|[\uD800-\uDFFF]/g, '\uFFFD').replace(/\]\]>/g, ']] >');
}

// junit-report-builder 5 writes <skipped/> with no way to give the reason, so
// the message attribute is added to the element it has just built.
type XMLElement = ReturnType<TestCase['build']>;

function skippedWithMessage(tc: TestCase, message: string): void {
  tc.skipped();
  const build = tc.build.bind(tc);
  tc.build = (parent: XMLElement) => {
    const element = build(parent);
    const skipped = element.children.find((n) => (n as Partial<XMLElement>).name === 'skipped') as XMLElement | undefined;
    skipped?.att('message', message);
    return element;
  };
}

export interface JUnitOptions {
  /** Name of the whole report and of the suite holding top-level cases. */
  name?: string;
  timing?: Timing;
}

/**
 * A run with no failed case still fails when nothing passed (all skipped, or
 * no case at all). A CI that reads only junit.xml must see that too, so the
 * XML gets a failed case that says why.
 */
function withRunVerdict(cases: Case[]): Case[] {
  const counts = countCases(cases);
  const v = verdict(counts);
  if (v === 'passed' || v === 'failed') return cases;
  const reason = v === 'no results' ? 'no check reported anything' : `all ${counts.total} cases were skipped, so nothing was tested`;
  return [...cases, { suite: [], name: `run verdict: ${v}`, status: 'fail', reason, diagnostics: [] }];
}

/** JUnit XML: one <testsuite> per suite path, classname = the path joined by dots. */
export function junitXml(drawn: Case[], opts: JUnitOptions = {}): string {
  const cases = withRunVerdict(drawn);
  const name = opts.name ?? 'protm';
  // The package's typings declare an ES default export, but it is CommonJS
  // (module.exports = builder), which is what a default import yields at run time.
  const report = (junit as unknown as Builder).newBuilder().name(xmlSafe(name));
  const suites = new Map<string, ReturnType<Builder['testSuite']>>();
  for (const c of cases) {
    const suiteName = c.suite.length > 0 ? c.suite.join('.') : name;
    let suite = suites.get(suiteName);
    if (!suite) {
      suite = report.testSuite().name(xmlSafe(suiteName));
      if (opts.timing?.startedAt) suite.timestamp(opts.timing.startedAt);
      suites.set(suiteName, suite);
    }
    const tc = suite.testCase().className(xmlSafe(suiteName)).name(xmlSafe(c.name));
    if (c.seconds !== undefined) tc.time(c.seconds);
    if (c.status === 'fail') {
      tc.failure(xmlSafe(c.reason ?? 'not ok'));
      if (c.diagnostics.length > 0) tc.stacktrace(xmlSafe(c.diagnostics.join('\n')));
    } else if (c.status === 'skip' || c.status === 'todo') {
      const why = c.reason ?? (c.status === 'todo' ? 'not expected to pass yet' : 'skipped');
      skippedWithMessage(tc, xmlSafe(c.status === 'todo' ? `TODO: ${why}` : why));
    }
  }
  return report.build();
}

export function writeJUnit(path: string, cases: Case[], opts: JUnitOptions = {}): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${junitXml(cases, opts)}\n`);
}

export interface Published {
  /** The cases as published: pictures out of their diagnostics. */
  cases: Case[];
  results: string;
  junit: string;
  report: string;
  counts: Counts;
  text: string;
  exitCode: number;
}

export interface PublishOptions extends JUnitOptions {
  /** What was tested, for report.html (label, value). */
  about?: AboutRows;
}

/** The lines that name a run's result files, as every command prints them after its table. */
export function resultFilesText(files: { results: string; junit: string; report: string }): string {
  return `results: ${files.results}\njunit: ${files.junit}\nreport: ${files.report}`;
}

/** What every command that runs checks does with its cases: results.json, junit.xml and report.html in `dir`, the text and the verdict. */
export function publishResults(dir: string, drawn: Case[], opts: PublishOptions = {}): Published {
  const results = join(dir, 'results.json');
  const junit = join(dir, 'junit.xml');
  const report = join(dir, 'report.html');
  const cases = withPictures(dir, drawn);
  writeResultsJson(results, cases, opts.timing);
  writeJUnit(junit, cases, opts);
  const counts = countCases(cases);
  writeFileSync(
    report,
    renderHtmlReport({
      title: opts.name ?? 'protm',
      about: opts.about ?? [],
      summary: summaryLine(counts),
      verdict: verdict(counts),
      rows: cases.map((c) => ({ ...c, id: caseId(c), pictures: c.pictures ?? [] })),
    }),
  );
  return { cases, results, junit, report, counts, text: renderText(cases), exitCode: resultsExitCode(cases) };
}

/** The cases with the pictures of their diagnostics saved under `dir` and taken out of the diagnostics. */
function withPictures(dir: string, cases: Case[]): Case[] {
  let saved = 0;
  return cases.map((c) => {
    if (!c.diagnostics.some(isPictureLine)) return c;
    const { diagnostics, pictures } = decodePictures(c.diagnostics);
    const files = savePictures(dir, saved, pictures);
    saved += files.length;
    return { ...c, diagnostics, ...(files.length ? { pictures: files } : {}) };
  });
}
