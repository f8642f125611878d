import { Command } from 'commander';
import { requireFreeSpace } from '../lib/disk.js';
import { ProtmError } from '../lib/errors.js';
import { PrivateApt } from '../sources/apt.js';
import { fetchPin, verifyPin } from '../sources/fetch.js';
import { findPin, loadPins, pinVersion } from '../sources/pins.js';
import { updatePin } from '../sources/update.js';
import { leaf } from './leaf.js';

export function sourcesCommand(): Command {
  const cmd = new Command('sources').description('pinned upstream inputs: fetch, verify, update');

  leaf(
    cmd.command('fetch').description('download, check sha256 and unpack pinned sources (all, or the named ones)').argument('[names...]', 'pin names'),
    'sources fetch',
    async ({ record }, names: string[]) => {
      requireFreeSpace();
      const pins = loadPins();
      const chosen = names.length > 0 ? names.map((n) => findPin(pins, n)) : pins;
      const apt = new PrivateApt(pins.map((p) => p.suite));
      const fetched: Record<string, string> = {};
      for (const pin of chosen) fetched[pin.name] = await fetchPin(pin, record, apt);
      const text = chosen.map((p) => `${p.name.padEnd(14)} ${pinVersion(p).padEnd(22)} ${fetched[p.name]}`).join('\n');
      return { text, summary: { sources: fetched } };
    },
  );

  leaf(cmd.command('verify').description('re-check cached downloads and unpacked trees against the pins'), 'sources verify', async () => {
    const pins = loadPins();
    const results: Record<string, string[]> = {};
    for (const pin of pins) results[pin.name] = await verifyPin(pin);
    const bad = Object.entries(results).filter(([, problems]) => problems.length > 0);
    const text = pins.map((p) => `${p.name.padEnd(14)} ${results[p.name]!.length === 0 ? 'ok' : `BAD: ${results[p.name]!.join('; ')}`}`).join('\n');
    return { text, summary: { problems: results }, exitCode: bad.length > 0 ? 1 : 0 };
  });

  leaf(
    cmd.command('update').description('re-pin NAME to VERSION after downloading and hashing its files').argument('<name>').argument('<version>'),
    'sources update',
    async (_ctx, name: string, version: string) => {
      if (!version.trim()) throw new ProtmError('VERSION must not be empty');
      const pin = await updatePin(name, version);
      return {
        text: `pinned ${name} to ${version}:\n${Object.entries(pin.files)
          .map(([f, h]) => `  ${h}  ${f}`)
          .join('\n')}`,
        summary: { pin },
      };
    },
  );
  return cmd;
}
