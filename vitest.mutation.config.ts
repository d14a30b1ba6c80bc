import { defineConfig } from 'vitest/config';
import { selectedModule } from './mutation/modules.mjs';
import base from './vitest.config.js';

// The tests a mutation run uses: those of the module being mutated (MUTATE_MODULE, see
// mutation/modules.mjs), never Docker, Chromium, real installs or the built CLI (they cannot tell
// these mutants apart, and would make every run take hours). Spread, not mergeConfig: merging
// would add the module's tests to the whole suite's include instead of replacing it.
const module = selectedModule();
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: module?.tests ?? [],
    exclude: ['**/node_modules/**', '**/*chromium*.test.ts', '**/docker*.test.ts', '**/cli.test.ts', '**/readme-promise.test.ts', '**/telemetry-processes.test.ts', '**/concurrent-start*.test.ts'],
  },
});
