// A LAVA job's results as protm cases, so that a farm's run is reported
// like a local one (tools/results: table, results.json, JUnit, the closing
// count line). The per-case verdicts are LAVA's (its monitors parsed the
// KTAP, see job.ts); this only puts them back into the suite's shape: one
// LAVA test suite per check, holding the check's cases and, last, the check's
// own result line.
import { scanConsole } from '../boot/console-scan.js';
import type { KtapNode, KtapStatus } from '../results/ktap.js';
import { type Case, findingCases, flattenCases } from '../results/report.js';
import { gpuProbeCase } from '../run/target-run.js';
import type { LavaJob, LavaTestCase } from './api.js';

/** How LAVA turns a case name into a test case id (lava_dispatcher's monitor: lower case, \W+ → "_"). */
export function lavaCaseId(name: string): string {
  return name.trim().toLowerCase().replace(/\W+/g, '_');
}

/** LAVA names a monitor's suite by its name, with spaces as dashes, in lower case. */
function lavaSuiteName(check: string): string {
  return check.replace(/ /g, '-').toLowerCase();
}

function status(result: string): { status: KtapStatus; reason?: string } {
  if (result === 'pass' || result === 'fail' || result === 'skip') return { status: result };
  return { status: 'fail', reason: `LAVA result "${result}"` };
}

export const NO_LAVA_RESULT = 'LAVA recorded no result for this check (crashed or timed out?)';

/**
 * LAVA's cases of a job that ran `checks` (in suite order) → protm cases.
 * Each check's LAVA suite holds its KTAP results in order, children before
 * their parent, each with its depth (the indentation, in "units"): that is
 * enough to rebuild the KTAP tree and flatten it exactly as a local run does.
 */
export function casesFromLava(checks: string[], lava: LavaTestCase[]): Case[] {
  const top: KtapNode[] = [];
  for (const check of checks) {
    const suite = lavaSuiteName(check);
    const own = lava.filter((c) => c.suite === suite || c.suite.replace(/^\d+_/, '') === suite);
    // pending[d]: finished nodes at depth d still waiting for their parent.
    const pending: KtapNode[][] = [[]];
    for (const c of own) {
      const depth = Math.floor((c.units ?? '').length / 4);
      while (pending.length < depth + 2) pending.push([]);
      const node: KtapNode = { name: c.name, diagnostics: [], children: pending[depth + 1]!, ...status(c.result) };
      pending[depth + 1] = [];
      pending[depth]!.push(node);
    }
    // Results deeper than any parent LAVA saw belong to the check that never reported.
    const orphans = pending.slice(1).flat();
    const reported = pending[0]!.filter((n) => n.name === lavaCaseId(check));
    if (reported.length === 0) {
      top.push({ name: check, status: 'fail', reason: NO_LAVA_RESULT, diagnostics: [], children: [...pending[0]!, ...orphans] });
    } else {
      for (const n of pending[0]!) top.push(n === reported[reported.length - 1] ? { ...n, name: check } : n);
      if (orphans.length) top.push({ name: check, status: 'fail', reason: NO_LAVA_RESULT, diagnostics: [], children: orphans });
    }
  }
  // A LAVA suite no check names (LAVA's own "lava" suite aside): the job ran
  // something else than these checks. Its results must not vanish.
  const known = new Set(checks.map(lavaSuiteName));
  const unnamed = (c: LavaTestCase) => c.suite.replace(/^\d+_/, '');
  for (const suite of new Set(lava.map(unnamed).filter((s) => s !== 'lava' && !known.has(s)))) {
    const results = lava.filter((c) => unnamed(c) === suite).map((c) => `${c.name}: ${c.result}`);
    top.push({
      name: suite,
      status: 'fail',
      reason: `LAVA has results for "${suite}", which is not one of the checks read`,
      diagnostics: results,
      children: [],
    });
  }
  return flattenCases({ name: 'lava', status: 'pass', diagnostics: [], children: top });
}

/** The job itself, when LAVA ended it Incomplete or Canceled: a failed case with LAVA's reason. */
export function jobCase(job: LavaJob, reason: string): Case[] {
  if (job.health === 'Complete') return [];
  return [{ suite: ['lava'], name: `job ${job.id} ended ${job.health}`, status: 'fail', reason, diagnostics: [] }];
}

/** The checks a local run adds from the console (Panthor probed, no oops/panic...), on the console LAVA logged. */
export function consoleCases(console: string, gpu: boolean): Case[] {
  return [...(gpu ? [gpuProbeCase(console)] : []), ...findingCases(scanConsole(console, { source: 'normal' }))];
}

/** For comparing with a local run: each case as "suite › name: status", names as LAVA writes them. */
export function comparable(cases: Case[]): string[] {
  return cases.map((c) => `${[...c.suite, c.name].map(lavaCaseId).join(' › ')}: ${c.status === 'todo' ? 'skip' : c.status}`);
}
