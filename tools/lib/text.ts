// Short texts for messages: the end of a log file, a long list cut short.
import { existsSync, readFileSync } from 'node:fs';

/** The last `lines` lines of `file`, or `missing` when there is no such file. */
export function fileTail(file: string, lines: number, missing: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n') : missing;
}

/** The first `count` items, comma-separated, saying how many more there are. */
export function someOf(items: string[], count: number): string {
  return items.slice(0, count).join(', ') + (items.length > count ? `, and ${items.length - count} more` : '');
}
