import { Command } from 'commander';
import { runKunit } from '../build/kunit.js';
import { ensureHost } from '../host/setup.js';
import { aboutRun } from '../results/about.js';
import { parseKtap } from '../results/ktap.js';
import { flattenCases, publishResults, resultFilesText } from '../results/report.js';
import { leaf } from './leaf.js';

export function kunitCommand(): Command {
  return leaf(new Command('kunit').description("run the kernel series' KUnit tests (arm64, under QEMU) and report"), 'kunit', async ({ record }) => {
    await ensureHost(record);
    const run = await runKunit(record);
    const cases = flattenCases(parseKtap(run.log, { name: 'kunit' }));
    const p = publishResults(record.dir, cases, { name: 'protm.kunit', about: aboutRun(record) });
    return {
      text: `${p.text}\n${resultFilesText(p)}`,
      summary: { counts: p.counts, results: p.results, junit: p.junit, buildDir: run.buildDir },
      exitCode: p.exitCode,
    };
  });
}
