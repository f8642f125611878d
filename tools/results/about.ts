// What a run tested, for the top of its report: the pinned versions and,
// for each patched component it built, the work tree's commit and whether
// it held exactly the checkout's series. metadata.json has all of it; the
// report shows it to someone who opens one page.
import type { RunRecord } from '../lib/run-record.js';
import type { TreeDescription } from '../patches/worktree.js';

export type AboutRows = Array<[string, string]>;

export function aboutRun(record: RunRecord): AboutRows {
  const rows: AboutRows = [];
  for (const [key, value] of Object.entries(record.facts)) {
    if (!key.startsWith('tree:')) continue;
    const tree = value as TreeDescription;
    const what = tree.exactSeries ? 'exactly the series in the checkout' : `the series with other edits (edits hash ${tree.editsHash.slice(0, 12)})`;
    rows.push([`${key.slice('tree:'.length)} tree`, `${tree.head.slice(0, 12)}: ${what}`]);
  }
  const pins = record.facts.pins as Record<string, { version?: string }> | undefined;
  for (const [name, pin] of Object.entries(pins ?? {})) if (pin.version) rows.push([name, pin.version]);
  return rows;
}
