// A run's metadata.json is its timeline: every step says when it started,
// also the steps recorded after they finished (git imports, series
// applications), which never went through runStep.
import { mkdtempSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { RunRecord, type StepRecord } from '../../tools/lib/run-record.js';

const cache = mkdtempSync(join(tmpdir(), 'protm-run-record-'));
const saved = process.env.PROTM_CACHE;
process.env.PROTM_CACHE = cache;
afterAll(async () => {
  if (saved === undefined) delete process.env.PROTM_CACHE;
  else process.env.PROTM_CACHE = saved;
  await rm(cache, { recursive: true, force: true });
});

describe('run records', () => {
  it('give a step recorded when it finished the time it started, and keep a start that was given', async () => {
    const record = new RunRecord('test timeline');
    await sleep(1500);
    record.addStep({ name: 'imported', status: 'ok', seconds: 1 });
    record.addStep({ name: 'timed', status: 'ok', seconds: 1, startedAt: 0.2 });
    const meta = JSON.parse(readFileSync(record.write('ok'), 'utf8')) as { steps: StepRecord[] };
    const imported = meta.steps.find((s) => s.name === 'imported');
    expect(imported?.startedAt).toBeGreaterThanOrEqual(0.4);
    expect(imported?.startedAt).toBeLessThanOrEqual(0.9);
    expect(meta.steps.find((s) => s.name === 'timed')?.startedAt).toBe(0.2);
  });
});
