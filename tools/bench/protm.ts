// What `protm bench protm` reports: the figures the target's benchmark
// program (test/target/bench_protm_check.c) samples, their medians over
// every run, and the two figures derived from them (protected over normal
// job latency; the forced-exit latency a normal job pays while protected
// work runs).
import { poolSamples, type Samples } from './samples.js';
import { median, type Spread, spread } from './stats.js';

/** The target suite that runs the benchmark program. */
export const PROTM_BENCH_SUITE = 'bench-protm';

interface Metric {
  key: string;
  label: string;
  unit: 'us' | 'count';
}

/** The sampled metrics, in report order (keys as the target prints them). */
export const PROTM_METRICS: readonly Metric[] = [
  { key: 'protected_job_us', label: 'protected job (submit to signal)', unit: 'us' },
  { key: 'normal_job_us', label: 'the same job, normal group', unit: 'us' },
  { key: 'batch_entries', label: 'entries per batch of protected jobs', unit: 'count' },
  { key: 'batch_exits', label: 'exits per batch of protected jobs', unit: 'count' },
  { key: 'batch_us', label: 'a gated batch (gate opened to signal)', unit: 'us' },
  { key: 'normal_idle_us', label: 'normal job, GPU otherwise idle', unit: 'us' },
  { key: 'normal_during_protm_us', label: 'normal job submitted in protected mode', unit: 'us' },
  { key: 'forced_exits', label: 'forced exits per fairness round', unit: 'count' },
];

export interface MetricSummary extends Spread {
  label: string;
  unit: string;
  /** The median of each run. */
  perRun: number[];
}

export interface ProtmBenchSummary {
  runs: number;
  metrics: Record<string, MetricSummary>;
  /** median(protected_job_us) / median(normal_job_us); the goal on the model is <= 1.2. */
  protectedOverNormal: number;
  /** median(normal_during_protm_us) - median(normal_idle_us): what leaving protected mode costs a waiting normal job. */
  forcedExitUs: number;
  /** Metrics no run sampled (the benchmark program failed before them). */
  missing: string[];
}

export function summarizeProtmBench(runs: readonly Samples[]): ProtmBenchSummary {
  const pooled = poolSamples(runs);
  const metrics: Record<string, MetricSummary> = {};
  const missing: string[] = [];
  for (const m of PROTM_METRICS) {
    const values = pooled[m.key] ?? [];
    if (values.length === 0) missing.push(m.key);
    metrics[m.key] = { label: m.label, unit: m.unit, ...spread(values), perRun: runs.map((r) => median(r[m.key] ?? [])) };
  }
  const med = (key: string) => metrics[key]?.median ?? Number.NaN;
  return {
    runs: runs.length,
    metrics,
    protectedOverNormal: med('protected_job_us') / med('normal_job_us'),
    forcedExitUs: med('normal_during_protm_us') - med('normal_idle_us'),
    missing,
  };
}

function show(value: number, unit: string): string {
  if (Number.isNaN(value)) return '-';
  return unit === 'us' ? `${(value / 1000).toFixed(1)} ms` : String(Math.round(value * 10) / 10);
}

/** The summary as a table with a line for each derived figure. */
export function renderProtmBench(s: ProtmBenchSummary): string {
  const rows = [['metric', 'median', 'min', 'max', 'samples']];
  for (const m of PROTM_METRICS) {
    const v = s.metrics[m.key] as MetricSummary;
    rows.push([v.label, show(v.median, v.unit), show(v.min, v.unit), show(v.max, v.unit), String(v.n)]);
  }
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] as string).length))) ?? [];
  const lines = rows.map((r) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] as number) : cell.padStart(widths[i] as number))).join('  '));
  lines.push(
    '',
    `protected / normal job latency (medians): ${Number.isNaN(s.protectedOverNormal) ? '-' : `${s.protectedOverNormal.toFixed(2)}x`}`,
    `forced-exit latency (normal job in protected mode minus idle, medians): ${show(s.forcedExitUs, 'us')}`,
    `medians over ${s.runs} run${s.runs === 1 ? '' : 's'} (boots)`,
  );
  if (s.missing.length) lines.push(`not measured: ${s.missing.join(', ')}`);
  return lines.join('\n');
}
