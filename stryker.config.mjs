// Mutation testing of the modules that carry Vector's guarantees (`pnpm test:mutation`).
// scripts/mutation.mjs runs Stryker once per module (MUTATE_MODULE), each against its own tests,
// then prints each module's score. Incremental: a rerun only tests mutants whose code or covering
// tests changed; the state is kept in mutation/<module>.incremental.json, in the repository.
// A mutant that cannot be told apart from the original is disabled where it lives, with its reason:
// `// Stryker disable next-line <Mutator>: <why it is equivalent>` (reported as ignored).

import { writeFileSync } from 'node:fs';
import { modules, selectedModule } from './mutation/modules.mjs';

const module = selectedModule();
if (module === undefined) throw new Error('Stryker runs one module at a time: run `pnpm test:mutation` (all modules) or set MUTATE_MODULE to one of: ' + Object.keys(modules).join(', '));

// The TypeScript checker type-checks each mutant in a program of the module's files and what they
// import, not the whole repository: a third of the files, so it keeps up with the test runners
// (with the whole repository it was the bottleneck, the runners waiting idle). A mutant that only
// breaks a caller's types is then tested instead of reported as a compile error.
const checkerConfig = 'tsconfig.mutation.json';
writeFileSync(checkerConfig, `${JSON.stringify({ extends: './tsconfig.json', include: module.files }, null, 2)}\n`);

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'pnpm',
  // Named, since pnpm's strict layout hides them from Stryker's own search.
  plugins: ['@stryker-mutator/vitest-runner', '@stryker-mutator/typescript-checker'],
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts', related: true },
  checkers: ['typescript'],
  tsconfigFile: checkerConfig,
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  coverageAnalysis: 'perTest',
  // Static mutants (module-level constants) run every test of the suite each: on two cores they
  // took most of a module's time for a handful of mutants. They are reported as ignored.
  ignoreStatic: true,
  incremental: true,
  // Kept in the repository, so a clean clone's rerun only tests what changed since.
  incrementalFile: `mutation/${module.slug}.incremental.json`,
  tempDirName: '.stryker/tmp',
  mutate: module.files,
  reporters: ['progress', 'json', 'html'],
  jsonReporter: { fileName: `.stryker/reports/${module.slug}.json` },
  htmlReporter: { fileName: `.stryker/reports/${module.slug}.html` },
  // Two cores: one checker and one test runner, then two test runners once every mutant is checked.
  concurrency: 2,
  timeoutMS: 30_000,
  // The initial run covers the module's tests; on a busy two-core machine it can take longer than Stryker's 5 minutes.
  dryRunTimeoutMinutes: 30,
  // Not a CI gate: the score is a figure, like a benchmark.
  thresholds: { high: 85, low: 70, break: null },
  ignorePatterns: ['.stryker', '.test-report', '**/dist/**', '**/.vector/**'],
};
