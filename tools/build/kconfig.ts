// Kconfig fragments: parse them, and check that a merged .config holds every
// option as the fragments asked (merge_config.sh only warns when Kconfig drops
// an option whose dependencies are unmet; we fail instead).
import { readFileSync } from 'node:fs';

/** Option name → wanted value; "n" stands for "is not set". */
export type ConfigValues = Map<string, string>;

export function parseConfig(text: string): ConfigValues {
  const values: ConfigValues = new Map();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const unset = /^# (CONFIG_[A-Za-z0-9_]+) is not set$/.exec(line);
    if (unset) {
      values.set(unset[1]!, 'n');
      continue;
    }
    const set = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/.exec(line);
    if (set) values.set(set[1]!, set[2]!);
  }
  return values;
}

export interface ConfigMismatch {
  option: string;
  wanted: string;
  got: string;
  fragment: string;
}

/** Options of `fragments` (in merge order; later wins) that `.config` does not hold. */
export function findDropped(fragments: { name: string; text: string }[], dotConfig: string): ConfigMismatch[] {
  const wanted = new Map<string, { value: string; fragment: string }>();
  for (const f of fragments) for (const [k, v] of parseConfig(f.text)) wanted.set(k, { value: v, fragment: f.name });
  const actual = parseConfig(dotConfig);
  const mismatches: ConfigMismatch[] = [];
  for (const [option, { value, fragment }] of wanted) {
    const got = actual.get(option) ?? 'n';
    if (got !== value) mismatches.push({ option, wanted: value, got: got === 'n' ? 'not set' : got, fragment });
  }
  return mismatches;
}

export function readFragment(path: string): { name: string; text: string } {
  return { name: path.split('/').pop() ?? path, text: readFileSync(path, 'utf8') };
}
