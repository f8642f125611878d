import { defineConfig } from 'vitest/config';
import ProtmSequencer from './test/helpers/sequencer.js';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    // Some tests build real kernels or boot QEMU under TCG: minutes, not ms.
    // On a cold cache the main job alone takes about 21 min, and longer with
    // the other lane compiling beside it.
    testTimeout: 3_600_000,
    hookTimeout: 3_600_000,
    // Two test files at a time: builds use every core, but a QEMU boot (TCG)
    // uses one and a LAVA job mostly waits, so one lane compiles while the
    // other boots. Files share the cache through protm's locks, as two protm
    // commands do. More lanes would only make the builds contend.
    fileParallelism: true,
    maxWorkers: 2,
    minWorkers: 1,
    sequence: { sequencer: ProtmSequencer },
    reporters: ['default'],
    // Tests (and so CI) build exactly the series in the checkout, in protm's
    // own trees, never a developer's edited work tree.
    env: { PROTM_EXACT_SERIES: '1' },
  },
});
