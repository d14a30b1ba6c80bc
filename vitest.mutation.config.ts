import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.js';

// The tests mutation testing runs: those of the guarded modules, without Docker, Chromium or
// real installs (they cannot tell these mutants apart, and would make every run take hours).
// MUTATION_TESTS narrows them further (a glob), e.g. for one module.
export default mergeConfig(
  base,
  defineConfig({
    test: {
      include: process.env.MUTATION_TESTS
        ? [process.env.MUTATION_TESTS]
        : ['packages/core/src/**/*.test.ts', 'packages/storage-internal/test/**/*.test.ts', 'packages/storage-github/test/**/*.test.ts', 'packages/server/test/{stream-*,rate-limits,tenancy,access-control,routes,hardening*,guarantees,e2e,usage-and-steps,runtime-data,mcp}.test.ts'],
      // Nor the tests of the built CLI (they run dist/, never the mutated source, and would build it in Stryker's sandbox).
      exclude: ['**/node_modules/**', '**/*chromium*.test.ts', '**/docker*.test.ts', '**/cli.test.ts', '**/readme-promise.test.ts', '**/telemetry-processes.test.ts', '**/concurrent-start*.test.ts'],
    },
  }),
);
