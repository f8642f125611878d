// The private apt index is refreshed once for everyone waiting on it, and
// counts as current for a day after a refresh for the same sources, also
// when the archive answered "not modified" and apt rewrote no list. The
// refresh itself (apt-get update) is replaced by one that writes nothing,
// as such an answer does.
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { PrivateApt } from '../../tools/sources/apt.js';

const cache = mkdtempSync(join(tmpdir(), 'protm-apt-index-'));
const saved = { cache: process.env.PROTM_CACHE, mirror: process.env.PROTM_DEBIAN_MIRROR };
process.env.PROTM_CACHE = cache;
process.env.PROTM_DEBIAN_MIRROR = 'http://archive.invalid/debian';
afterAll(async () => {
  for (const [name, value] of [
    ['PROTM_CACHE', saved.cache],
    ['PROTM_DEBIAN_MIRROR', saved.mirror],
  ] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  await rm(cache, { recursive: true, force: true });
});

const refresh = vi.spyOn(PrivateApt.prototype as unknown as { refresh: () => Promise<void> }, 'refresh');
beforeEach(() => {
  refresh.mockReset();
  refresh.mockImplementation(() => new Promise((resolve) => setTimeout(resolve, 300)));
});

describe('the private apt index', () => {
  it('is refreshed once when two callers ask for a refresh at the same time', async () => {
    const apt = new PrivateApt(['sid']);
    await Promise.all([apt.update(true), apt.update(true)]);
    expect(refresh).toHaveBeenCalledTimes(1);
  });

  it('is refreshed again by a caller whose sources differ from those of the refresh it waited for', async () => {
    await Promise.all([new PrivateApt(['sid']).update(true), new PrivateApt(['sid', 'bookworm']).update(true)]);
    expect(refresh).toHaveBeenCalledTimes(2);
  });

  it('is current after a refresh that rewrote no list, for the same sources only', async () => {
    await new PrivateApt(['sid']).update(true);
    expect(refresh).toHaveBeenCalledTimes(1);
    await new PrivateApt(['sid']).update();
    expect(refresh).toHaveBeenCalledTimes(1);
    await new PrivateApt(['sid', 'bookworm']).update();
    expect(refresh).toHaveBeenCalledTimes(2);
  });
});
