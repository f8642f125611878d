// Job definitions are checked by the installed LAVA's own validator
// (lava_common.schemas.validate, what lava-server's submission and its
// /jobs/validate/ endpoint run), inside the sid-lava build root: never by a
// hand-written copy of its schema.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { ensureBuildRoot } from '../host/buildroot.js';
import { requireRoot } from '../host/root.js';
import { ProtmError } from '../lib/errors.js';
import { cacheDir } from '../lib/paths.js';
import type { RunRecord } from '../lib/run-record.js';
import { LAVA_BUILD_ROOT } from './server.js';

// Strict, like a submission without extra context variables: unknown keys are errors.
const VALIDATOR = `
import sys, yaml, voluptuous
from lava_common.schemas import validate
try:
    validate(yaml.safe_load(sys.stdin.read()), strict=True, extra_context_variables=[])
except voluptuous.Invalid as exc:
    print(f"{exc.msg} @ {exc.path}")
    sys.exit(3)
print("valid")
`;

export class JobInvalidError extends ProtmError {
  constructor(readonly lavaMessage: string) {
    super(`LAVA's validator refused the job: ${lavaMessage}`);
    this.name = 'JobInvalidError';
  }
}

/** Resolves when LAVA accepts `jobText`; rejects with JobInvalidError carrying LAVA's message. */
export async function validateJob(record: RunRecord, jobText: string): Promise<void> {
  requireRoot("validating a job with LAVA's validator (it runs in a build root)");
  const root = await ensureBuildRoot(record, LAVA_BUILD_ROOT);
  const r = await execa('chroot', [root, 'python3', '-c', VALIDATOR], { input: jobText, reject: false, env: { LC_ALL: 'C.UTF-8' } });
  record.log(`## lava validate: exit ${r.exitCode}\n${r.stdout}\n${r.stderr}`);
  if (r.exitCode === 3) throw new JobInvalidError(r.stdout.trim());
  if (r.exitCode !== 0) throw new ProtmError(`LAVA's validator did not run (exit ${r.exitCode}):\n${r.stderr.trim().split('\n').slice(-8).join('\n')}`);
}

// Renders the device type with a device dictionary's usual variables
// (placeholders for the farm's console and power commands) and the job's
// context, like lava-server does before handing a job to a worker.
const RENDER = `
import sys, jinja2, yaml
job = yaml.safe_load(open(sys.argv[1]))
env = jinja2.Environment(loader=jinja2.FileSystemLoader(["/usr/share/lava-server/device-types"]), autoescape=False, trim_blocks=True)
placeholders = {"connection_command": "/bin/cat", "hard_reset_command": "/bin/echo reset",
                "power_off_command": "/bin/echo off", "power_on_command": "/bin/echo on"}
src = "{% extends '" + job["device_type"] + ".jinja2' %}" + "".join(
    "{% set " + k + " = '" + v + "' %}" for k, v in placeholders.items())
sys.stdout.write(env.from_string(src).render(**job.get("context", {})))
`;

/**
 * The dispatcher's own validation of a job for one of LAVA's stock device
 * types (lava-run --validate): it builds the whole pipeline (TFTP paths,
 * U-Boot commands, monitors) as a worker would, without a board.
 */
export async function validateOnDispatcher(record: RunRecord, jobText: string, dir: string): Promise<void> {
  requireRoot("validating a job with LAVA's dispatcher (it runs in a build root)");
  const root = await ensureBuildRoot(record, LAVA_BUILD_ROOT);
  writeFileSync(join(dir, 'job.yaml'), jobText);
  writeFileSync(join(dir, 'render.py'), RENDER);
  const outer = [
    'R="$1"; D="$2"; C="$3"',
    'mount -t proc proc "$R/proc"',
    // A scratch /tmp, so that nothing is left in the build root; mounted
    // first, so that it cannot hide a cache that lives under /tmp.
    'mount -t tmpfs tmpfs "$R/tmp"',
    // file:// artifacts are checked for existence: the cache at its own path.
    'mkdir -p "$R$C"; mount --bind "$C" "$R$C"',
    'mkdir "$R/tmp/v" "$R/tmp/v/out"',
    // A worker's TFTP directory, as tftpd-hpa's configuration names it (its
    // package leaves no configuration in a chroot): LAVA stages the job's files there.
    'rm -rf "$D/default"; mkdir "$D/default"; cp -a "$R/etc/default/." "$D/default/"',
    'echo \'TFTP_DIRECTORY="/srv/tftp"\' > "$D/default/tftpd-hpa"',
    'mount --bind "$D/default" "$R/etc/default"',
    'mount -t tmpfs tmpfs "$R/srv"; mkdir "$R/srv/tftp"',
    'cp "$D/job.yaml" "$D/render.py" "$R/tmp/v/"',
    'exec chroot "$R" sh -ec "python3 /tmp/v/render.py /tmp/v/job.yaml > /tmp/v/device.yaml; lava-run --validate --device /tmp/v/device.yaml --job-id 1 --output-dir /tmp/v/out /tmp/v/job.yaml"',
  ].join('\n');
  const r = await execa('unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-ec', outer, 'sh', root, dir, cacheDir()], {
    reject: false,
    env: { LC_ALL: 'C.UTF-8', PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
    timeout: 300_000,
  });
  record.log(`## lava-run --validate: exit ${r.exitCode}\n${r.stdout}\n${r.stderr}`);
  // lava-run logs its JSON lines to stderr.
  const results = `${r.stdout}\n${r.stderr}`
    .split('\n')
    .filter((l) => l.includes('"lvl": "results"'))
    .map((l) => (JSON.parse(l) as { msg: { case: string; result: string; error_msg?: string } }).msg);
  // The "job" case carries LAVA's error message; "validate" only says it failed.
  const failed = results.find((m) => m.result === 'fail' && m.error_msg) ?? results.find((m) => m.result === 'fail');
  if (failed) throw new JobInvalidError(`${failed.case}: ${failed.error_msg ?? 'failed'} (lava-run --validate)`);
  if (!results.some((m) => m.case === 'validate' && m.result === 'pass')) {
    throw new ProtmError(`lava-run --validate gave no verdict (exit ${r.exitCode}):\n${(r.stderr || r.stdout).trim().split('\n').slice(-8).join('\n')}`);
  }
}
