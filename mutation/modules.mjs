// The modules `pnpm test:mutation` scores (see stryker.config.mjs and scripts/mutation.mjs).

/**
 * The modules, by name: the files `pnpm test:mutation` mutates, and the tests that judge them.
 * Each module runs on its own with only its tests, so its initial run stays short; a test that
 * pins a module's promise belongs in its list.
 */
export const modules = {
  'versions (writing and numbering)': {
    files: ['packages/core/src/engine/versions/version-store.ts', 'packages/core/src/engine/versions/versions-api.ts', 'packages/core/src/engine/versions/check-version-changes.ts', 'packages/core/src/engine/versions/storage-sync.ts'],
    tests: ['packages/core/src/engine/versions/*.test.ts', 'packages/core/src/engine/telemetry.test.ts', 'packages/core/src/engine/data/data-migrations.test.ts', 'packages/storage-github/test/external-sync-engine.test.ts'],
  },
  'tenancy scoping': {
    files: ['packages/core/src/engine/scope-context.ts', 'packages/core/src/engine/tenancy/projects-api.ts', 'packages/core/src/engine/tenancy/organizations-api.ts'],
    tests: ['packages/core/src/engine/tenancy/*.test.ts', 'packages/server/test/{tenancy,access-control}.test.ts'],
  },
  'job ownership and cancellation': {
    files: ['packages/core/src/engine/jobs/job-store.ts', 'packages/core/src/engine/jobs/job-runner.ts', 'packages/core/src/engine/jobs/job-recovery.ts', 'packages/core/src/engine/jobs/in-process-queue.ts'],
    tests: ['packages/core/src/engine/jobs/*.test.ts'],
  },
  'SSE resume': {
    files: ['packages/server/src/sse/*.ts'],
    tests: ['packages/server/test/{stream-endings,stream-tokens,resume-by-query,sse-parts,telemetry,graceful-shutdown}.test.ts'],
  },
  'deployments and the reaper': {
    files: ['packages/core/src/engine/deployments/deployment-driver.ts', 'packages/core/src/engine/deployments/deployments-api.ts'],
    tests: ['packages/core/src/engine/deployments/*.test.ts'],
  },
  'secret handling': {
    files: ['packages/core/src/helpers/redact-secret-values.ts', 'packages/core/src/helpers/mask-secrets.ts', 'packages/core/src/engine/connectors/secret-box.ts'],
    tests: ['packages/core/src/helpers/{secret-values,helpers}.test.ts', 'packages/core/src/engine/connectors/connectors.test.ts', 'packages/server/test/secrets-never-stored.test.ts'],
  },
  'rate limits': {
    files: ['packages/server/src/plumbing/rate-limits.ts'],
    tests: ['packages/server/test/{rate-limits,per-ip-ceiling}.test.ts'],
  },
  'path rules': {
    files: ['packages/core/src/files/path-rules.ts', 'packages/core/src/files/path-conflicts.ts'],
    tests: ['packages/core/src/files/*.test.ts', 'packages/core/src/engine/versions/path-check.test.ts', 'packages/core/src/engine/validation.test.ts', 'packages/core/src/helpers/helpers.test.ts'],
  },
  'storage deduplication and finalize': {
    files: ['packages/storage-internal/src/*.ts', 'packages/storage-github/src/finalize-version.ts'],
    tests: ['packages/storage-internal/test/*.test.ts', 'packages/storage-github/test/{two-phase-save,first-save,save-changes,github-storage,conformance}.test.ts'],
  },
  'steps and costs': {
    files: ['packages/core/src/helpers/step-replay.ts', 'packages/core/src/engine/usage/model-prices.ts'],
    tests: ['packages/core/src/helpers/step-replay.test.ts', 'packages/core/src/engine/usage/*.test.ts', 'packages/server/test/usage-and-steps.test.ts'],
  },
  'runtime data': {
    files: ['packages/core/src/engine/data/data-tokens.ts', 'packages/core/src/engine/data/runtime-data-api.ts'],
    tests: ['packages/core/src/engine/data/runtime-data.test.ts', 'packages/server/test/runtime-data.test.ts'],
  },
  'MCP connectors': {
    files: ['packages/core/src/engine/connectors/network-guard.ts', 'packages/core/src/engine/connectors/job-toolbox.ts'],
    tests: ['packages/core/src/engine/connectors/*.test.ts', 'packages/server/test/mcp.test.ts'],
  },
};

/** A module's name as a file name. */
export const slug = (name) => name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

/** The module a Stryker run mutates: `MUTATE_MODULE`, set by scripts/mutation.mjs (`pnpm test:mutation`). */
export function selectedModule() {
  const name = process.env.MUTATE_MODULE;
  if (name === undefined || name === '') return undefined;
  if (!(name in modules)) throw new Error(`MUTATE_MODULE: no module named "${name}" (one of: ${Object.keys(modules).join(', ')})`);
  return { name, ...modules[name], slug: slug(name) };
}
