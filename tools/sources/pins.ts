// The pin file (images/pins.json): each upstream input as Debian package
// versions plus the sha256 of every file that download yields.
import { readFileSync, writeFileSync } from 'node:fs';
import { ProtmError } from '../lib/errors.js';
import { repoPaths } from '../lib/paths.js';

export interface PinnedPackage {
  package: string;
  version: string;
  /** Binary packages only: architecture to download. */
  arch?: string;
  type: 'binary' | 'source';
}

export type UnpackRule =
  /** A binary .deb that carries a source tarball (linux-source-*). */
  | { kind: 'deb-tarball'; member: string }
  /** A Debian source package: dpkg-source -x, Debian patches applied. */
  | { kind: 'dsc' }
  /** Binary .debs extracted into one root. */
  | { kind: 'debs' };

export interface Pin {
  name: string;
  purpose: string;
  suite: string;
  packages: PinnedPackage[];
  files: Record<string, string>;
  unpack: UnpackRule;
}

interface PinFile {
  about?: string;
  pins: Pin[];
}

/** The pin file in use: $PROTM_PINS (tests) or images/pins.json. */
export function pinFilePath(): string {
  return process.env.PROTM_PINS ?? repoPaths.pins();
}

export function loadPins(path = pinFilePath()): Pin[] {
  let parsed: PinFile;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8')) as PinFile;
  } catch (err) {
    throw new ProtmError(`cannot read pin file ${path}: ${(err as Error).message}`);
  }
  if (!Array.isArray(parsed.pins)) throw new ProtmError(`pin file ${path}: "pins" must be an array`);
  for (const [i, pin] of parsed.pins.entries()) validatePin(pin, `${path}: pin #${i + 1}`);
  return parsed.pins;
}

function validatePin(pin: Pin, where: string): void {
  const fail = (msg: string) => {
    throw new ProtmError(`${where} (${pin.name ?? 'unnamed'}): ${msg}`);
  };
  if (!/^[a-z0-9][a-z0-9-]*$/.test(pin.name ?? '')) fail('name must be lower-case letters, digits and dashes');
  if (!pin.suite) fail('suite is missing');
  if (!Array.isArray(pin.packages) || pin.packages.length === 0) fail('packages must list at least one package');
  for (const p of pin.packages) {
    if (!p.package || !p.version) fail('every package needs "package" and "version"');
    if (p.type !== 'binary' && p.type !== 'source') fail(`${p.package}: type must be "binary" or "source"`);
    if (p.type === 'binary' && !p.arch) fail(`${p.package}: binary packages need "arch"`);
  }
  const files = Object.entries(pin.files ?? {});
  if (files.length === 0) fail('files must list every downloaded file with its sha256');
  for (const [file, hash] of files) {
    if (!/^[0-9a-f]{64}$/.test(hash)) fail(`${file}: sha256 must be 64 lower-case hex digits`);
  }
  if (!['deb-tarball', 'dsc', 'debs'].includes(pin.unpack?.kind)) fail('unpack.kind must be deb-tarball, dsc or debs');
}

export function findPin(pins: Pin[], name: string): Pin {
  const pin = pins.find((p) => p.name === name);
  if (!pin) throw new ProtmError(`no pin named "${name}"`, `known pins: ${pins.map((p) => p.name).join(', ')}`);
  return pin;
}

/** The version a pin is known by (its first package's). */
export function pinVersion(pin: Pin): string {
  return pin.packages[0]!.version;
}

export function savePins(pins: Pin[], path = pinFilePath()): void {
  const current = JSON.parse(readFileSync(path, 'utf8')) as PinFile;
  writeFileSync(path, `${JSON.stringify({ ...current, pins }, null, 2)}\n`);
}
