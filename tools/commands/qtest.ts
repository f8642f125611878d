import { Command } from 'commander';
import { runQtests } from '../build/qemu.js';
import { ensureHost } from '../host/setup.js';
import { aboutRun } from '../results/about.js';
import { numberTapResults, parseKtap } from '../results/ktap.js';
import { flattenCases, publishResults, resultFilesText } from '../results/report.js';
import { leaf } from './leaf.js';

export function qtestCommand(): Command {
  return leaf(new Command('qtest').description("run the QEMU series' qtests (the Mali CSF model) and report"), 'qtest', async ({ record }) => {
    await ensureHost(record);
    const cases = flattenCases(parseKtap(numberTapResults(await runQtests(record)), { name: 'qtest' }));
    const p = publishResults(record.dir, cases, { name: 'protm.qtest', about: aboutRun(record) });
    return {
      text: `${p.text}\n${resultFilesText(p)}`,
      summary: { counts: p.counts, results: p.results, junit: p.junit },
      exitCode: p.exitCode,
    };
  });
}
