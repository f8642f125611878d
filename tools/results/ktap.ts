// KTAP results (Documentation/dev-tools/ktap.rst) as they arrive on a serial
// console, mixed with kernel log lines, firmware and shell noise.
//
// Why not tap-parser (node-tap's parser)? Run on the kernel's own KUnit samples
// (tools/testing/kunit/test_data) it reads `KTAP version 1` as a non-TAP line,
// so nested KTAP suites (a version line indented two or four spaces) and
// tab-indented KUnit suites are dropped and only top-level results remain; a
// printk timestamp ("[    1.234567] ok 1 x") hides every line from it; and
// its TAP rules (a non-TAP line ends a subtest, a short plan is a parse
// error) don't fit a console where kernel messages interleave and a crash
// simply stops the output. KTAP needs: any line may be noise, nesting by
// indentation or `# Subtest:` headers, and a missing result is a crash. That
// is a small state machine, so it is written here, following the rules of the
// kernel's own parser (tools/testing/kunit/kunit_parser.py).
export type KtapStatus = 'pass' | 'fail' | 'skip' | 'todo';

export interface KtapNode {
  name: string;
  status: KtapStatus;
  reason?: string;
  /** `# ...` lines (and indented unknown lines) printed before the result. */
  diagnostics: string[];
  children: KtapNode[];
  /** Seconds from the previous event at its level to its result; only with a clock. */
  seconds?: number;
}

export interface KtapOptions {
  /** Name of the returned root node (default "ktap"). */
  name?: string;
  /** Milliseconds clock for per-test timing, e.g. Date.now when parsing live output. */
  clock?: () => number;
}

export const NO_RESULT = 'no result (crashed or timed out?)';

// "[    1.234567] " and, with CONFIG_PRINTK_CALLER, "[    1.234567][    T1] ".
const TIMESTAMP = /^\[\s*\d+\.\d+\](?:\[\s*[A-Z]?\d+\])? ?/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: console output carries control characters to strip
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

/** A console line without \r, colour codes and the printk timestamp. */
export function stripConsolePrefix(line: string): string {
  return line.replace(ANSI, '').replace(/\r/g, '').replace(TIMESTAMP, '');
}

/**
 * The target's checks print their KTAP through the kernel log (run-suite
 * writes each line to /dev/kmsg), tagged so that it can be told apart from
 * kernel messages and from in-kernel KUnit output on the same console.
 */
export const KTAP_TAG = 'protm-ktap: ';
/**
 * A tagged console line's KTAP text (printk timestamp and tag removed), or
 * undefined for any other line. The tag may come mid-line: a userspace write
 * to the console (init's "protm: userspace up, ...") can have its newline
 * printed after the kernel's next record, which then ends that line.
 */
function taggedText(line: string): string | undefined {
  const text = stripConsolePrefix(line);
  const at = text.indexOf(KTAP_TAG);
  return at >= 0 ? text.slice(at + KTAP_TAG.length) : undefined;
}

/** A console line as the KTAP channel sees it: a tagged line's KTAP text, any other line unchanged. */
export function unwrapKtapLine(line: string): string {
  return taggedText(line) ?? line;
}

/** The KTAP the target's checks printed, out of a whole console log. */
export function ktapChannel(consoleLog: string): string {
  return consoleLog
    .split('\n')
    .map(taggedText)
    .filter((l): l is string => l !== undefined)
    .join('\n');
}

const VERSION = /^K?TAP version \d+$/;
const SUBTEST = /^# Subtest: (.*)$/;
const PLAN = /^1\.\.(\d+)\s*(?:#\s*(.*))?$/;
// The number is required: KTAP demands it, and on a noisy console it keeps
// stray lines that happen to start with "ok" from counting as results.
const RESULT = /^(not ok|ok) (\d+)\b\s*(?:- )?([^#]*?)\s*(?:#\s*(.*))?$/;
const DIRECTIVE = /^(skip|todo|xfail|timeout|error)\S*\s*(.*)$/i;
const BAIL_OUT = /^Bail out!\s*(.*)$/;

interface Result {
  number: number;
  name: string;
  status: KtapStatus;
  reason?: string;
}

interface Level {
  /** Indentation of the level's own lines (version, header, plan, child results). */
  indent: number;
  name?: string;
  sawVersion: boolean;
  plan?: number;
  skipAll?: string;
  children: KtapNode[];
  /** Diagnostics waiting for the next result at this level. */
  pending: string[];
  /** The suite's own diagnostics (printed before its plan). */
  own: string[];
  openedAt?: number;
  lastAt?: number;
}

/** Tabs count to the next multiple of 8, as on a terminal. */
function indentWidth(text: string): number {
  let width = 0;
  for (const ch of text) {
    if (ch === ' ') width += 1;
    else if (ch === '\t') width += 8 - (width % 8);
    else break;
  }
  return width;
}

function parseResult(match: RegExpExecArray): Result {
  const [, ok, num, rawName, comment] = match;
  const number = Number(num);
  const name = (rawName ?? '').trim() || `test ${number}`;
  const directive = comment ? DIRECTIVE.exec(comment.trim()) : null;
  const kind = directive?.[1]?.toLowerCase();
  // KTAP: SKIP wins over ok/not ok; TODO is "not expected to pass", so it is
  // neither a pass nor a failure. XFAIL/TIMEOUT/ERROR keep the ok/not ok verdict.
  if (kind === 'skip' || kind === 'todo') {
    return { number, name, status: kind, reason: directive?.[2] || undefined };
  }
  return { number, name, status: ok === 'ok' ? 'pass' : 'fail', reason: comment?.trim() || undefined };
}

function missing(number: number, reason: string, diagnostics: string[] = []): KtapNode {
  return { name: `test ${number}`, status: 'fail', reason, diagnostics, children: [] };
}

/**
 * Add a failed node for each planned test that never reported. What was
 * printed since the last result goes with the first of them (the one that
 * crashed); returns those lines if no test was missing.
 */
function fillMissing(level: Level, reason: string): string[] {
  let leftover = level.pending.splice(0);
  for (let n = level.children.length + 1; level.plan !== undefined && n <= level.plan; n++) {
    level.children.push(missing(n, reason, leftover));
    leftover = [];
  }
  return leftover;
}

/** Overall status of a set of results: any failure fails, all skipped is a skip. */
function aggregate(children: KtapNode[]): KtapStatus {
  if (children.some((c) => c.status === 'fail')) return 'fail';
  if (children.length > 0 && children.every((c) => c.status === 'skip' || c.status === 'todo')) return 'skip';
  return 'pass';
}

/** Incremental parser: feed console text with write()/push(), then end(). */
export class KtapParser {
  private readonly levels: Level[] = [];
  private readonly finished: KtapNode[] = [];
  private sawDocument = false;
  private partial = '';

  constructor(private readonly opts: KtapOptions = {}) {}

  /** Feed a chunk of console output; lines may be split across chunks. */
  write(chunk: string): void {
    const lines = (this.partial + chunk).split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) this.push(line);
  }

  /** Feed one complete line. */
  push(rawLine: string): void {
    const text = stripConsolePrefix(rawLine).trimEnd();
    const indent = indentWidth(text);
    const body = text.trimStart();
    if (body.length === 0) return;

    if (this.levels.length === 0) {
      // Outside a document everything but a version line is console noise.
      if (VERSION.test(body)) this.openDocument(indent);
      return;
    }
    if (VERSION.test(body)) {
      this.version(indent);
      return;
    }
    const subtest = SUBTEST.exec(body);
    if (subtest) {
      this.openNested(indent, 'subtest', subtest[1]?.trim());
      return;
    }
    const plan = PLAN.exec(body);
    if (plan) {
      this.plan(indent, Number(plan[1]), plan[2]);
      return;
    }
    const result = RESULT.exec(body);
    if (result) {
      this.result(indent, parseResult(result));
      return;
    }
    const bail = BAIL_OUT.exec(body);
    if (bail) {
      this.bailOut(bail[1]?.trim());
      return;
    }
    const top = this.top();
    if (body.startsWith('#')) {
      const diag = body.replace(/^#\s?/, '');
      if (diag.trim()) top.pending.push(diag);
      return;
    }
    // Unknown lines inside an indented suite are usually the test's own
    // output (KUnit's "Expected x == y" continuation lines); unindented ones
    // are kernel or shell chatter and are left out.
    const doc = this.levels[0]!;
    if (this.levels.length > 1 && top.indent > doc.indent && indent >= top.indent) top.pending.push(body);
  }

  /** Finish: open suites become failures, planned-but-missing tests too. */
  end(): KtapNode {
    if (this.partial) this.push(this.partial);
    this.partial = '';
    this.closeAll(NO_RESULT);
    const name = this.opts.name ?? 'ktap';
    const children = this.finished;
    // Nothing ran is a failure, never a silent pass (e.g. "1..0", or a boot
    // that died before the checks printed their header).
    if (children.length === 0) {
      const reason = this.sawDocument ? 'no test results' : 'no KTAP output found';
      return { name, status: 'fail', reason, diagnostics: [], children };
    }
    return { name, status: aggregate(children), diagnostics: [], children };
  }

  private now(): number | undefined {
    return this.opts.clock?.();
  }

  private top(): Level {
    return this.levels[this.levels.length - 1]!;
  }

  private newLevel(indent: number): Level {
    const at = this.now();
    return { indent, sawVersion: false, children: [], pending: [], own: [], openedAt: at, lastAt: at };
  }

  private openDocument(indent: number): void {
    this.sawDocument = true;
    const doc = this.newLevel(indent);
    doc.sawVersion = true;
    this.levels.push(doc);
  }

  private version(indent: number): void {
    const doc = this.levels[0]!;
    if (indent <= doc.indent) {
      // A second document (e.g. userspace checks after in-kernel KUnit) if
      // the first one is finished, or if its open suites are indented, so
      // this unindented line cannot be one of their headers.
      const planDone = doc.plan !== undefined && doc.children.length >= doc.plan;
      const nestedIndented = this.levels.length > 1 && this.levels.slice(1).every((l) => l.indent > doc.indent);
      if ((this.levels.length === 1 && planDone) || nestedIndented) {
        this.closeAll(NO_RESULT);
        this.openDocument(indent);
        return;
      }
    }
    this.openNested(indent, 'version');
  }

  /** A suite header: `KTAP version 1` and/or `# Subtest: name` (KUnit prints both). */
  private openNested(indent: number, kind: 'version' | 'subtest', name?: string): void {
    this.closeDeeperThan(indent);
    const top = this.top();
    const fresh = top.plan === undefined && top.children.length === 0 && (kind === 'subtest' ? top.name === undefined : !top.sawVersion);
    const target = top.indent === indent && fresh ? top : this.newLevel(indent);
    if (target !== top) {
      // Diagnostics printed just before the header belong to the new suite.
      target.own.push(...top.pending.splice(0));
      this.levels.push(target);
    }
    if (kind === 'subtest') target.name = name;
    else target.sawVersion = true;
  }

  private plan(indent: number, count: number, comment?: string): void {
    this.closeDeeperThan(indent);
    let top = this.top();
    if (top.plan !== undefined) {
      // TAP 14 style subtest: an indented plan with no header line.
      if (indent <= top.indent) return;
      top = this.newLevel(indent);
      this.levels.push(top);
    }
    top.plan = count;
    const skip = comment ? DIRECTIVE.exec(comment.trim()) : null;
    if (count === 0 && skip?.[1]?.toLowerCase() === 'skip') top.skipAll = skip[2] || 'skipped';
    top.own.push(...top.pending.splice(0));
  }

  private result(indent: number, result: Result): void {
    // Close the suites this result line is outside of. A suite's own result
    // sits at its parent's indentation; if the line is shallower still, the
    // suite never printed one (it crashed) and the result belongs further up.
    while (this.levels.length > 1) {
      const top = this.top();
      const parent = this.levels[this.levels.length - 2]!;
      if (indent >= top.indent && !this.isOwnResult(top, indent, result)) break;
      this.levels.pop();
      if (indent >= parent.indent || this.levels.length === 1) {
        this.addChild(parent, this.finishLevel(top, parent, result));
        return;
      }
      this.addChild(parent, this.finishLevel(top, parent, undefined));
    }
    const top = this.top();
    if (result.number <= top.children.length) {
      // A number already taken (a result printed twice) must not stand in
      // for a planned test that never reported.
      const reason = `result number ${result.number} again, after ${top.children.length}: a test reported twice`;
      this.addChild(top, { name: result.name, status: 'fail', reason, diagnostics: top.pending.splice(0), children: [] }, top.lastAt);
      return;
    }
    // A gap in the numbering is a test that never reported.
    for (let n = top.children.length + 1; n < result.number; n++) this.addChild(top, missing(n, NO_RESULT));
    const node: KtapNode = { name: result.name, status: result.status, diagnostics: top.pending.splice(0), children: [] };
    if (result.reason) node.reason = result.reason;
    this.addChild(top, node, top.lastAt);
  }

  /**
   * Without indentation, a result at the suite's own level closes it once its
   * plan is complete, or (no plan) when it names the `# Subtest:` header.
   */
  private isOwnResult(level: Level, indent: number, result: Result): boolean {
    if (indent !== level.indent) return false;
    if (level.plan !== undefined) return level.children.length >= level.plan;
    return level.name !== undefined && level.name === result.name;
  }

  private addChild(level: Level, node: KtapNode, startedAt?: number): void {
    const at = this.now();
    if (at !== undefined && startedAt !== undefined && node.seconds === undefined) node.seconds = (at - startedAt) / 1000;
    level.children.push(node);
    level.lastAt = at;
  }

  /** Pop nested suites whose indentation shows they are over. */
  private closeDeeperThan(indent: number): void {
    while (this.levels.length > 1 && this.top().indent > indent) {
      const done = this.levels.pop()!;
      this.addChild(this.top(), this.finishLevel(done, this.top(), undefined));
    }
  }

  /** Turn a suite into a node, filling planned tests that never reported. */
  private finishLevel(level: Level, parent: Level, result: Result | undefined, missingReason = NO_RESULT): KtapNode {
    const children = level.children;
    const leftover = fillMissing(level, missingReason);
    const node: KtapNode = {
      name: result?.name ?? level.name ?? `test ${parent.children.length + 1}`,
      status: result?.status ?? 'fail',
      diagnostics: [...level.own, ...leftover],
      children,
    };
    const reason = result ? (result.reason ?? (result.status === 'skip' ? level.skipAll : undefined)) : missingReason;
    if (reason) node.reason = reason;
    // A suite that planned nothing ran nothing, whatever its own line says:
    // "1..0 # SKIP why" is a skip, a bare "1..0" a failure.
    if (node.status === 'pass' && level.plan === 0 && children.length === 0) {
      node.status = level.skipAll ? 'skip' : 'fail';
      node.reason = level.skipAll ?? 'planned no tests (1..0): nothing ran';
    }
    // KTAP: a suite fails if any subtest fails, whatever its own line says.
    if (node.status !== 'fail' && children.some((c) => c.status === 'fail')) {
      node.status = 'fail';
      node.reason = 'a subtest failed';
    }
    const at = this.now();
    if (at !== undefined && level.openedAt !== undefined) node.seconds = (at - level.openedAt) / 1000;
    return node;
  }

  /** Close every open suite and the document; returns how many tests were missing. */
  private closeAll(reason: string): number {
    let missingCount = 0;
    const count = (level: Level) => Math.max(0, (level.plan ?? 0) - level.children.length);
    while (this.levels.length > 1) {
      const done = this.levels.pop()!;
      missingCount += count(done) + 1; // the suite itself never reported
      this.addChild(this.top(), this.finishLevel(done, this.top(), undefined, reason));
    }
    const doc = this.levels.pop();
    if (!doc) return missingCount;
    missingCount += count(doc);
    fillMissing(doc, reason);
    this.finished.push(...doc.children);
    return missingCount;
  }

  /** "Bail out!": every test still expected fails; if none was, the bail-out itself does. */
  private bailOut(why?: string): void {
    const reason = `no result (bailed out${why ? `: ${why}` : ''})`;
    if (this.closeAll(reason) === 0) this.finished.push({ name: 'Bail out!', status: 'fail', reason: why || 'bailed out', diagnostics: [], children: [] });
  }
}

const UNNUMBERED_RESULT = /^(\s*)(not ok|ok)(?!\s+\d)(?=\s|$)(.*)$/;
const NUMBERED_RESULT = /^\s*(?:not ok|ok) (\d+)\b/;

/**
 * TAP 14 lets a result leave out its number, and glib does so for the
 * failure it reports before it bails out ("not ok /path - ERROR:...").
 * The parser needs the number (see RESULT), so give such lines the next
 * one. For flat TAP documents, one after another (glib's qtests), not for
 * KTAP's nested suites.
 */
export function numberTapResults(tap: string): string {
  let last = 0;
  return tap
    .split('\n')
    .map((line) => {
      if (VERSION.test(line.trim())) last = 0;
      const numbered = NUMBERED_RESULT.exec(line);
      if (numbered) {
        last = Number(numbered[1]);
        return line;
      }
      const bare = UNNUMBERED_RESULT.exec(line);
      if (!bare) return line;
      last += 1;
      return `${bare[1]}${bare[2]} ${last}${bare[3]}`;
    })
    .join('\n');
}

/** Parse a whole console log. */
export function parseKtap(text: string, opts: KtapOptions = {}): KtapNode {
  const parser = new KtapParser(opts);
  parser.write(text);
  return parser.end();
}
