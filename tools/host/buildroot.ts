// Build roots: Debian chroots made with mmdebstrap for components whose
// build needs newer tools than the host has (QEMU 10.2 needs meson >= 1.5;
// Mesa 25.0.7 builds only against trixie's glibc). Described by
// images/buildroots/NAME.json and cached by content (suite, packages).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cachedArtifact } from '../lib/artifact.js';
import { ProtmError } from '../lib/errors.js';
import { repoRoot } from '../lib/paths.js';
import { runStep } from '../lib/process.js';
import type { RunRecord } from '../lib/run-record.js';
import { debianMirror } from '../sources/apt.js';
import { requireRoot } from './root.js';

interface BuildRootSpec {
  suite: string;
  packages: string[];
  architectures?: string[];
}

const specDir = () => join(repoRoot, 'images', 'buildroots');

export function buildRootNames(): string[] {
  return existsSync(specDir())
    ? readdirSync(specDir())
        .filter((f) => f.endsWith('.json'))
        .map((f) => f.replace(/\.json$/, ''))
        .sort()
    : [];
}

function loadSpec(name: string): BuildRootSpec {
  if (!buildRootNames().includes(name)) throw new ProtmError(`no build root named "${name}"`, `known: ${buildRootNames().join(', ')}`);
  return JSON.parse(readFileSync(join(specDir(), `${name}.json`), 'utf8')) as BuildRootSpec;
}

/** The chroot directory for `name`, created on first use. */
export async function ensureBuildRoot(record: RunRecord, name: string): Promise<string> {
  const spec = loadSpec(name);
  requireRoot(`the ${name} build root`);
  const artifact = await cachedArtifact(record, `buildroot-${name}`, spec, async (out) => {
    const root = join(out, 'root');
    await runStep(
      record,
      `build root ${name} (mmdebstrap ${spec.suite})`,
      'mmdebstrap',
      [
        '--variant=buildd',
        '--aptopt=Acquire::Check-Valid-Until "false"',
        ...(spec.architectures?.length ? [`--architectures=amd64,${spec.architectures.join(',')}`] : []),
        `--include=${spec.packages.join(',')}`,
        spec.suite,
        root,
        debianMirror(),
      ],
      { timeoutSeconds: 1800 },
    );
  });
  return join(artifact.dir, 'root');
}
