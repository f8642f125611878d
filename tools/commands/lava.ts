// protm lava: the board-farm flow on LAVA. A local LAVA instance to try it on
// (server start|stop|status), job definitions for our chain (job), and
// submitting them and reporting their results like a local run (submit, results).
import { Command, Option } from 'commander';
import { secureProfileNames } from '../build/secure-world.js';
import { buildQemuJob, buildRock5bJob, followJob, localServer, reportJob, submitLocal } from '../lava/flow.js';
import { serverStatus, startServer, stopServer } from '../lava/server.js';
import { ProtmError, USAGE_ERROR } from '../lib/errors.js';
import { resultFilesText } from '../results/report.js';
import { leaf } from './leaf.js';

function serverCommand(): Command {
  const cmd = new Command('server').description('a local LAVA instance (PostgreSQL, lava-server, scheduler, worker) on 127.0.0.1');
  leaf(cmd.command('start').description('start it (installs LAVA into a build root the first time)'), 'lava server start', async ({ record }) => {
    const s = await startServer(record);
    return {
      text: `${s.alreadyRunning ? 'already running' : `started in ${s.seconds.toFixed(1)} s`}: LAVA ${s.version} at ${s.url} (worker ${s.worker})`,
      summary: { ...s },
    };
  });
  leaf(cmd.command('stop').description('stop it (its state stays in the cache)'), 'lava server stop', async () => {
    const s = await stopServer();
    return { text: s.wasRunning ? `stopped in ${s.seconds.toFixed(1)} s` : 'not running', summary: { ...s } };
  });
  leaf(cmd.command('status').description('is it running, and is its worker online'), 'lava server status', async () => {
    const s = await serverStatus();
    const text = s.running
      ? `running (pid ${s.pid}): ${s.version ? `LAVA ${s.version} at ${s.url}, worker ${s.worker ?? 'unknown'}` : 'not answering yet'}`
      : 'not running';
    return { text, summary: { ...s }, exitCode: s.running ? 0 : 3 };
  });
  return cmd;
}

const deviceOption = () =>
  new Option('--device <name>', 'the LAVA device: our QEMU target or a Radxa ROCK 5B (RK3588)').choices(['qemu', 'rock-5b']).makeOptionMandatory();
const suiteOption = () => new Option('--suite <name>', 'target suite (test/target/suites)').default('tee-heap');
const profileOption = () => new Option('--profile <name>', 'secure-world profile (images/secure), qemu only').choices(secureProfileNames()).default('dynamic');

interface JobOpts {
  device: string;
  suite: string;
  profile: string;
  artifactUrl?: string;
}

async function buildJob(record: Parameters<typeof buildQemuJob>[0], opts: JobOpts) {
  return opts.device === 'qemu' ? buildQemuJob(record, opts) : buildRock5bJob(record, opts);
}

export function lavaCommand(): Command {
  const cmd = new Command('lava').description('board farms: LAVA jobs for the QEMU target and RK3588 boards, and a local LAVA server');
  cmd.addCommand(serverCommand());

  leaf(
    cmd
      .command('job')
      .description("build the chain and write a LAVA job for it and a suite, checked by LAVA's own validator")
      .addOption(deviceOption())
      .addOption(suiteOption())
      .addOption(profileOption())
      .option('--artifact-url <base>', 'URL under which a farm serves the staged artifacts (default: file:// on this machine)'),
    'lava job',
    async ({ record }, opts: JobOpts) => {
      const built = await buildJob(record, opts);
      const files = built.files.map((f) => `  ${f.label.padEnd(12)} ${f.sha256}  ${f.url}`).join('\n');
      return { text: `job: ${built.file} (valid for LAVA)\n${files}`, summary: { job: built.file, files: built.files } };
    },
  );

  leaf(
    cmd
      .command('submit')
      .description('build, write and submit the job to the local LAVA server; with --wait, follow it and report its results')
      .addOption(deviceOption())
      .addOption(suiteOption())
      .addOption(profileOption())
      .option('--wait', 'follow the job to its end and report its results like a local run')
      .option('--timeout <seconds>', 'give up following after this long', '3600'),
    'lava submit',
    async ({ record }, opts: JobOpts & { wait?: boolean; timeout: string }) => {
      if (opts.device !== 'qemu')
        throw new ProtmError('the local LAVA server has only the qemu device (a rock-5b job is for a farm with the board)', undefined, USAGE_ERROR);
      const built = await buildJob(record, opts);
      const { server, id } = await submitLocal(built);
      record.set('lava submit', { job: id, url: `${server.url}/scheduler/job/${id}` });
      if (!opts.wait) return { text: `submitted job ${id}: ${server.url}/scheduler/job/${id}`, summary: { job: id } };
      await followJob(server, id, Number(opts.timeout));
      return verdictOutcome(await reportJob(record, server, id));
    },
  );

  leaf(
    cmd.command('results').description('report a finished LAVA job like a local run (table, results.json, JUnit)').argument('<job>', 'LAVA job id'),
    'lava results',
    async ({ record }, jobId: string) => {
      const id = Number(jobId);
      if (!Number.isInteger(id) || id <= 0) throw new ProtmError(`not a LAVA job id: "${jobId}"`, undefined, USAGE_ERROR);
      return verdictOutcome(await reportJob(record, localServer(), id));
    },
  );
  return cmd;
}

function verdictOutcome(v: Awaited<ReturnType<typeof reportJob>>) {
  const head = `LAVA job ${v.job.id}: ${v.job.health}${v.reason ? ` (${v.reason})` : ''}`;
  return {
    text: `${head}\n${v.text}\n${resultFilesText(v)}`,
    summary: { job: v.job.id, health: v.job.health, reason: v.reason, counts: v.counts, results: v.results, junit: v.junit },
    exitCode: v.job.health === 'Complete' ? v.exitCode : 1,
  };
}
