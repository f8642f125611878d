// `protm sources update NAME VERSION`: download the new version into a scratch
// directory, hash what arrived, and only then rewrite the pin.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProtmError } from '../lib/errors.js';
import { sha256File } from '../lib/hash.js';
import { PrivateApt } from './apt.js';
import { findPin, loadPins, type Pin, savePins } from './pins.js';

export async function updatePin(name: string, version: string): Promise<Pin> {
  const pins = loadPins();
  const old = findPin(pins, name);
  const candidate: Pin = { ...old, packages: old.packages.map((p) => ({ ...p, version })), files: {} };
  const scratch = mkdtempSync(join(tmpdir(), `protm-update-${name}-`));
  try {
    await new PrivateApt(pins.map((p) => p.suite)).download(candidate, scratch);
    const files = readdirSync(scratch).sort();
    if (files.length === 0) throw new ProtmError(`pin ${name}: ${version} downloaded no files`);
    for (const f of files) candidate.files[f] = await sha256File(join(scratch, f));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  savePins(pins.map((p) => (p.name === name ? candidate : p)));
  return candidate;
}
