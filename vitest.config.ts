import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    // Some tests build real kernels or boot QEMU under TCG: minutes, not ms.
    testTimeout: 1_800_000,
    hookTimeout: 1_800_000,
    // Builds share two cores and one cache: run test files one at a time.
    fileParallelism: false,
    reporters: ['default'],
    // Tests (and so CI) build exactly the series in the checkout, in protm's
    // own trees, never a developer's edited work tree.
    env: { PROTM_EXACT_SERIES: '1' },
  },
});
