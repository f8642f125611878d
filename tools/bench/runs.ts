// Runs a benchmark suite on the target several times (one boot a run) under
// one run record: each boot's console, results.json and junit.xml move to
// run-<i>/ so the next boot cannot overwrite them.
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { RunRecord } from '../lib/run-record.js';
import type { Case } from '../results/report.js';
import { runTarget, type TargetOptions } from '../run/target-run.js';
import { benchSamples, type Samples } from './samples.js';

export interface BenchRun {
  index: number;
  dir: string;
  cases: Case[];
  samples: Samples;
  exitCode: number;
  bootSeconds?: number;
}

export async function benchRuns(record: RunRecord, target: TargetOptions, runs: number): Promise<BenchRun[]> {
  const out: BenchRun[] = [];
  for (let index = 1; index <= runs; index++) {
    record.log(`\n## benchmark run ${index} of ${runs}`);
    const v = await runTarget(record, target);
    const dir = join(record.dir, `run-${index}`);
    mkdirSync(dir, { recursive: true });
    for (const name of ['boot', 'results.json', 'junit.xml']) {
      const from = join(record.dir, name);
      if (existsSync(from)) renameSync(from, join(dir, name));
    }
    out.push({ index, dir, cases: v.cases, samples: benchSamples(v.cases), exitCode: v.exitCode, bootSeconds: v.boot?.seconds });
  }
  return out;
}
