// Fetch = download through the private apt, check every file's sha256 against
// the pin, and unpack once into the cache. Work happens in temporary
// directories that are renamed into place only when complete, so a bad or
// interrupted download is never used and never left half-unpacked.
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProtmError } from '../lib/errors.js';
import { sha256, sha256File } from '../lib/hash.js';
import { withLock } from '../lib/lock.js';
import { cachePaths, sharedCacheDir } from '../lib/paths.js';
import { runStep } from '../lib/process.js';
import type { RunRecord } from '../lib/run-record.js';
import { removeStaleTemps, tempPath } from '../lib/temp.js';
import { PrivateApt } from './apt.js';
import { loadPins, type Pin, pinVersion } from './pins.js';

const MARKER = '.protm-pin.json';

function safeVersion(version: string): string {
  return version.replace(/[^A-Za-z0-9.+~_-]/g, '_');
}

export function downloadDir(pin: Pin): string {
  return join(cachePaths.downloads(), pin.name, safeVersion(pinVersion(pin)));
}

export function sourceDir(pin: Pin): string {
  return join(cachePaths.sources(), `${pin.name}-${safeVersion(pinVersion(pin))}`);
}

/** Identity of a pin's content: changes whenever any pinned file changes. */
export function pinHash(pin: Pin): string {
  return sha256(JSON.stringify(Object.entries(pin.files).sort()));
}

/** Compare a directory's files with the pin. Returns problems, empty when it matches. */
export async function checkFiles(pin: Pin, dir: string): Promise<string[]> {
  const problems: string[] = [];
  const present = existsSync(dir) ? readdirSync(dir).filter((f) => !f.startsWith('.')) : [];
  for (const [file, expected] of Object.entries(pin.files)) {
    if (!present.includes(file)) {
      problems.push(`${file}: missing`);
      continue;
    }
    const actual = await sha256File(join(dir, file));
    if (actual !== expected) problems.push(`${file}: sha256 ${actual}, pin says ${expected}`);
  }
  for (const file of present) if (!(file in pin.files)) problems.push(`${file}: downloaded but not in the pin`);
  return problems;
}

/** Copy `pin`'s files from the shared cache when it has them, verified; false when it has not. */
async function copyShared(pin: Pin, into: string): Promise<boolean> {
  const shared = sharedCacheDir();
  if (!shared) return false;
  const from = join(shared, 'downloads', pin.name, safeVersion(pinVersion(pin)));
  if ((await checkFiles(pin, from)).length > 0) return false;
  for (const file of Object.keys(pin.files)) copyFileSync(join(from, file), join(into, file));
  return true;
}

async function download(pin: Pin, apt: PrivateApt): Promise<string> {
  const dir = downloadDir(pin);
  if (existsSync(dir) && (await checkFiles(pin, dir)).length === 0) return dir;
  rmSync(dir, { recursive: true, force: true });
  removeStaleTemps(dir);
  const tmp = tempPath(dir);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    if (!(await copyShared(pin, tmp))) await apt.download(pin, tmp);
    const problems = await checkFiles(pin, tmp);
    if (problems.length > 0) {
      throw new ProtmError(
        `pin ${pin.name} ${pinVersion(pin)}: downloaded files do not match the pin; nothing was kept:\n  ${problems.join('\n  ')}`,
        'if the new files are intended, run `protm sources update NAME VERSION`',
      );
    }
    renameSync(tmp, dir);
    return dir;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function unpack(pin: Pin, from: string, record: RunRecord): Promise<string> {
  const dest = sourceDir(pin);
  const marker = join(dest, MARKER);
  if (existsSync(marker) && JSON.parse(readFileSync(marker, 'utf8')).pinHash === pinHash(pin)) return dest;
  rmSync(dest, { recursive: true, force: true });
  removeStaleTemps(dest);
  const tmp = tempPath(dest);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const stage = `unpack ${pin.name} ${pinVersion(pin)}`;
  try {
    const files = Object.keys(pin.files);
    const rule = pin.unpack;
    if (rule.kind === 'dsc') {
      const dsc = files.find((f) => f.endsWith('.dsc'));
      if (!dsc) throw new ProtmError(`pin ${pin.name}: unpack kind "dsc" but no .dsc file is pinned`);
      rmSync(tmp, { recursive: true, force: true });
      await runStep(record, stage, 'dpkg-source', ['--no-check', '--no-copy', '-x', join(from, dsc), tmp]);
    } else if (rule.kind === 'debs') {
      for (const deb of files.filter((f) => f.endsWith('.deb'))) await runStep(record, `${stage} (${deb})`, 'dpkg-deb', ['-x', join(from, deb), tmp]);
    } else {
      const deb = files.find((f) => f.endsWith('.deb'));
      if (!deb) throw new ProtmError(`pin ${pin.name}: unpack kind "deb-tarball" but no .deb file is pinned`);
      const staging = `${tmp}.deb`;
      rmSync(staging, { recursive: true, force: true });
      try {
        await runStep(record, `${stage} (package)`, 'dpkg-deb', ['-x', join(from, deb), staging]);
        const tarball = join(staging, rule.member);
        if (!existsSync(tarball)) throw new ProtmError(`pin ${pin.name}: ${deb} has no ${rule.member}`);
        await runStep(record, `${stage} (tree)`, 'tar', ['-xf', tarball, '-C', tmp, '--strip-components=1']);
      } finally {
        rmSync(staging, { recursive: true, force: true });
      }
    }
    writeFileSync(join(tmp, MARKER), `${JSON.stringify({ pin: pin.name, version: pinVersion(pin), pinHash: pinHash(pin) })}\n`);
    mkdirSync(cachePaths.sources(), { recursive: true });
    renameSync(tmp, dest);
    return dest;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Make `pin` available, verified and unpacked; returns the unpacked tree. */
export async function fetchPin(pin: Pin, record: RunRecord, apt = new PrivateApt(loadPins().map((p) => p.suite))): Promise<string> {
  const dir = await withLock(`pin-${pin.name}`, async () => unpack(pin, await download(pin, apt), record));
  record.set(`source:${pin.name}`, { version: pinVersion(pin), pinHash: pinHash(pin), dir });
  return dir;
}

/** Re-check what is in the cache for `pin`, without downloading. */
export async function verifyPin(pin: Pin): Promise<string[]> {
  const problems = (await checkFiles(pin, downloadDir(pin))).map((p) => `download ${p}`);
  const marker = join(sourceDir(pin), MARKER);
  if (!existsSync(marker)) problems.push('not unpacked (run `protm sources fetch`)');
  else if (JSON.parse(readFileSync(marker, 'utf8')).pinHash !== pinHash(pin)) problems.push('unpacked tree is from other files than the pin');
  return problems;
}
