// Pins against the real Debian archive: a small arm64 package (libteec2,
// ~9 KB) keeps these fast.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheDir } from '../../tools/lib/paths.js';
import { RunRecord } from '../../tools/lib/run-record.js';
import { downloadDir, fetchPin, sourceDir, verifyPin } from '../../tools/sources/fetch.js';
import { findPin, loadPins, type Pin } from '../../tools/sources/pins.js';
import { updatePin } from '../../tools/sources/update.js';

const real = findPin(loadPins(), 'optee-client');
const small: Pin = {
  ...real,
  name: 'libteec',
  packages: real.packages.filter((p) => p.package === 'libteec2'),
  files: Object.fromEntries(Object.entries(real.files).filter(([f]) => f.startsWith('libteec2'))),
};

let scratch: string;
let realCache: string;
let saved: Record<string, string | undefined>;

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'protm-pins-'));
  saved = { PROTM_CACHE: process.env.PROTM_CACHE, PROTM_PINS: process.env.PROTM_PINS };
  realCache = cacheDir();
  process.env.PROTM_CACHE = join(scratch, 'cache');
  process.env.PROTM_PINS = join(scratch, 'pins.json');
  writeFileSync(process.env.PROTM_PINS, JSON.stringify({ pins: [small] }));
  // Start from the real cache's package index when there is one: it is only
  // an index (the files are still downloaded and checked), and it saves a
  // full index download per test run.
  const realLists = join(realCache, 'apt', 'lists');
  if (existsSync(realLists)) cpSync(realLists, join(process.env.PROTM_CACHE, 'apt', 'lists'), { recursive: true, preserveTimestamps: true });
});

afterAll(() => {
  for (const [k, v] of Object.entries(saved))
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  rmSync(scratch, { recursive: true, force: true });
});

describe('pinned sources', () => {
  it('rejects a download whose sha256 differs from the pin and unpacks nothing', async () => {
    const file = Object.keys(small.files)[0]!;
    const corrupted: Pin = { ...small, files: { [file]: '0'.repeat(64) } };
    await expect(fetchPin(corrupted, new RunRecord('test'))).rejects.toThrow(
      /pin libteec .*do not match the pin; nothing was kept[\s\S]*libteec2_4\.11\.0-1_arm64\.deb: sha256 [0-9a-f]{64}, pin says 0{64}/,
    );
    expect(existsSync(downloadDir(corrupted))).toBe(false);
    expect(existsSync(sourceDir(corrupted))).toBe(false);
  });

  it('fetches, verifies and unpacks a correct pin', async () => {
    const dir = await fetchPin(small, new RunRecord('test'));
    expect(existsSync(join(dir, 'usr/lib/aarch64-linux-gnu/libteec.so.2.0.0'))).toBe(true);
    expect(await verifyPin(small)).toEqual([]);
  });

  it('verify notices a cached file that was altered, and fetch replaces it', async () => {
    await fetchPin(small, new RunRecord('test'));
    const file = join(downloadDir(small), Object.keys(small.files)[0]!);
    writeFileSync(file, Buffer.concat([readFileSync(file), Buffer.from('tampered')]));
    expect((await verifyPin(small)).join('\n')).toMatch(/sha256 [0-9a-f]{64}, pin says/);
    await fetchPin(small, new RunRecord('test'));
    expect(await verifyPin(small)).toEqual([]);
  });

  it('names the pin when the pinned version is not in the archive', async () => {
    const missing: Pin = { ...small, packages: [{ ...small.packages[0]!, version: '0.0.0-protm-nonexistent' }] };
    await expect(fetchPin(missing, new RunRecord('test'))).rejects.toThrow(
      /pin libteec: libteec2 0\.0\.0-protm-nonexistent \(arm64\) is not in the archive index/,
    );
    expect(existsSync(sourceDir(missing))).toBe(false);
  });

  it('update re-pins after hashing what the archive serves, and refuses a version it lacks', async () => {
    const version = small.packages[0]!.version;
    // Start from a stale pin: another version, a hash that matches nothing.
    const stale: Pin = { ...small, packages: [{ ...small.packages[0]!, version: '4.5.0-1' }], files: { 'placeholder.deb': '0'.repeat(64) } };
    writeFileSync(process.env.PROTM_PINS!, JSON.stringify({ pins: [stale] }));
    const updated = await updatePin('libteec', version);
    expect(updated.files).toEqual(small.files);
    expect(loadPins()[0]!.files).toEqual(small.files);
    await expect(updatePin('libteec', '0.0.0-protm-nonexistent')).rejects.toThrow(/not in the archive index/);
    expect(loadPins()[0]!.packages[0]!.version).toBe(version);
  });

  it('rejects a malformed pin file with the pin and field named', () => {
    const bad = join(scratch, 'bad.json');
    writeFileSync(bad, JSON.stringify({ pins: [{ ...small, files: { 'x.deb': 'not-a-hash' } }] }));
    expect(() => loadPins(bad)).toThrow(/pin #1 \(libteec\): x\.deb: sha256 must be 64 lower-case hex digits/);
  });
});
