#!/usr/bin/env node
// What `pnpm start` builds before it runs the server: the JavaScript of the server and of every
// workspace package it depends on, and only where the sources changed since the last build.
// Declaration files are left out (running the server doesn't need them; `pnpm build` and the
// release make them), so a first start costs one esbuild pass per package and a warm start
// costs a look at file times.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const packagesDir = join(root, 'packages');
const manifests = new Map(
  readdirSync(packagesDir)
    .filter((name) => existsSync(join(packagesDir, name, 'package.json')))
    .map((name) => {
      const manifest = JSON.parse(readFileSync(join(packagesDir, name, 'package.json'), 'utf8'));
      return [manifest.name, { directory: join(packagesDir, name), manifest }];
    }),
);

/** The package and the workspace packages it depends on, dependencies first. */
function closure(name, seen = new Set(), order = []) {
  if (seen.has(name) || !manifests.has(name)) return order;
  seen.add(name);
  const { manifest } = manifests.get(name);
  for (const dependency of Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies })) closure(dependency, seen, order);
  order.push(name);
  return order;
}

/** Newest modification time under `directory` (tests excluded), in ms. */
function newest(directory) {
  let latest = 0;
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) latest = Math.max(latest, newest(path));
    else if (!/\.test\.ts$/.test(entry.name)) latest = Math.max(latest, statSync(path).mtimeMs);
  }
  return latest;
}

/** A package that also builds a browser app with Vite (the console): its sources are `app/`, its output `dist/app/`. */
const hasViteApp = (directory) => existsSync(join(directory, 'vite.config.ts'));

function stale({ directory, manifest }) {
  const outputs = ['dist/index.js', ...(manifest.name === '@vector/server' ? ['dist/main.js'] : []), ...(hasViteApp(directory) ? ['dist/app/index.html'] : [])].map((file) => join(directory, file));
  if (outputs.some((file) => !existsSync(file))) return true;
  const built = Math.min(...outputs.map((file) => statSync(file).mtimeMs));
  // Every package's config builds on the root tsup.base.ts: a change there makes them all stale.
  const inputs = [join(directory, 'package.json'), join(directory, 'tsup.config.ts'), join(directory, 'tsconfig.build.json'), join(root, 'tsup.base.ts')].filter(existsSync);
  const sources = [join(directory, 'src'), ...(hasViteApp(directory) ? [join(directory, 'app'), join(directory, 'vite.config.ts')] : [])];
  return Math.max(...sources.map((source) => (statSync(source).isDirectory() ? newest(source) : statSync(source).mtimeMs)), ...inputs.map((file) => statSync(file).mtimeMs)) > built;
}

const started = Date.now();
const order = closure('@vector/server');
const toBuild = order.filter((name) => stale(manifests.get(name)));
const tsup = join(root, 'node_modules', 'tsup', 'dist', 'cli-default.js');
for (const name of toBuild) {
  const { directory } = manifests.get(name);
  // The package's own tsup config; VECTOR_BUILD_JS_ONLY turns its declaration files off.
  const run = spawnSync(process.execPath, [tsup, '--silent'], { cwd: directory, env: { ...process.env, VECTOR_BUILD_JS_ONLY: '1' }, stdio: 'inherit' });
  if (run.status !== 0) {
    console.error(`start: building ${name} failed (exit ${run.status})`);
    process.exit(1);
  }
  // The console's single-page app (tsup above made its Node entry; tsup cleans dist/ first).
  if (hasViteApp(directory)) {
    const vite = spawnSync('pnpm', ['exec', 'vite', 'build', '--logLevel', 'warn'], { cwd: directory, stdio: 'inherit' });
    if (vite.status !== 0) {
      console.error(`start: building ${name}'s app failed (exit ${vite.status})`);
      process.exit(1);
    }
  }
}
console.log(`start: ${toBuild.length === 0 ? 'every package is up to date' : `built ${toBuild.join(', ')}`} (${((Date.now() - started) / 1000).toFixed(1)} s)`);

