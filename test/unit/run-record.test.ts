// A run's metadata.json is its timeline: every step says when it started,
// also the steps recorded after they finished (git imports, series
// applications), which never went through runStep.
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { RunRecord, type StepRecord } from '../../tools/lib/run-record.js';
import { usePrivateCache } from '../helpers/private-cache.js';

usePrivateCache('run-record');

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
