// LAVA job definitions for our chain. The target runs the suite by itself
// (its init reads the suite name and prints the checks' KTAP through the
// kernel log, tagged "protm-ktap: "), and there is no shell for LAVA's
// overlay: TF-A boots the kernel with the initramfs built in and ignores
// -initrd. So the test action is LAVA's "monitors" (its way of reading a
// device that runs its tests itself): one monitor per check of the suite,
// whose pattern turns each KTAP result line into a LAVA test case. That is
// LAVA's own parser deciding pass/fail/skip per case; protm only writes the
// regular expression.
//
// Jobs are written as JSON, which is YAML to LAVA's loader.
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { GPU_FIRMWARE_FILE } from '../boot/qemu.js';
import { ProtmError, USAGE_ERROR } from '../lib/errors.js';
import { sha256File } from '../lib/hash.js';
import { repoRoot } from '../lib/paths.js';
import { lavaDirs } from './server.js';

/** A file the job downloads, with the content hash LAVA checks after download. */
export interface JobFile {
  /** The LAVA image label (also the {label} substitution in image_arg). */
  label: string;
  path: string;
  sha256: string;
  url: string;
}

/** The checks of a target suite, in order (test/target/suites/NAME). */
export function suiteChecks(suite: string): { checks: string[]; checkTimeout?: number } {
  const path = join(repoRoot, 'test/target/suites', suite);
  if (!/^[A-Za-z0-9_-]+$/.test(suite) || !existsSync(path)) throw new ProtmError(`no target suite named "${suite}"`, undefined, USAGE_ERROR);
  const text = readFileSync(path, 'utf8');
  const checks = text
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .map((l) => l.trim().split(/\s+/)[0]!);
  const declared = /^# check-timeout: (\d+)\s*$/m.exec(text)?.[1];
  return { checks, checkTimeout: declared ? Number(declared) : undefined };
}

function reEscape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `word` in every mix of upper and lower case ("skip", "Skip", ... "SKIP"). */
function caseVariants(word: string): string[] {
  return [...word].reduce<string[]>((acc, ch) => acc.flatMap((p) => [p + ch.toLowerCase(), p + ch.toUpperCase()]), ['']);
}

/**
 * LAVA's monitor results: the captured text → LAVA's result. The directive is
 * read in any case, as tools/results/ktap.ts reads it, and LAVA's fixup
 * matches exactly, hence every spelling.
 */
export const KTAP_FIXUP: Readonly<Record<string, 'pass' | 'fail' | 'skip'>> = Object.freeze({
  ok: 'pass',
  'not ok': 'fail',
  ...Object.fromEntries([...caseVariants('skip'), ...caseVariants('todo')].map((v) => [v, 'skip'])),
});

/**
 * A KTAP result line at any depth, as the console shows it after the
 * kernel's timestamp. The lookahead captures the result first: a
 * SKIP or TODO directive when there is one (in any case, with or without a
 * space after the "#", and "SKIPPED" too, as protm's own KTAP parser takes
 * them: a check's skip must never be a pass on LAVA), else "ok"/"not ok". The
 * indentation (four spaces a level) goes into LAVA's "units" field, the only
 * free-text field a monitor records besides the name: it is how protm puts the
 * cases back into their suites (results.ts). Lines end in "\r\r\n" on the
 * worker: QEMU writes "\r\n" into LAVA's pty, which turns the "\n" into
 * "\r\n" once more.
 */
export const KTAP_RESULT_PATTERN =
  'protm-ktap: (?P<units>(?: {4})*)(?=(?:(?:not )?ok \\d+ [^#\\r\\n]*#[ \\t]*)?(?P<result>(?i:skip|todo)|not ok|ok))(?:not )?ok \\d+ (?:- )?(?P<test_case_id>[^#\\r\\n]*?) *(?:#[^\\r\\n]*)?\\r*\\n';

export interface Monitor {
  name: string;
  start: string;
  end: string;
  pattern: string;
  fixupdict: Record<string, string>;
}

/**
 * One monitor per check: it starts at the check's "# Subtest:" line and ends
 * where the next check's begins. That end is a lookahead, a match of no
 * length, so the next monitor still finds its start line. The last ends at init's "protm: suite NAME finished".
 */
export function suiteMonitors(suite: string): Monitor[] {
  const { checks } = suiteChecks(suite);
  if (checks.length === 0) throw new ProtmError(`suite ${suite} has no checks`);
  return checks.map((check, i) => {
    const next = checks[i + 1];
    return {
      name: check,
      start: `protm-ktap: (?: {4})# Subtest: ${reEscape(check)} *\\r*\\n`,
      end: next ? `(?=protm-ktap: (?: {4})# Subtest: ${reEscape(next)} *\\r*\\n)` : `protm: suite ${reEscape(suite)} finished`,
      pattern: KTAP_RESULT_PATTERN,
      fixupdict: { ...KTAP_FIXUP },
    };
  });
}

/**
 * The checks a job ran: its test monitors' names (one per check, as
 * suiteMonitors writes them), if the definition is the JSON protm writes.
 * Its results are read by these, not by today's suite file, which may have
 * changed since the job ran.
 */
export function monitorNames(definition: string): string[] | undefined {
  let job: { actions?: { test?: { monitors?: { name?: unknown }[] } }[] };
  try {
    job = JSON.parse(definition);
  } catch {
    return undefined;
  }
  const names = (job.actions ?? []).flatMap((a) => a.test?.monitors ?? []).map((m) => m.name);
  return names.length > 0 && names.every((n): n is string => typeof n === 'string') ? names : undefined;
}

/**
 * Copy `path` into the state's content-addressed file store and name it
 * there: file:// on this machine, or under `urlBase` for a farm that serves
 * that directory.
 */
export async function stageFile(label: string, path: string, urlBase?: string): Promise<JobFile> {
  const sha256 = await sha256File(path);
  const name = `${sha256.slice(0, 16)}-${basename(path)}`;
  mkdirSync(lavaDirs.files(), { recursive: true });
  const staged = join(lavaDirs.files(), name);
  if (!existsSync(staged)) copyFileSync(path, staged);
  const url = urlBase ? `${urlBase.replace(/\/$/, '')}/${name}` : `file://${staged}`;
  return { label, path: staged, sha256, url };
}

export type JobDefinition = Record<string, unknown>;

const minutes = (seconds: number) => ({ minutes: Math.max(1, Math.ceil(seconds / 60)) });

function metadataFor(files: JobFile[], extra: Record<string, string>): Record<string, string> {
  const md: Record<string, string> = { ...extra };
  for (const f of files) md[`protm.sha256.${f.label}`] = f.sha256;
  return md;
}

export interface QemuJobSpec {
  suite: string;
  profile: string;
  /** bl1..bl32_extra2 and the kernel (bl33), in TF-A's order; with the GPU, the Mali firmware image too. */
  files: JobFile[];
  ramMiB: number;
  checkArgs: string;
  gpu: boolean;
  /** sha256 of protm's QEMU build (the real binary); the worker's wrapper checks it. */
  qemuSha256?: string;
  extraMetadata?: Record<string, string>;
}

/** Boot files: LAVA image label → the name TF-A's semihosting loader opens. */
export const QEMU_BOOT_NAMES: Record<string, string> = {
  bl1: 'bl1.bin',
  bl2: 'bl2.bin',
  bl31: 'bl31.bin',
  bl32: 'bl32.bin',
  bl32_extra1: 'bl32_extra1.bin',
  bl32_extra2: 'bl32_extra2.bin',
  kernel: 'bl33.bin',
  // The GPU model's copy of the firmware image the kernel loads (see tools/boot/qemu.ts).
  mali_firmware: GPU_FIRMWARE_FILE,
};

/** QEMU option values escape a comma by doubling it; the worker's command line is split like a shell's. */
function fwCfg(name: string, value: string): string {
  const v = value.replace(/,/g, ',,');
  return /[\s'"]/.test(v) ? `-fw_cfg 'name=opt/protm/${name},string=${v.replace(/'/g, '')}'` : `-fw_cfg name=opt/protm/${name},string=${v}`;
}

export function qemuJob(spec: QemuJobSpec): JobDefinition {
  const { checks, checkTimeout } = suiteChecks(spec.suite);
  const testSeconds = checks.length * (checkTimeout ?? 300) + 120;
  const images: Record<string, unknown> = {};
  for (const f of spec.files) {
    const name = QEMU_BOOT_NAMES[f.label];
    if (!name) throw new ProtmError(`qemu job: no boot name for image "${f.label}"`);
    images[f.label] = { url: f.url, sha256sum: f.sha256, image_arg: `-protm-file ${name}={${f.label}}` };
  }
  if (spec.gpu && !images.mali_firmware) throw new ProtmError('qemu job: the Mali model needs the firmware image (a "mali_firmware" file)');
  const extra = [
    '-bios bl1.bin',
    // See tools/boot/qemu.ts: boots with the Mali model run in one TCG thread.
    ...(spec.gpu ? ['-accel tcg,thread=single', `-global driver=mali-csf,property=firmware,value=${GPU_FIRMWARE_FILE}`] : []),
    fwCfg('suite', spec.suite),
    ...(spec.checkArgs ? [fwCfg('check-args', spec.checkArgs)] : []),
    ...(spec.gpu ? [fwCfg('expect-gpu', '1')] : []),
    ...(spec.qemuSha256 ? [`-protm-qemu-sha256 ${spec.qemuSha256}`] : []),
  ];
  return {
    device_type: 'protm-qemu',
    job_name: `protm ${spec.suite} on qemu (${spec.profile}${spec.gpu ? ', Mali model' : ''})`,
    priority: 'medium',
    visibility: 'public',
    timeouts: { job: minutes(testSeconds + 900), action: { minutes: 10 }, connection: { minutes: 2 } },
    metadata: metadataFor(spec.files, {
      'protm.suite': spec.suite,
      'protm.device': 'qemu',
      'protm.profile': spec.profile,
      ...(spec.qemuSha256 ? { 'protm.sha256.qemu': spec.qemuSha256 } : {}),
      ...spec.extraMetadata,
    }),
    context: {
      arch: 'aarch64',
      machine: `virt,secure=on,gic-version=3${spec.gpu ? ',mali=on' : ''}`,
      cpu: 'cortex-a57',
      memory: spec.ramMiB,
      extra_options: extra,
    },
    actions: [
      { deploy: { to: 'tmpfs', timeout: { minutes: 5 }, images } },
      { boot: { method: 'qemu', media: 'tmpfs', timeout: { minutes: 5 } } },
      { test: { timeout: minutes(testSeconds), monitors: suiteMonitors(spec.suite) } },
    ],
  };
}

export function jobText(job: JobDefinition): string {
  return `${JSON.stringify(job, null, 2)}\n`;
}
