// Job definitions are checked by the installed LAVA's own validator
// (lava_common.schemas.validate, what lava-server's submission and its
// /jobs/validate/ endpoint run), inside the sid-lava build root: never by a
// hand-written copy of its schema.
import { execa } from 'execa';
import { ensureBuildRoot } from '../host/buildroot.js';
import { requireRoot } from '../host/root.js';
import { ProtmError } from '../lib/errors.js';
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
