// Benchmark figures travel from the target as KTAP diagnostics of the
// benchmark program's cases, one sample a line:
//
//   # bench protected_job_us 48213
//
// so they share the checks' channel (the kernel log, tagged) and a case
// that could not measure still fails as a case.
import type { Case } from '../results/report.js';

export type Samples = Record<string, number[]>;

const BENCH_LINE = /^bench ([a-z][a-z0-9_]*) (-?\d+(?:\.\d+)?)$/;

/** Every "bench METRIC VALUE" diagnostic of `cases`, by metric, in order. */
export function benchSamples(cases: readonly Case[]): Samples {
  const out: Samples = {};
  for (const c of cases) {
    for (const line of c.diagnostics) {
      const m = BENCH_LINE.exec(line.trim());
      if (!m) continue;
      const metric = m[1] as string;
      out[metric] = [...(out[metric] ?? []), Number(m[2])];
    }
  }
  return out;
}

/** The samples of several runs, pooled by metric. */
export function poolSamples(runs: readonly Samples[]): Samples {
  const out: Samples = {};
  for (const run of runs) for (const [metric, values] of Object.entries(run)) out[metric] = [...(out[metric] ?? []), ...values];
  return out;
}
