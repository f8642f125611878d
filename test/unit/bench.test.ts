// `protm bench protm`: it boots the target, measures and reports medians.
// A benchmark, so no timing is asserted here (the machine is shared and
// emulated): only that every figure was measured in every run, and the
// relations that do not depend on the machine (a gated batch costs one
// entry and one exit; a normal job submitted in protected mode forces an
// exit).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROTM_METRICS, renderProtmBench, summarizeProtmBench } from '../../tools/bench/protm.js';
import { benchSamples } from '../../tools/bench/samples.js';
import { median } from '../../tools/bench/stats.js';
import type { Case } from '../../tools/results/report.js';
import { lastJson, protm } from '../helpers/cli.js';

interface MetricDoc {
  median: number;
  min: number;
  max: number;
  n: number;
  perRun: number[];
}

interface BenchDoc {
  runs: number;
  metrics: Record<string, MetricDoc>;
  protectedOverNormal: number;
  forcedExitUs: number;
  missing: string[];
}

const bench = (diagnostics: string[]): Case => ({ suite: ['bench-protm'], name: 'x', status: 'pass', diagnostics });

describe('benchmark figures', () => {
  it('medians of odd and even counts; none is NaN', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it('takes only "bench METRIC VALUE" diagnostics, pooled over runs, and names what no run measured', () => {
    const run1 = benchSamples([bench(['bench protected_job_us 30', 'bench normal_job_us 20', 'not bench 5', 'bench normal_job_us x'])]);
    const run2 = benchSamples([bench(['bench protected_job_us 50', 'bench normal_job_us 20', 'bench batch_entries 1'])]);
    expect(run1).toEqual({ protected_job_us: [30], normal_job_us: [20] });
    const s = summarizeProtmBench([run1, run2]);
    expect(s.metrics.protected_job_us).toMatchObject({ median: 40, min: 30, max: 50, n: 2, perRun: [30, 50] });
    expect(s.protectedOverNormal).toBe(2);
    expect(s.missing).toContain('forced_exits');
    expect(s.missing).not.toContain('batch_entries');
    expect(renderProtmBench(s)).toMatch(/protected \/ normal job latency \(medians\): 2\.00x/);
  });
});

describe('protm bench protm (QEMU target with the Mali model)', () => {
  it('refuses a bad run count as a usage error', async () => {
    for (const runs of ['0', '21', 'two']) {
      const r = await protm(['bench', 'protm', '--runs', runs]);
      expect(r.exitCode, runs).toBe(2);
      expect(r.stderr).toMatch(/--runs/);
    }
  });

  it('boots twice and reports medians of every figure: one entry and one exit per batch, exits forced for normal work', async () => {
    const r = await protm(['bench', 'protm', '--runs', '2', '--json']);
    const summary = lastJson(r.stdout);
    expect(summary.status, `${r.stderr.slice(-3000)}\n${r.stdout.slice(-3000)}`).toBe('ok');
    const results = JSON.parse(readFileSync(summary.results as string, 'utf8')) as { bench: BenchDoc; counts: { failed: number } };
    const doc = results.bench;
    expect(results.counts.failed).toBe(0);
    expect(doc.runs).toBe(2);
    expect(doc.missing).toEqual([]);
    for (const m of PROTM_METRICS) {
      const v = doc.metrics[m.key] as MetricDoc;
      expect(v.n, m.key).toBeGreaterThan(0);
      expect(v.perRun, m.key).toHaveLength(2);
      expect(v.min, m.key).toBeLessThanOrEqual(v.median);
      expect(v.median, m.key).toBeLessThanOrEqual(v.max);
    }
    for (const key of ['protected_job_us', 'normal_job_us', 'batch_us', 'normal_idle_us', 'normal_during_protm_us']) {
      expect(doc.metrics[key]?.min, key).toBeGreaterThan(0);
    }
    // Every batch, in every run: exactly one entry and one exit.
    expect(doc.metrics.batch_entries).toMatchObject({ min: 1, max: 1 });
    expect(doc.metrics.batch_exits).toMatchObject({ min: 1, max: 1 });
    // Normal jobs were submitted in protected mode: the kernel had to leave it.
    expect(doc.metrics.forced_exits?.min).toBeGreaterThanOrEqual(1);
    expect(doc.protectedOverNormal).toBeGreaterThan(0);
    // Each boot keeps its own console and results beside the medians.
    const dir = dirname(summary.results as string);
    for (const run of ['run-1', 'run-2']) {
      expect(existsSync(join(dir, run, 'boot', 'console.log')), run).toBe(true);
      expect(existsSync(join(dir, run, 'results.json')), run).toBe(true);
    }
    const meta = JSON.parse(readFileSync(summary.metadata as string, 'utf8')) as { bench: { summary: BenchDoc } };
    expect(meta.bench.summary.metrics.batch_entries?.median).toBe(1);
  });
});
