#!/usr/bin/env node
// Runs every workspace package's `bench` script against the built packages. Benchmarks
// print measurements and ratios; they never pass or fail on timing.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const only = process.argv[2];
const roots = ['packages', 'examples'];
let failures = 0;
for (const root of roots) {
  if (!existsSync(root)) continue;
  for (const name of readdirSync(root)) {
    const manifestPath = join(root, name, 'package.json');
    if (!existsSync(manifestPath)) continue;
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    if (!manifest.scripts?.bench || (only && manifest.name !== only && name !== only)) continue;
    console.log(`\n=== ${manifest.name}: ${manifest.scripts.bench}`);
    const run = spawnSync('pnpm', ['--filter', manifest.name, 'run', 'bench'], { stdio: 'inherit' });
    if (run.status !== 0) failures += 1;
  }
}
process.exit(failures > 0 ? 1 : 0);
