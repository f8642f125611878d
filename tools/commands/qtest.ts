import { join } from 'node:path';
import { Command } from 'commander';
import { runQtests } from '../build/qemu.js';
import { ensureHost } from '../host/setup.js';
import { leaf } from '../lib/command.js';
import { parseKtap } from '../results/ktap.js';
import { countCases, flattenCases, renderText, resultsExitCode, writeJUnit, writeResultsJson } from '../results/report.js';

export function qtestCommand(): Command {
  return leaf(new Command('qtest').description("run the QEMU series' qtests (the Mali CSF model) and report"), 'qtest', async ({ record }) => {
    await ensureHost(record);
    const cases = flattenCases(parseKtap(await runQtests(record), { name: 'qtest' }));
    const results = join(record.dir, 'results.json');
    const junit = join(record.dir, 'junit.xml');
    writeResultsJson(results, cases);
    writeJUnit(junit, cases, { name: 'protm.qtest' });
    return { text: `${renderText(cases)}\nresults: ${results}\njunit: ${junit}`, summary: { counts: countCases(cases), results, junit }, exitCode: resultsExitCode(cases) };
  });
}
