import { Command } from 'commander';
import { ensureHost } from '../host/setup.js';
import { checkSeries, renderVerdicts, verdictCases } from '../patches/check.js';
import { asComponent } from '../patches/components.js';
import { exportSeries } from '../patches/export.js';
import { readSeries } from '../patches/series.js';
import { applySeries, ensureBase, markApplied } from '../patches/worktree.js';
import { publishResults, resultFilesText } from '../results/report.js';
import { leaf } from './leaf.js';

export function patchesCommand(): Command {
  const cmd = new Command('patches').description('patch series (kernel, mesa, qemu): apply, export, check');

  leaf(
    cmd
      .command('apply')
      .description('make the work tree hold the pinned source plus one commit per patch')
      .argument('<component>', 'kernel, mesa or qemu')
      .option('--force', 'discard uncommitted edits and unexported commits in the work tree'),
    'patches apply',
    async ({ record }, component: string, opts: { force?: boolean }) => {
      const wt = await applySeries(asComponent(component), record, { force: opts.force });
      const text = `${wt.changed ? 'applied' : 'already applied'}: ${wt.series.patches.length} patches\nwork tree: ${wt.src}`;
      return { text, summary: { component, workTree: wt.src, patches: wt.series.patches, commits: wt.commits, changed: wt.changed } };
    },
  );

  leaf(
    cmd
      .command('export')
      .description('write the work tree commits back as format-patch files, series and cover letter')
      .argument('<component>', 'kernel, mesa or qemu'),
    'patches export',
    async ({ record }, component: string) => {
      const c = asComponent(component);
      const src = await ensureBase(c, record);
      const result = await exportSeries(c, src);
      // The tree now is the series: later builds must not re-apply over it.
      await markApplied(src, readSeries(result.dir).hash);
      const text = `${result.patches.length} patches in ${result.dir}; ${result.changed.length === 0 ? 'no file changed' : `changed: ${result.changed.join(', ')}`}`;
      return { text, summary: { component, dir: result.dir, patches: result.patches, changed: result.changed } };
    },
  );

  leaf(
    cmd
      .command('check')
      .description(
        'per patch: style (kernel: checkpatch --strict; qemu: its own checkpatch; mesa: clang-format), incremental build, compiler warnings in touched files (kernel: W=1)',
      )
      .argument('<component>', 'kernel, mesa or qemu')
      .option(
        '--from <patch>',
        'check from this patch on (its number in the series or its file name): the earlier ones are applied and built once, not checked',
      ),
    'patches check',
    async ({ record }, component: string, opts: { from?: string }) => {
      await ensureHost(record);
      const check = await checkSeries(asComponent(component), record, { from: opts.from });
      const p = publishResults(record.dir, verdictCases(check), { name: `protm.patches-check.${check.component}` });
      return {
        text: `${renderVerdicts(check)}\n${resultFilesText(p)}`,
        summary: { component, patches: check.verdicts, failed: p.counts.failed, counts: p.counts, results: p.results, junit: p.junit },
        exitCode: p.exitCode,
      };
    },
  );
  return cmd;
}
