// The order in which vitest starts the test files. Two run at a time
// (vitest.config.ts): while one boots QEMU (single-threaded TCG) or waits on
// LAVA, the other compiles. On a cold cache the order decides what the two
// lanes share: a file that rebuilds the main job's products from ccache must
// start after target-run has filled it, or both compile everything.
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** These files first, in this order; every other file after them, longest known first. */
const FIRST_FILES = [
  // Builds the main job's products (kernel, QEMU, OP-TEE, root filesystem),
  // then the debug kernel, and boots them: the longest file.
  'test/unit/target-run.test.ts',
  // Beside it, a compile it needs later and does not build first: the arm64
  // Mesa, for the host checks here and target-run's mesa suite.
  'test/unit/mesa-host.test.ts',
  // The KUnit kernel; its first case waits for target-run's kernel tree.
  'test/unit/verdicts.test.ts',
  // Mostly waiting on a LAVA server and its boot.
  'test/unit/lava.test.ts',
  // These rebuild target-run's QEMU (the check tree, the model's series
  // under the fixture's), its kernel (bisect trees) or its whole main job
  // (an empty cache) from ccache: by now target-run has filled it.
  'test/unit/qemu-series.test.ts',
  'test/unit/kernel-series.test.ts',
  'test/unit/first-run.test.ts',
];

export default class ProtmSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root;
    const rank = (f: TestSpecification) => {
      const i = FIRST_FILES.indexOf(relative(root, f.moduleId));
      return i < 0 ? FIRST_FILES.length : i;
    };
    const rest = await super.sort(files.filter((f) => rank(f) === FIRST_FILES.length));
    return [...files.filter((f) => rank(f) < FIRST_FILES.length).sort((a, b) => rank(a) - rank(b)), ...rest];
  }
}
