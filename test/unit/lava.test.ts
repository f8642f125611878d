// The board-farm flow against a real LAVA server: Debian's lava-server,
// scheduler, worker and PostgreSQL started by `protm lava server start` on
// this machine. A qemu job for a target suite must give, case by case, what a
// direct `protm run` of the suite gives; a suite that fails must come back
// failed; a bad definition must be refused with LAVA's own message; the
// rock-5b job's artifacts must build and the job pass LAVA's validator and
// its dispatcher's.
//
// Time: installing LAVA into its build root is about 7 min the first time
// (cached after); a start about 30 s; each qemu job about 1 min on top of the
// chain's builds, which the other tests share.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobTestCases, submitJob, validateRemote } from '../../tools/lava/api.js';
import { followJob, localServer } from '../../tools/lava/flow.js';
import { jobText, qemuJob, stageFile } from '../../tools/lava/job.js';
import { comparable } from '../../tools/lava/results.js';
import { JobInvalidError, validateJob, validateOnDispatcher } from '../../tools/lava/validate.js';
import { RunRecord } from '../../tools/lib/run-record.js';
import type { Case } from '../../tools/results/report.js';
import { lastJson, protm } from '../helpers/cli.js';

interface ResultsDoc {
  status: string;
  counts: { total: number; passed: number; failed: number; skipped: number };
  cases: Case[];
}

const readResults = (path: unknown) => JSON.parse(readFileSync(path as string, 'utf8')) as ResultsDoc;

let startedHere = false;

beforeAll(async () => {
  const r = await protm(['lava', 'server', 'start', '--json']);
  const s = lastJson(r.stdout);
  expect(s.status, r.stderr.slice(-3000)).toBe('ok');
  expect(s.worker).toBe('Online');
  startedHere = s.alreadyRunning === false;
});

afterAll(async () => {
  if (startedHere) await protm(['lava', 'server', 'stop']);
});

/** A qemu job over small stand-in files: for the validator, which checks the definition, not the files. */
async function standInJob(qemuSha256?: string) {
  const dir = join(new RunRecord('unit-lava').dir, 'files');
  mkdirSync(dir, { recursive: true });
  const files = [];
  for (const label of ['bl1', 'bl2', 'bl31', 'bl32', 'bl32_extra1', 'bl32_extra2', 'kernel', 'mali_firmware']) {
    writeFileSync(join(dir, label), `${label}\n`);
    files.push(await stageFile(label, join(dir, label)));
  }
  return qemuJob({ suite: 'tee-heap', profile: 'dynamic', files, ramMiB: 1024, checkArgs: '--heap protected,secure-video', gpu: true, qemuSha256 }) as {
    actions: { test?: { monitors: { fixupdict: Record<string, string> }[] } }[];
  };
}

describe('protm lava (real local LAVA server)', () => {
  it("refuses a bad job definition with LAVA's validator message, locally and on the server", async () => {
    const record = new RunRecord('unit-lava');
    const job = await standInJob();
    await validateJob(record, jobText(job));
    job.actions[2]!.test!.monitors[0]!.fixupdict.ok = 'passed';
    const refused = validateJob(record, jobText(job));
    await expect(refused).rejects.toBeInstanceOf(JobInvalidError);
    await expect(refused).rejects.toThrow("not a valid value @ ['actions[2]', 'test', 'monitor', 'monitors', 0, 'fixupdict', 'ok']");
    // The server's own validation endpoint says the same. (Its submission
    // endpoint queues such a job anyway: the dispatcher fails it later.)
    expect(await validateRemote(localServer(), jobText(job))).toBe(
      "Job invalid: not a valid value @ ['actions[2]', 'test', 'monitor', 'monitors', 0, 'fixupdict', 'ok']",
    );
  });

  let submittedJob: string | undefined;

  it('runs the qemu job for tee-heap on LAVA, with the same per-case results as protm run', async () => {
    const local = await protm(['run', '--suite', 'tee-heap', '--json']);
    const localSummary = lastJson(local.stdout);
    expect(localSummary.status, local.stderr.slice(-3000)).toBe('ok');

    const lava = await protm(['lava', 'submit', '--device', 'qemu', '--suite', 'tee-heap', '--wait', '--json']);
    const summary = lastJson(lava.stdout);
    expect(summary.status, `${lava.stderr.slice(-3000)}\n${lava.stdout.slice(-3000)}`).toBe('ok');
    expect(summary.health).toBe('Complete');
    expect(existsSync(summary.junit as string)).toBe(true);
    expect(readFileSync(summary.junit as string, 'utf8')).toMatch(/<testsuites[^>]*tests="\d+"/);

    const fromLava = readResults(summary.results);
    const fromRun = readResults(localSummary.results);
    expect(fromLava.counts.passed).toBeGreaterThanOrEqual(10);
    expect(comparable(fromLava.cases)).toEqual(comparable(fromRun.cases));

    // The verdicts are LAVA's: its own test cases carry them.
    const lavaCases = await jobTestCases(localServer(), summary.job as number);
    expect(lavaCases.find((c) => c.suite === 'tee-heap' && c.name === 'alloc_1mib')?.result).toBe('pass');
    expect(lavaCases.find((c) => c.suite === 'xtest-quick' && c.name === 'xtest_quick')?.result).toBe('pass');
    submittedJob = join(dirname(summary.metadata as string), 'lava-job.yaml');
  });

  it('reports a job whose suite fails as failed, case by case', async () => {
    expect(submittedJob, 'needs the job of the previous test').toBeDefined();
    // The same job, asking the checks for a protected heap the kernel does not have.
    const text = readFileSync(submittedJob!, 'utf8').replace(/string=--heap protected,,secure-video/, 'string=--heap protected,,no-such-heap');
    expect(text).toContain('no-such-heap');
    const server = localServer();
    const id = await submitJob(server, text);
    const job = await followJob(server, id, 1800);
    expect(job.health).toBe('Complete');

    const r = await protm(['lava', 'results', String(id), '--json']);
    expect(r.exitCode).toBe(1);
    const summary = lastJson(r.stdout);
    expect(summary.status).toBe('failed');
    const doc = readResults(summary.results);
    expect(doc.status).toBe('failed');
    const heap = doc.cases.find((c) => c.name === 'protected_heap_exists');
    expect(heap?.status).toBe('fail');
    expect(doc.cases.find((c) => c.name === 'alloc_1mib')?.status).toBe('skip');
  });

  it("reports a job LAVA ends Incomplete as a failure, with LAVA's reason", async () => {
    // The worker's QEMU wrapper refuses a QEMU build other than the job's.
    const job = await standInJob('0'.repeat(64));
    const server = localServer();
    const id = await submitJob(server, jobText(job));
    expect((await followJob(server, id, 600)).health).toBe('Incomplete');
    const r = await protm(['lava', 'results', String(id), '--json']);
    expect(r.exitCode).toBe(1);
    const summary = lastJson(r.stdout);
    expect(summary.health).toBe('Incomplete');
    expect(String(summary.reason)).toMatch(/not the build this job was made for/);
    const doc = readResults(summary.results);
    expect(doc.cases.find((c) => c.suite[0] === 'lava')?.reason).toMatch(/not the build this job was made for/);
  });

  it("builds the rock-5b job's artifacts (the QEMU target's kernel Image, the board's DTB), passes both LAVA validators, and refuses a broken job", async () => {
    // `protm lava job --device rock-5b` takes the QEMU target's kernel (one
    // configuration serves both), builds the upstream DTB beside it, stages
    // both, and validates the job with LAVA's schema and its dispatcher
    // (stock rk3588-rock-5b device type). No board here: the files are
    // checked for what a board's U-Boot and the target's init need.
    type Files = { label: string; path: string; sha256: string; url: string }[];
    const r = await protm(['lava', 'job', '--device', 'rock-5b', '--suite', 'gpu-basic', '--json']);
    const s = lastJson(r.stdout);
    expect(s.status, r.stderr.slice(-3000)).toBe('ok');
    const files = s.files as Files;
    const kernel = files.find((f) => f.label === 'kernel');
    const dtb = files.find((f) => f.label === 'dtb');
    if (!kernel || !dtb) throw new Error(`job files: ${JSON.stringify(files)}`);
    // The board boots the very Image the QEMU target runs for the same suite.
    const q = await protm(['lava', 'job', '--device', 'qemu', '--suite', 'gpu-basic', '--json']);
    const qs = lastJson(q.stdout);
    expect(qs.status, q.stderr.slice(-3000)).toBe('ok');
    expect((qs.files as Files).find((f) => f.label === 'kernel')?.sha256).toBe(kernel.sha256);
    const image = readFileSync(kernel.path);
    // arm64 Image header: "ARMd" magic at 0x38, what U-Boot's booti checks.
    expect(image.subarray(0x38, 0x3c).toString('latin1')).toBe('ARM\x64');
    // The series is in (Panthor's protected-mode scheduler) and so is the target's userspace.
    expect(image.includes('CS_PROTM_PENDING denied')).toBe(true);
    expect(image.includes('protm-gpu-basic')).toBe(true);
    const blob = readFileSync(dtb.path);
    expect(blob.readUInt32BE(0)).toBe(0xd00dfeed);
    expect(blob.includes('radxa,rock-5b')).toBe(true);
    expect(blob.includes('rockchip,rk3588-mali')).toBe(true);
    for (const f of [kernel, dtb]) expect(createHash('sha256').update(readFileSync(f.path)).digest('hex')).toBe(f.sha256);
    const text = readFileSync(s.job as string, 'utf8');
    expect(text).toContain('protm_suite=gpu-basic');
    expect(text).toContain(kernel.sha256);

    const record = new RunRecord('unit-lava');
    const job = JSON.parse(text) as { actions: { boot?: { commands: string } }[] };
    job.actions[1]!.boot!.commands = 'no-such-command-set';
    await expect(validateOnDispatcher(record, jobText(job), record.dir)).rejects.toThrow("Command 'no-such-command-set' not found in supported methods");
  });
});
