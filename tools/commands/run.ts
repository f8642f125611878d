import { Command, Option } from 'commander';
import { secureProfileNames } from '../build/secure-world.js';
import { countCases, resultFilesText } from '../results/report.js';
import { runHostChecks, SHIM_MODES, type ShimMode } from '../run/host-checks.js';
import { runTarget, shellTarget } from '../run/target-run.js';
import { leaf } from './leaf.js';

const profileOption = () => new Option('--profile <name>', 'secure-world profile (images/secure)').choices(secureProfileNames()).default('dynamic');
// The default shows protected mode end to end: a protected job on the Mali
// model writes protected memory that the secure world verifies.
const suiteOption = () => new Option('--suite <name>', 'target suite (test/target/suites)').default('protected-mode');
// The target has the Mali CSF GPU model (our QEMU build with qemu-patches)
// unless --no-gpu boots the host's QEMU without it.
const noGpuOption = () => new Option('--no-gpu', "boot the host's QEMU, without the Mali CSF GPU model of qemu-patches");

export function runCommand(): Command {
  return leaf(
    new Command('run')
      .description('the main job: build what changed, boot the QEMU target, run a suite, report')
      .addOption(profileOption())
      .addOption(suiteOption())
      .option('--debug', 'debug kernel (KASAN, kmemleak, lockdep)')
      .addOption(noGpuOption()),
    'run',
    async ({ record }, opts: { profile: string; suite: string; debug?: boolean; gpu: boolean }) => {
      const v = await runTarget(record, { profile: opts.profile, suite: opts.suite, debug: Boolean(opts.debug), gpu: opts.gpu });
      const counts = countCases(v.cases);
      return {
        text: `${v.text}\n${resultFilesText({ ...v, results: v.resultsJson })}${v.boot ? `\nboot-to-verdict: ${v.boot.seconds.toFixed(1)} s` : ''}`,
        summary: {
          profile: opts.profile,
          suite: opts.suite,
          debug: Boolean(opts.debug),
          gpu: opts.gpu,
          counts,
          results: v.resultsJson,
          junit: v.junit,
          report: v.report,
          bootSeconds: v.boot?.seconds,
        },
        exitCode: v.exitCode,
      };
    },
  );
}

export function bootCommand(): Command {
  return leaf(
    new Command('boot')
      .description('boot the QEMU target: run a suite and power off, or --shell for an interactive shell')
      .addOption(profileOption())
      .addOption(suiteOption())
      .option('--shell', 'interactive shell on the target console')
      .option('--debug', 'debug kernel (KASAN, kmemleak, lockdep)')
      .addOption(noGpuOption()),
    'boot',
    async ({ record }, opts: { profile: string; suite: string; shell?: boolean; debug?: boolean; gpu: boolean }) => {
      const target = { profile: opts.profile, suite: opts.suite, debug: Boolean(opts.debug), gpu: opts.gpu };
      if (opts.shell) {
        const code = await shellTarget(record, target);
        return { summary: { qemuExit: code }, exitCode: code };
      }
      const v = await runTarget(record, target);
      return { text: v.text, summary: { counts: countCases(v.cases), results: v.resultsJson, junit: v.junit }, exitCode: v.exitCode };
    },
  );
}

export function hostChecksCommand(): Command {
  return leaf(
    new Command('host-checks')
      .description(
        "Mesa's protected paths on this machine, no GPU: the target's Mesa build on its drm-shim under qemu-user, with protected mode ready, not set up, and absent",
      )
      .addOption(
        new Option('--shim <mode>', 'the kernel the shim plays: ready (protected mode set up), available (not set up), none (no series), or all')
          .choices([...SHIM_MODES, 'all'])
          .default('all'),
      ),
    'host-checks',
    async ({ record }, opts: { shim: ShimMode | 'all' }) => {
      const v = await runHostChecks(record, opts.shim === 'all' ? [...SHIM_MODES] : [opts.shim]);
      return {
        text: `${v.text}\n${resultFilesText({ ...v, results: v.resultsJson })}`,
        summary: { shim: opts.shim, counts: countCases(v.cases), results: v.resultsJson, junit: v.junit, report: v.report },
        exitCode: v.exitCode,
      };
    },
  );
}
