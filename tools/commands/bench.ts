// `protm bench protm`: boots the target several times on the benchmark
// suite and reports medians (protected vs normal job latency, entries per
// batch, forced-exit latency). A benchmark, not a test: its verdict fails
// only when something could not be measured, never on a figure.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { PROTM_BENCH_SUITE, renderProtmBench, summarizeProtmBench } from '../bench/protm.js';
import { benchRuns } from '../bench/runs.js';
import { secureProfileNames } from '../build/secure-world.js';
import { publishResults } from '../results/report.js';
import { leaf } from './leaf.js';

const MAX_RUNS = 20;

function runsArg(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > MAX_RUNS) throw new InvalidArgumentError(`a whole number from 1 to ${MAX_RUNS}`);
  return n;
}

function protmBenchCommand(): Command {
  return leaf(
    new Command('protm')
      .description('protected vs normal job latency, entries per batch and forced-exit latency on the Mali model, medians over several boots')
      .addOption(new Option('--runs <n>', `boots to sample (1-${MAX_RUNS})`).default(3).argParser(runsArg))
      .addOption(new Option('--profile <name>', 'secure-world profile (images/secure)').choices(secureProfileNames()).default('dynamic'))
      .option('--debug', 'debug kernel (KASAN, kmemleak, lockdep): slower, for comparison only'),
    'bench protm',
    async ({ record }, opts: { runs: number; profile: string; debug?: boolean }) => {
      const target = { profile: opts.profile, suite: PROTM_BENCH_SUITE, debug: Boolean(opts.debug), gpu: true };
      const runs = await benchRuns(record, target, opts.runs);
      const summary = summarizeProtmBench(runs.map((r) => r.samples));
      // One results.json for the whole benchmark: every run's cases under run-<i>, and the medians.
      const cases = runs.flatMap((r) => r.cases.map((c) => ({ ...c, suite: [`run-${r.index}`, ...c.suite] })));
      const published = publishResults(record.dir, cases, { name: `protm.bench.protm.${opts.profile}${opts.debug ? '.debug' : ''}` });
      const doc = JSON.parse(readFileSync(published.results, 'utf8')) as Record<string, unknown>;
      writeFileSync(published.results, `${JSON.stringify({ ...doc, bench: summary }, null, 2)}\n`);
      record.set('bench', { ...target, runs: runs.map((r) => ({ dir: r.dir, bootSeconds: r.bootSeconds, exitCode: r.exitCode })), summary });
      const failedRuns = runs.filter((r) => r.exitCode !== 0).map((r) => r.index);
      const problems = [
        ...(failedRuns.length
          ? [`run(s) ${failedRuns.join(', ')} failed: see ${failedRuns.map((i) => join(record.dir, `run-${i}`, 'results.json')).join(', ')}`]
          : []),
        ...(summary.missing.length ? [`not measured: ${summary.missing.join(', ')}`] : []),
      ];
      const text = [renderProtmBench(summary), ...problems.map((p) => `error: ${p}`), `results: ${published.results}`].join('\n');
      return { text, summary: { ...summary, results: published.results, failedRuns }, exitCode: problems.length ? 1 : 0 };
    },
  );
}

export function benchCommand(): Command {
  return new Command('bench').description('benchmarks on the target (figures, not pass/fail)').addCommand(protmBenchCommand());
}
