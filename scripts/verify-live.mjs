#!/usr/bin/env node
// `pnpm verify:live`: each deployment provider's conformance suite against the real platform
// API, for the providers whose credentials are in the environment. The suites live in
// `packages/provider-*/test/live-conformance.live.ts`, which `pnpm test` never includes.
// Without credentials it says what it skipped and exits 0.
import { startVitest } from 'vitest/node';

const suites = [
  {
    name: 'railway',
    file: 'packages/provider-railway/test/live-conformance.live.ts',
    needs: ['RAILWAY_API_TOKEN', 'RAILWAY_PROJECT_ID'],
    optional: 'RAILWAY_WORKSPACE_ID, RAILWAY_LIVE_ENVIRONMENT; VECTOR_LIVE_GITHUB_REPO + VECTOR_LIVE_GITHUB_COMMIT (else the files are uploaded)',
  },
  {
    name: 'render',
    file: 'packages/provider-render/test/live-conformance.live.ts',
    needs: ['RENDER_API_KEY', 'VECTOR_LIVE_GITHUB_REPO', 'VECTOR_LIVE_GITHUB_COMMIT'],
    optional: 'RENDER_OWNER_ID, VECTOR_LIVE_GITHUB_BRANCH, RENDER_LIVE_PLAN',
  },
];

const runnable = [];
for (const suite of suites) {
  const missing = suite.needs.filter((name) => !process.env[name]);
  if (missing.length === 0) runnable.push(suite);
  else console.log(`verify:live: skipped ${suite.name}: set ${missing.join(', ')} (optional: ${suite.optional})`);
}
if (runnable.length === 0) {
  console.log('verify:live: no provider credentials set; nothing to check against a live API');
  process.exit(0);
}

console.log(`verify:live: ${runnable.map((suite) => suite.name).join(', ')} against the live APIs (this creates and deletes real services)`);
const vitest = await startVitest('test', [], {
  run: true,
  watch: false,
  include: runnable.map((suite) => suite.file),
  // One deployment at a time per platform, well inside its rate limits.
  fileParallelism: false,
});
const failed = vitest?.state.getCountOfFailedTests() ?? 1;
await vitest?.close();
process.exit(failed > 0 || process.exitCode ? 1 : 0);
