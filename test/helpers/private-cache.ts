// A test file's own protm cache: PROTM_CACHE points at a new directory from
// the moment this is called (at the file's top level, before any run record
// is made) until the file's tests end, when the directory goes.
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

export function usePrivateCache(name: string): string {
  const cache = mkdtempSync(join(tmpdir(), `protm-${name}-`));
  const saved = process.env.PROTM_CACHE;
  process.env.PROTM_CACHE = cache;
  afterAll(async () => {
    if (saved === undefined) delete process.env.PROTM_CACHE;
    else process.env.PROTM_CACHE = saved;
    await rm(cache, { recursive: true, force: true });
  });
  return cache;
}
