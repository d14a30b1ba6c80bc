#!/usr/bin/env node
// Runs the whole vitest suite and ends with one plain summary line read from vitest's own
// JSON report, because CI reads the result from that last line only.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const reportDir = '.test-report';
const reportFile = join(reportDir, 'vitest.json');
rmSync(reportDir, { recursive: true, force: true });
mkdirSync(reportDir, { recursive: true });

if (!process.env.TEST_DATABASE_URL) {
  console.log('TEST_DATABASE_URL is not set: PostgreSQL tests will be reported as skipped.');
}

// Build every package once, before any test file runs: the tests that exercise built
// output (the CLI, the release check) then never rebuild dist/ underneath each other.
const build = spawnSync('pnpm', ['-r', '--filter', './packages/*', 'build'], { encoding: 'utf8' });
if (build.status === 0) {
  process.env.VECTOR_PACKAGES_BUILT = '1';
  console.log('built every package');
} else {
  // Not fatal here: the tests that need built packages build them themselves and fail visibly.
  console.log(`building the packages failed (exit ${build.status}):\n${(build.stdout ?? '') + (build.stderr ?? '')}`);
}

const extra = process.argv.slice(2);
const run = spawnSync(
  'pnpm',
  ['exec', 'vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${reportFile}`, ...extra],
  { stdio: 'inherit' },
);

let report;
try {
  report = JSON.parse(readFileSync(reportFile, 'utf8'));
} catch (error) {
  console.error(`vitest wrote no JSON report (${error.message}); exit status ${run.status}`);
  console.log('tests: 0 passed, 1 failed');
  process.exit(1);
}

const passed = report.numPassedTests ?? 0;
const failed = (report.numFailedTests ?? 0) + (report.numRuntimeErrorTests ?? 0);
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
// A suite that fails to load counts no test as failed; surface it as one failure.
const brokenSuites = (report.testResults ?? []).filter((suite) => suite.status === 'failed' && suite.assertionResults?.length === 0).length;
const totalFailed = failed + brokenSuites;
console.log(`tests: ${passed} passed, ${totalFailed} failed, ${skipped} skipped`);
process.exit(totalFailed > 0 || run.status !== 0 ? 1 : 0);
