import { Command, Option } from 'commander';
import { pruneArtifacts, pruneLeftovers, pruneRuns, type Removed } from '../lib/gc.js';
import { leaf } from './leaf.js';

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

export function gcCommand(): Command {
  return leaf(
    new Command('gc')
      .description('free cache space: old run records, build products unused for a while, leftovers of interrupted runs')
      .addOption(new Option('--keep-runs <n>', 'run records to keep (newest first)').default('20').argParser((v) => Number.parseInt(v, 10)))
      .addOption(new Option('--unused-days <n>', 'remove build products not used for this many days').default('14').argParser((v) => Number.parseInt(v, 10))),
    'gc',
    async ({ record }, opts: { keepRuns: number; unusedDays: number }) => {
      const removed: Removed[] = [...pruneRuns(opts.keepRuns, record.dir), ...pruneArtifacts(opts.unusedDays), ...pruneLeftovers()];
      const bytes = removed.reduce((n, r) => n + r.bytes, 0);
      const text = `${removed.map((r) => `removed ${r.path} (${mib(r.bytes)})`).join('\n')}${removed.length ? '\n' : ''}freed ${mib(bytes)} in ${removed.length} entries`;
      return { text, summary: { removed, bytes } };
    },
  );
}
