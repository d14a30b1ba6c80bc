// Mutation testing of the modules that carry Vector's guarantees (`pnpm test:mutation`).
// Each module's score is printed by scripts/mutation-report.mjs after the run. Incremental:
// a rerun only tests mutants whose code or covering tests changed (.stryker/incremental.json).
// A mutant that cannot be told apart from the original is disabled where it lives, with its reason:
// `// Stryker disable next-line <Mutator>: <why it is equivalent>` (reported as ignored).

/** The modules, by name: what `pnpm test:mutation` scores. */
export const modules = {
  'versions (writing and numbering)': ['packages/core/src/engine/versions/version-store.ts', 'packages/core/src/engine/versions/versions-api.ts', 'packages/core/src/engine/versions/check-version-changes.ts', 'packages/core/src/engine/versions/storage-sync.ts'],
  'tenancy scoping': ['packages/core/src/engine/scope-context.ts', 'packages/core/src/engine/tenancy/projects-api.ts', 'packages/core/src/engine/tenancy/organizations-api.ts'],
  'job ownership and cancellation': ['packages/core/src/engine/jobs/job-store.ts', 'packages/core/src/engine/jobs/job-runner.ts', 'packages/core/src/engine/jobs/job-recovery.ts', 'packages/core/src/engine/jobs/in-process-queue.ts'],
  'SSE resume': ['packages/server/src/sse/*.ts'],
  'deployments and the reaper': ['packages/core/src/engine/deployments/deployment-driver.ts', 'packages/core/src/engine/deployments/deployments-api.ts'],
  'secret handling': ['packages/core/src/helpers/redact-secret-values.ts', 'packages/core/src/helpers/mask-secrets.ts', 'packages/core/src/engine/connectors/secret-box.ts'],
  'rate limits': ['packages/server/src/plumbing/rate-limits.ts'],
  'path rules': ['packages/core/src/files/path-rules.ts', 'packages/core/src/files/path-conflicts.ts'],
  'storage deduplication and finalize': ['packages/storage-internal/src/*.ts', 'packages/storage-github/src/finalize-version.ts'],
  'steps and costs': ['packages/core/src/helpers/step-replay.ts', 'packages/core/src/engine/usage/model-prices.ts'],
  'runtime data': ['packages/core/src/engine/data/data-tokens.ts', 'packages/core/src/engine/data/runtime-data-api.ts'],
  'MCP connectors': ['packages/core/src/engine/connectors/network-guard.ts', 'packages/core/src/engine/connectors/job-toolbox.ts'],
};

const only = process.env.MUTATE_MODULE;

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'pnpm',
  // Named, since pnpm's strict layout hides them from Stryker's own search.
  plugins: ['@stryker-mutator/vitest-runner', '@stryker-mutator/typescript-checker'],
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts', related: true },
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  coverageAnalysis: 'perTest',
  // Static mutants (module-level constants) run every test of the suite each: on two cores they
  // took most of a module's time for a handful of mutants. They are reported as ignored.
  ignoreStatic: true,
  incremental: true,
  incrementalFile: '.stryker/incremental.json',
  tempDirName: '.stryker/tmp',
  mutate: only ? (modules[only] ?? []) : Object.values(modules).flat(),
  reporters: ['progress', 'json', 'html'],
  jsonReporter: { fileName: '.stryker/report.json' },
  htmlReporter: { fileName: '.stryker/report.html' },
  concurrency: 2,
  timeoutMS: 30_000,
  // The initial run covers every related test file; on a busy two-core machine it can take longer than Stryker's 5 minutes.
  dryRunTimeoutMinutes: 30,
  // Not a CI gate: the score is a figure, like a benchmark.
  thresholds: { high: 85, low: 70, break: null },
  ignorePatterns: ['.stryker', '.test-report', '**/dist/**', '**/.vector/**'],
};
