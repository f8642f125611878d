// The farm flow end to end: build the chain, write and validate the job,
// submit it, follow it, and report its results like a local run.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ProtmError } from '../lib/errors.js';
import { sha256File } from '../lib/hash.js';
import { progress } from '../lib/progress.js';
import type { RunRecord } from '../lib/run-record.js';
import { type Published, publishResults } from '../results/report.js';
import { prepareTarget } from '../run/target-run.js';
import { failureReason, getJob, jobLog, jobTestCases, type LavaJob, type LavaServer, submitJob, targetConsole } from './api.js';
import { type JobDefinition, type JobFile, jobText, monitorNames, qemuJob, stageFile, suiteChecks } from './job.js';
import { casesFromLava, consoleCases, jobCase } from './results.js';
import { buildRock5bKernel, rock5bJob } from './rock5b.js';
import { lavaUrl, linkWorkerQemu, readSecrets } from './server.js';
import { validateJob, validateOnDispatcher } from './validate.js';

export interface BuiltJob {
  job: JobDefinition;
  text: string;
  file: string;
  files: JobFile[];
  /** protm's QEMU build (the wrapper a worker links), for the qemu device. */
  qemu?: string;
}

export interface JobOptions {
  suite: string;
  profile: string;
  /** Where a farm serves the staged files; default file:// on this machine. */
  artifactUrl?: string;
}

/** Build the chain for the QEMU target and write its job (validated by LAVA's validator) into the run record. */
export async function buildQemuJob(record: RunRecord, opts: JobOptions): Promise<BuiltJob> {
  suiteChecks(opts.suite);
  const prepared = await prepareTarget(record, { profile: opts.profile, suite: opts.suite, debug: false, gpu: true });
  const f = prepared.secure.files;
  const paths: [string, string][] = [
    ['bl1', f.bl1],
    ['bl2', f.bl2],
    ['bl31', f.bl31],
    ['bl32', f.bl32],
    ['bl32_extra1', f.bl32Extra1],
    ['bl32_extra2', f.bl32Extra2],
    ['kernel', prepared.image],
    ...(prepared.gpuFirmware ? [['mali_firmware', prepared.gpuFirmware] as [string, string]] : []),
  ];
  const files: JobFile[] = [];
  for (const [label, path] of paths) files.push(await stageFile(label, path, opts.artifactUrl));
  const real = prepared.qemu ? `${prepared.qemu}.real` : undefined;
  const qemuSha256 = real && existsSync(real) ? await sha256File(real) : undefined;
  const job = qemuJob({
    suite: opts.suite,
    profile: opts.profile,
    files,
    ramMiB: prepared.secure.profile.machine.ramMiB,
    checkArgs: prepared.checkArgs,
    gpu: true,
    qemuSha256,
    extraMetadata: { 'protm.kernel.config': prepared.kernel.configHash },
  });
  const text = jobText(job);
  await validateJob(record, text);
  const file = join(record.dir, 'lava-job.yaml');
  writeFileSync(file, text);
  record.set('lava job', { file, device: 'qemu', suite: opts.suite, files });
  return { job, text, file, files, qemu: prepared.qemu };
}

/** Build the ROCK 5B files (the target's Image with the initramfs, upstream DTB) and write its job, validated by LAVA's validator. */
export async function buildRock5bJob(record: RunRecord, opts: JobOptions): Promise<BuiltJob> {
  suiteChecks(opts.suite);
  const k = await buildRock5bKernel(record);
  const kernel = await stageFile('kernel', k.image, opts.artifactUrl);
  const dtb = await stageFile('dtb', k.dtb, opts.artifactUrl);
  const job = rock5bJob({ suite: opts.suite, kernel, dtb, extraMetadata: { 'protm.kernel.config': k.configHash } });
  const text = jobText(job);
  await validateJob(record, text);
  // No board here: the dispatcher builds the job's pipeline against LAVA's stock device type instead.
  await validateOnDispatcher(record, text, record.dir);
  const file = join(record.dir, 'lava-job.yaml');
  writeFileSync(file, text);
  record.set('lava job', { file, device: 'rock-5b', suite: opts.suite, files: [kernel, dtb] });
  return { job, text, file, files: [kernel, dtb] };
}

export function localServer(): LavaServer {
  return { url: lavaUrl(), token: readSecrets().apiToken };
}

const TERMINAL = new Set(['Finished']);

/** Poll until the job has finished; the progress line shows its state and the last console line. */
export async function followJob(server: LavaServer, id: number, timeoutSeconds: number): Promise<LavaJob> {
  const ticker = progress.start(`lava job ${id}`);
  const deadline = Date.now() + timeoutSeconds * 1000;
  try {
    for (;;) {
      const job = await getJob(server, id);
      if (TERMINAL.has(job.state)) {
        ticker.stop(job.health === 'Complete');
        return job;
      }
      if (Date.now() > deadline)
        throw new ProtmError(`LAVA job ${id} did not finish within ${timeoutSeconds} s (state ${job.state})`, `${server.url}/scheduler/job/${id}`);
      ticker.update(`${job.state}`);
      await new Promise((r) => setTimeout(r, 3000));
    }
  } catch (err) {
    ticker.stop(false);
    throw err;
  }
}

export interface LavaVerdict extends Published {
  job: LavaJob;
  reason?: string;
}

/** A finished job's results, published like a local run's (results.json and junit.xml in the run record). */
export async function reportJob(record: RunRecord, server: LavaServer, id: number): Promise<LavaVerdict> {
  const job = await getJob(server, id);
  if (job.state !== 'Finished')
    throw new ProtmError(`LAVA job ${id} has not finished (state ${job.state})`, 'wait for it: `protm lava submit --wait`, or ask again later');
  const log = await jobLog(server, id);
  const console = targetConsole(log);
  writeFileSync(join(record.dir, 'console.log'), console);
  const definition = await fetchDefinitionMetadata(server, id);
  const checks = definition.checks ?? (definition.suite ? suiteChecks(definition.suite).checks : []);
  const lava = await jobTestCases(server, id);
  const reason = job.health === 'Complete' ? undefined : failureReason(job, log);
  const cases = [...casesFromLava(checks, lava), ...consoleCases(console, definition.gpu), ...jobCase(job, reason ?? '')];
  const published = publishResults(record.dir, cases, { name: `protm.lava.${id}.${definition.suite ?? 'unknown'}` });
  record.set('lava results', { job: id, health: job.health, reason, results: published.results, junit: published.junit });
  return { ...published, job, reason };
}

/** Which suite and checks a job ran, and with the Mali model: from the definition protm wrote. */
async function fetchDefinitionMetadata(server: LavaServer, id: number): Promise<{ suite?: string; checks?: string[]; gpu: boolean }> {
  const res = await fetch(`${server.url}/api/v0.2/jobs/${id}/`, { headers: { Authorization: `Token ${server.token}` } });
  const job = (await res.json()) as { definition?: string };
  const def = job.definition ?? '';
  const suite = /"protm\.suite":\s*"([^"]+)"/.exec(def)?.[1] ?? /protm\.suite:\s*'?([A-Za-z0-9_-]+)/.exec(def)?.[1];
  return { suite, checks: monitorNames(def), gpu: /mali=on/.test(def) };
}

/** Submit a built qemu job to the local server, linking the worker to the job's QEMU build first. */
export async function submitLocal(built: BuiltJob): Promise<{ server: LavaServer; id: number }> {
  const server = localServer();
  if (built.qemu) linkWorkerQemu(built.qemu);
  const id = await submitJob(server, built.text);
  return { server, id };
}
