import { Command } from 'commander';
import { runKunit } from '../build/kunit.js';
import { ensureHost } from '../host/setup.js';
import { leaf } from '../lib/command.js';
import { parseKtap } from '../results/ktap.js';
import { countCases, flattenCases, renderText, resultsExitCode, writeJUnit, writeResultsJson } from '../results/report.js';
import { join } from 'node:path';

export function kunitCommand(): Command {
  return leaf(new Command('kunit').description("run the kernel series' KUnit tests (arm64, under QEMU) and report"), 'kunit', async ({ record }) => {
    await ensureHost(record);
    const run = await runKunit(record);
    const cases = flattenCases(parseKtap(run.log, { name: 'kunit' }));
    const results = join(record.dir, 'results.json');
    const junit = join(record.dir, 'junit.xml');
    writeResultsJson(results, cases);
    writeJUnit(junit, cases, { name: 'protm.kunit' });
    return { text: `${renderText(cases)}\nresults: ${results}\njunit: ${junit}`, summary: { counts: countCases(cases), results, junit, buildDir: run.buildDir }, exitCode: resultsExitCode(cases) };
  });
}
